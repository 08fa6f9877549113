"""Feeds and exports, each checked by an outside validator: feedparser, csv, pyld, spdx-tools, ElementTree."""

import csv
import io
import json
from xml.etree import ElementTree as ET

import feedparser

from tests.registry_public.jsonld_offline import expand_and_rdf


async def test_atom_feed_of_a_filtered_view_is_valid(client, demo):
    response = await client.get("/feeds/releases.atom?label=snds&compliant=true")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title == "Versions des projets financés par l'AMI"
    assert [e.title for e in feed.entries][:3] == [
        "Vérifier la qualité des données de santé avant de s'en servir — 1.2.0",
        "Des outils simples pour interroger les données de l'Assurance maladie — sndsTools 0.3.0",
        "Comprendre les tables et variables des données de l'Assurance maladie — Schéma SNDS 2026.10",
    ]
    assert len(feed.entries) == 9
    assert feed.entries[0].link == "https://gitlab.com/healthdatahub/boas/boas-qualite/-/releases/tag/1.2.0"
    assert feed.entries[0].content[0].value == "<p>Rapport HTML accessible, contrôles PMSI.</p>"


async def test_project_atom_feed_is_valid(client, demo):
    feed = feedparser.parse((await client.get("/projects/eds-pseudo/releases.atom")).content)
    assert feed.bozo == 0
    assert [e.title for e in feed.entries] == [
        "Retirer les noms et adresses des comptes rendus avant leur réutilisation — v0.5.0",
        "Retirer les noms et adresses des comptes rendus avant leur réutilisation — v0.4.0",
    ]


async def test_atom_feed_bad_filter_is_422_json_free_page(client, demo):
    response = await client.get("/feeds/releases.atom?sort=bogus")
    assert response.status_code == 422
    assert "<title>Erreur 422" in response.text and "sort" in response.text


async def test_csv_export_parses_and_states_its_licence(client, demo):
    response = await client.get("/exports/projects.csv?sort=name")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["link"] == (
        '<https://www.etalab.gouv.fr/licence-ouverte-open-licence/>; rel="license"; title="etalab-2.0"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 10
    row = next(r for r in rows if r["slug"] == "tableau-bord-sejours")
    assert row == {
        "slug": "tableau-bord-sejours",
        "titre": "Tableau de bord des séjours hospitaliers",
        "titre_grand_public": "Visualiser l'activité des hôpitaux par territoire",
        "resume_grand_public": "Un tableau de bord qui montre, par département, le nombre de séjours hospitaliers et "
        "leur évolution, à partir des données publiques du PMSI.",
        "appel": "ami-2024",
        "montant_eur": "40000",
        "organisation": "Association Données Santé Territoires",
        "etiquettes": "visualisation | pmsi",
        "licence": "CC-BY-NC-4.0",
        "licence_conforme": "non",
        "derniere_version": "",
        "derniere_version_date": "",
        "depots": "https://gitlab.com/healthdatahub/boas/tableau-bord-sejours",
        "url": "http://127.0.0.1:8000/projects/tableau-bord-sejours",
        "montant_verse_eur": "0",
        "jalons_atteints": "0",
        "jalons_total": "1",
    } | {key: row[key] for key in ("resultats", "dois") if key in row}


async def test_json_export_has_licence_key_and_filters(client, demo):
    response = await client.get("/exports/projects.json?licence=CECILL-B&sort=name")
    body = response.json()
    assert body["licence"] == "etalab-2.0"
    assert body["total"] == 2
    assert [i["slug"] for i in body["items"]] == ["schema-snds", "boas-outils-qualite"]
    assert body["items"][0]["licence"] == {"expression": "CECILL-B", "compliant": True}
    assert body["items"][0]["latest_release"] == {"tag": "v2026.10", "published_at": "2026-10-30T08:00:00Z"}


async def test_codemeta_expands_without_network(client, demo):
    response = await client.get("/projects/schema-snds/codemeta.json")
    assert response.headers["content-type"].startswith("application/ld+json")
    document = response.json()
    assert document["@context"] == "https://w3id.org/codemeta/3.0"
    assert document["license"] == "https://spdx.org/licenses/CECILL-B"
    assert document["codeRepository"] == "https://gitlab.com/healthdatahub/snds/schema-snds"
    assert document["version"] == "v2026.10"
    expanded, triples = expand_and_rdf(document)
    subject = "http://127.0.0.1:8000/projects/schema-snds"
    assert (subject, "https://schema.org/name", "Schéma et dictionnaire du SNDS") in triples
    assert (subject, "https://schema.org/programmingLanguage", "Python") in triples
    assert {k.rsplit("/", 1)[-1] for k in expanded[0] if not k.startswith("@")} == {
        k for k in document if not k.startswith("@")
    }


async def test_spdx_document_validates_with_spdx_tools(client, demo, tmp_path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    response = await client.get("/projects/schema-snds/spdx.json")
    assert response.status_code == 200
    path = tmp_path / "schema-snds.spdx.json"
    path.write_bytes(response.content)
    document = parse_file(str(path))
    assert validate_full_spdx_document(document) == []
    assert document.creation_info.spdx_version == "SPDX-2.3"
    package = document.packages[0]
    assert (package.name, package.version, str(package.license_concluded), str(package.license_declared)) == (
        "schema-snds",
        "v2026.10",
        "CECILL-B",
        "CECILL-B",
    )


async def test_sitemap_lists_projects(client, demo):
    root = ET.fromstring((await client.get("/sitemap.xml")).content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert "http://127.0.0.1:8000/projects" in locations
    assert "http://127.0.0.1:8000/projects/edsnlp" in locations
    # The decided call's page and its transparency page are listed too.
    assert "http://127.0.0.1:8000/calls/ami-2024" in locations
    assert "http://127.0.0.1:8000/calls/ami-2024/transparency" in locations
    assert len(locations) == 17


async def test_releases_since_and_its_error(client, demo):
    body = (await client.get("/api/v1/releases?since=2026-10-20T00:00:00%2B02:00")).json()
    assert [(r["project"]["slug"], r["tag"]) for r in body["items"]] == [
        ("boas-outils-qualite", "1.2.0"),
        ("snds-tools", "v0.3.0"),
        ("schema-snds", "v2026.10"),
    ]
    assert body["total"] == 3
    bad = await client.get("/api/v1/releases?since=hier")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "since", "message": "date ISO 8601 attendue, par exemple 2026-01-31T00:00:00+01:00."}
    ]


async def test_releases_page_lists_every_release(client, demo):
    page = (await client.get("/releases")).text
    assert "16 versions publiées par les projets financés." in page
    assert page.index("1.2.0") < page.index("v0.3.0")


async def test_schema_lists_the_registry_api(client, demo):
    paths = json.loads((await client.get("/schema/openapi.json")).text)["paths"]
    assert {
        "/api/v1/projects",
        "/api/v1/projects/{slug}",
        "/api/v1/projects/{slug}/releases",
        "/api/v1/releases",
        "/api/v1/labels",
    } <= set(paths)
