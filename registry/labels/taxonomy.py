"""The label taxonomy shipped with the product: French health-data vocabulary, with English names."""

from __future__ import annotations

# (slug, category, name_fr, name_en, description_fr)
TAXONOMY: list[tuple[str, str, str, str, str]] = [
    ("pseudonymisation", "theme", "Pseudonymisation et anonymisation", "Pseudonymisation and anonymisation",
     "Retrait ou remplacement des identifiants directs et indirects."),
    ("donnees-synthetiques", "theme", "Données synthétiques", "Synthetic data",
     "Génération de jeux de données artificiels fidèles aux distributions réelles."),
    ("tal-clinique", "theme", "Traitement automatique des comptes rendus cliniques", "NLP on clinical notes",
     "Extraction d'information dans les textes médicaux libres."),
    ("qualite-donnees", "theme", "Qualité des données", "Data quality",
     "Contrôles, profilage et correction des données de santé."),
    ("interoperabilite", "theme", "Interopérabilité", "Interoperability",
     "Conversion entre formats et modèles de données."),
    ("appariement", "theme", "Appariement de bases", "Record linkage",
     "Chaînage de données individuelles entre sources."),
    ("epidemiologie", "theme", "Épidémiologie et pharmaco-épidémiologie", "Epidemiology and pharmacoepidemiology",
     "Algorithmes de repérage de cohortes, d'expositions et d'événements."),
    ("apprentissage-federe", "theme", "Apprentissage fédéré", "Federated learning",
     "Entraînement de modèles sans centraliser les données."),
    ("visualisation", "theme", "Visualisation et restitution", "Visualisation and reporting",
     "Tableaux de bord et restitution aux patients et aux citoyens."),
    ("snds", "data_source", "SNDS (base principale)", "SNDS (main database)",
     "Système national des données de santé : DCIR, PMSI, causes de décès."),
    ("pmsi", "data_source", "PMSI", "PMSI (hospital discharge data)",
     "Programme de médicalisation des systèmes d'information."),
    ("edsh", "data_source", "Entrepôts de données de santé hospitaliers", "Hospital clinical data warehouses",
     "Entrepôts des CHU et établissements de santé."),
    ("cohortes", "data_source", "Cohortes", "Cohorts", "Cohortes de recherche (Constances, E3N…)."),
    ("registres", "data_source", "Registres de morbidité", "Disease registries",
     "Registres des cancers, malformations congénitales…"),
    ("essais-cliniques", "data_source", "Essais cliniques", "Clinical trials", ""),
    ("omop-cdm", "standard", "OMOP-CDM", "OMOP-CDM", "Modèle commun de données de l'OHDSI."),
    ("fhir", "standard", "HL7 FHIR", "HL7 FHIR", "Ressources d'échange de données de santé."),
    ("cim-10", "standard", "CIM-10", "ICD-10", "Classification internationale des maladies."),
    ("ccam", "standard", "CCAM", "CCAM (French procedure codes)", "Classification commune des actes médicaux."),
    ("loinc", "standard", "LOINC", "LOINC", "Codes des examens de biologie."),
    ("snomed-ct", "standard", "SNOMED CT", "SNOMED CT", ""),
    ("oncologie", "therapeutic_area", "Oncologie", "Oncology", ""),
    ("cardiologie", "therapeutic_area", "Cardiologie", "Cardiology", ""),
    ("diabete", "therapeutic_area", "Diabète et maladies métaboliques", "Diabetes and metabolic diseases", ""),
    ("sante-mentale", "therapeutic_area", "Santé mentale", "Mental health", ""),
    ("maladies-rares", "therapeutic_area", "Maladies rares", "Rare diseases", ""),
    ("maladies-infectieuses", "therapeutic_area", "Maladies infectieuses", "Infectious diseases", ""),
    ("perinatalite", "therapeutic_area", "Périnatalité", "Perinatal health", ""),
    ("vieillissement", "therapeutic_area", "Vieillissement", "Ageing", ""),
]


async def load_taxonomy() -> int:
    """Creates the labels that are missing (never a merged one's slug); returns how many were created."""
    from registry.labels.service import install_taxonomy

    return await install_taxonomy()
