"""Demo calls and applications for `ami demo` (idempotent: nothing is created twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.accounts.permissions import Actor
from registry.accounts.service import actor_for, create_user
from registry.accounts.tables import User
from registry.applications.service import ApplicationInput, create_application
from registry.applications.submission import submit_application
from registry.applications.validation import UrlPolicy
from registry.calls.service import CallInput, CriterionInput, create_call, move_call, publish_call
from registry.calls.tables import Call
from registry.labels.tables import Label

POLICY = UrlPolicy(allowed_hosts=("github.com", "gitlab.com", "framagit.org"))
CRITERIA = [
    ("Valeur publique", 25, "Bénéfice attendu pour les patients, les soignants et la santé publique."),
    ("Qualité scientifique et technique", 25, "Solidité de la méthode, état de l'art, validation prévue."),
    ("Ouverture et réutilisation", 20, "Licence, documentation, facilité de réutilisation par d'autres équipes."),
    ("Pérennité et communauté", 15, "Maintenance après le financement, gouvernance, contributeurs attendus."),
    ("Transparence citoyenne", 10, "Clarté des explications publiques sur l'algorithme et ses limites."),
    ("Réalisme budgétaire", 5, "Adéquation du budget demandé au programme de travail."),
]
DESCRIPTION = ("Le Health Data Hub finance le développement d'algorithmes ouverts qui exploitent les données de "
               "santé au service de l'intérêt général : outils de pseudonymisation, conversion vers des standards "
               "ouverts, données synthétiques, contrôle qualité. Le code est publié sous licence libre dès le début "
               "du projet.")
ELIGIBILITY = ("Établissements de santé, organismes de recherche, universités, associations et entreprises établis "
               "dans l'Union européenne, seuls ou en consortium.")
PROJECTS = [
    ("Pseudonymisation des comptes rendus cliniques", "Masquer automatiquement les noms dans les comptes rendus",
     "Un modèle de langue libre qui repère et remplace les informations identifiantes des comptes rendus "
     "hospitaliers, pour les rendre utilisables en recherche.", 180_000, "EUPL-1.2", ["pseudonymisation"]),
    ("Conversion OMOP-CDM des extractions SNDS", "Traduire les données de l'Assurance maladie dans un format commun",
     "Des scripts ouverts et testés pour convertir les extractions du SNDS vers le modèle OMOP-CDM.", 240_000,
     "Apache-2.0", ["omop-cdm", "snds"]),
    ("Données synthétiques PMSI", "Des fausses données hospitalières réalistes pour apprendre et tester",
     "Un générateur de données synthétiques fidèles aux statistiques du PMSI, sans personne réelle.", 150_000,
     "MIT", ["synthetic-data", "pmsi"]),
    ("Boîte à outils FHIR pour entrepôts hospitaliers", "Échanger plus facilement les données entre hôpitaux",
     "Bibliothèque de validation et de conversion FHIR adaptée aux entrepôts de données de santé.", 120_000,
     "MPL-2.0", ["fhir"]),
    ("Contrôle qualité des données de santé", "Vérifier automatiquement la qualité des données",
     "Un tableau de bord ouvert de règles de qualité (complétude, cohérence, plausibilité).", 90_000,
     "CECILL-2.1", ["data-quality"]),
    ("Détection des effets indésirables dans les notes", "Repérer plus tôt les effets indésirables des médicaments",
     "Extraction d'effets indésirables médicamenteux à partir de notes cliniques, évaluée sur corpus annoté.",
     200_000, "AGPL-3.0-or-later", ["nlp"]),
    ("Appariement probabiliste de cohortes", "Relier des bases de données sans révéler l'identité",
     "Méthode d'appariement respectueuse de la vie privée entre cohortes et SNDS.", 160_000, "BSD-3-Clause", []),
    ("Atlas ouvert des parcours de soins", "Comprendre les parcours de soins des patients chroniques",
     "Visualisations et indicateurs ouverts des parcours de soins à partir des données du SNDS.", 110_000,
     "GPL-3.0-or-later", ["snds"]),
]


async def _demo_applicants(users: dict[str, int]) -> list[int]:
    ids = [users["applicant"]]
    for email, name, org in (("claire.martin@chu-demo.fr", "Claire Martin", "CHU de Démo"),
                             ("yanis.benali@inserm-demo.fr", "Yanis Benali", "Inserm Démo")):
        user = await User.objects().where(User.email == email).first()
        if user is None:
            user = await create_user(email=email, name=name, password="demo-password-2027", roles=["applicant"],  # noqa: S106
                                     verified=True, organisation=org)
        ids.append(user.id)
    return ids


async def _actor(user_id: int) -> Actor:
    return await actor_for(await User.objects().get(User.id == user_id))


# AMI 2025's own questions (registry/calls/questions.py), answered by its demo applications.
QUESTIONS = [
    {"key": "sources-donnees", "section": "Données", "section_en": "Data", "kind": "long_text", "required": True,
     "label": "Sources de données de santé utilisées", "label_en": "Health data sources used",
     "help": "SNDS, entrepôt de données hospitalier, cohorte… et leur mode d'accès.",
     "help_en": "SNDS, hospital data warehouse, cohort… and how they are accessed.", "max_length": 3000},
    {"key": "autorisation-cnil", "section": "Données", "section_en": "Data", "kind": "yes_no", "required": True,
     "label": "Une autorisation CNIL (ou une méthodologie de référence) couvre-t-elle ces traitements ?",
     "label_en": "Is the processing covered by a CNIL authorisation (or a reference methodology)?"},
    {"key": "type-porteur", "section": "Équipe", "section_en": "Team", "kind": "choice", "required": True,
     "label": "Type d'organisme porteur", "label_en": "Kind of lead organisation",
     "choices": [{"value": "chu", "label": "CHU", "label_en": "University hospital"},
                 {"value": "universite", "label": "Université ou EPST", "label_en": "University or research body"},
                 {"value": "association", "label": "Association", "label_en": "Non-profit"}]},
    {"key": "taille-equipe", "section": "Équipe", "section_en": "Team", "kind": "number", "required": False,
     "label": "Nombre de personnes dans l'équipe", "label_en": "Number of people in the team", "min": 1, "max": 50},
    {"key": "responsable-scientifique", "section": "Équipe", "section_en": "Team", "kind": "text",
     "required": False, "identifying": True, "label": "Responsable scientifique",
     "label_en": "Principal investigator"},
]
SOURCES = ["SNDS (DCIR et PMSI), accès via le portail de la plateforme des données de santé.",
           "Entrepôt de données hospitalier du CHU, extraction pseudonymisée.",
           "Cohorte nationale, données appariées au SNDS."]


def demo_answers(index: int) -> dict:
    return {"sources-donnees": SOURCES[index % len(SOURCES)], "autorisation-cnil": index % 3 != 2,
            "type-porteur": ("chu", "universite", "association")[index % 3], "taille-equipe": 3 + index,
            "responsable-scientifique": ("Dr Claire Martin", "Pr Yanis Benali", "Camille Martin")[index % 3]}


async def _application(call_slug: str, owner: int, project: tuple, *, index: int, now: datetime,
                       submit: bool, answers: dict | None = None) -> None:
    title, public_title, summary, amount, licence, labels = project
    known = {row["slug"] for row in await Label.select(Label.slug)}
    who = await _actor(owner)
    application = await create_application(call_slug, ApplicationInput(
        title=title, public_title=public_title, public_summary=summary,
        description=summary + "\n\nProgramme de travail en trois lots : prototype, validation, diffusion.",
        requested_amount=amount, repositories=[f"https://github.com/ami-demo/projet-{index}"], licence=licence,
        labels=[slug for slug in labels if slug in known], org_name="CHU de Démo", org_siren="732829320",
        org_ror="", answers=answers), actor=who, policy=POLICY, now=now)
    if submit:
        await submit_application(application.id, actor=who, now=now + timedelta(minutes=5))


# What each level of the 0–4 scale means, shown to reviewers beside the scores.
ANCHORS = [{"score": 0, "label": "absent", "label_en": "missing"},
           {"score": 1, "label": "insuffisant", "label_en": "insufficient"},
           {"score": 2, "label": "passable", "label_en": "fair"},
           {"score": 3, "label": "satisfaisant", "label_en": "satisfactory"},
           {"score": 4, "label": "excellent", "label_en": "excellent"}]


def _criteria() -> list[CriterionInput]:
    return [CriterionInput(name=name, weight=weight, scale_max=4, description=text,
                           eliminatory_below=1 if name == "Valeur publique" else None, anchors=ANCHORS)
            for name, weight, text in CRITERIA]


async def load_demo_calls(users: dict[str, int]) -> None:
    manager = await _actor(users["manager"])
    applicants = await _demo_applicants(users)
    now = datetime.now(UTC)
    if not await Call.exists().where(Call.slug == "ami-2025"):
        opens, closes = datetime(2025, 3, 3, 8, 0, tzinfo=UTC), datetime(2025, 5, 30, 10, 0, tzinfo=UTC)
        await create_call(CallInput(
            slug="ami-2025", title_fr="AMI 2025 — Algorithmes ouverts pour la recherche sur les données de santé",
            title_en="AMI 2025 — Open algorithms for health-data research", description_fr=DESCRIPTION,
            eligibility_fr=ELIGIBILITY, budget_total=1_500_000, amount_min=50_000, amount_max=250_000,
            opens_at=opens, closes_at=closes, blind=False, reviews_per_application=2,
            criteria=_criteria(), questions=QUESTIONS), actor=manager)
        await publish_call("ami-2025", actor=manager)
        for index, project in enumerate(PROJECTS):
            await _application("ami-2025", applicants[index % len(applicants)], project, index=index,
                               now=opens + timedelta(days=10 + index), submit=True, answers=demo_answers(index))
        await move_call("ami-2025", "in_review", actor=manager)
    if not await Call.exists().where(Call.slug == "ami-2027"):
        await create_call(CallInput(
            slug="ami-2027", title_fr="AMI 2027 — Algorithmes ouverts pour les données de santé",
            title_en="AMI 2027 — Open algorithms for health data", description_fr=DESCRIPTION,
            eligibility_fr=ELIGIBILITY, budget_total=2_000_000, amount_min=50_000, amount_max=300_000,
            opens_at=now - timedelta(days=14), closes_at=now + timedelta(days=45), blind=True,
            reviews_per_application=3, criteria=_criteria()), actor=manager)
        await publish_call("ami-2027", actor=manager)
        for index, project in enumerate(PROJECTS[:4]):
            await _application("ami-2027", applicants[index % len(applicants)], project, index=10 + index,
                               now=now, submit=index % 2 == 0)
