"""Browse page and projects API: filters, facets with counts, sort, pagination, errors naming the field."""

import re

import pytest


def _result_slugs(html: str) -> list[str]:
    return re.findall(r'<li class="project-card">\s*<h3><a href="/projects/([^"]+)"', html)


async def test_browse_lists_plain_language_titles_first(client, demo):
    response = await client.get("/projects?sort=name")
    assert response.status_code == 200
    assert '<h2 id="results-title" aria-live="polite">10 projets</h2>' in response.text
    first = response.text.index('<li class="project-card">')
    card = response.text[first : response.text.index("</li>", first)]
    assert card.index("Comprendre les tables et variables") < card.index("Schéma et dictionnaire du SNDS")
    assert _result_slugs(response.text)[:3] == ["schema-snds", "eds-scikit", "snds-synthetique"]


async def test_browse_search_and_two_filters_in_the_url(client, demo):
    response = await client.get("/projects?q=donnees&label=snds&compliant=true&sort=funding")
    assert _result_slugs(response.text) == [
        "scalpel-extraction",
        "boas-outils-qualite",
        "snds-synthetique",
        "omop-cdm-fr",
        "schema-snds",
        "snds-tools",
    ]
    assert 'value="donnees"' in response.text
    assert '<input type="checkbox" name="label" value="snds" id="label-snds" checked>' in response.text
    assert 'href="/exports/projects.csv?q=donnees&amp;label=snds&amp;compliant=true&amp;sort=funding"' in response.text


async def test_browse_label_facets_count_the_current_results(client, demo):
    response = await client.get("/projects?label=snds")
    counts = dict(
        re.findall(r'id="label-([a-z0-9-]+)"[^>]*>\s*<label[^>]*>[^<]*<span class="count">\((\d+)', response.text)
    )
    assert counts == {
        "qualite-donnees": "2",
        "interoperabilite": "2",
        "epidemiologie": "1",
        "donnees-synthetiques": "1",
        "visualisation": "1",
        "snds": "6",
        "pmsi": "2",
        "omop-cdm": "1",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("licence=CECILL-B", ["boas-outils-qualite", "schema-snds"]),
        ("compliant=false", ["tableau-bord-sejours"]),
        ("language=R", ["omop-cdm-fr", "snds-tools", "tableau-bord-sejours"]),
        ("forge=gitlab", ["boas-outils-qualite", "schema-snds", "snds-synthetique", "tableau-bord-sejours"]),
        ("status=suspended", ["tableau-bord-sejours"]),
        ("has_release=false", ["tableau-bord-sejours"]),
        ("call=ami-2024&label=tal-clinique", ["eds-pseudo", "edsnlp"]),
        ("call=autre-appel", []),
        ("label=snds&label=pmsi", ["scalpel-extraction", "snds-tools"]),
    ],
)
async def test_api_filters(client, demo, query, expected):
    body = (await client.get(f"/api/v1/projects?{query}&sort=name")).json()
    assert sorted(item["slug"] for item in body["items"]) == sorted(expected)
    assert body["total"] == len(expected)


async def test_api_item_shape(client, demo):
    body = (await client.get("/api/v1/projects?q=pseudonymisation")).json()
    assert body == {
        "items": [
            {
                "slug": "eds-pseudo",
                "title": "EDS-Pseudo : pseudonymisation des textes cliniques",
                "public_title": "Retirer les noms et adresses des comptes rendus avant leur réutilisation",
                "public_summary": "Un outil qui repère et masque les informations identifiantes (noms, adresses, "
                "dates de "
                "naissance, numéros) dans les documents médicaux, pour protéger la vie privée des patients.",
                "labels": [
                    {
                        "slug": "pseudonymisation",
                        "category": "theme",
                        "name_fr": "Pseudonymisation et anonymisation",
                        "name_en": "Pseudonymisation and anonymisation",
                    },
                    {
                        "slug": "tal-clinique",
                        "category": "theme",
                        "name_fr": "Traitement automatique des comptes rendus cliniques",
                        "name_en": "NLP on clinical notes",
                    },
                    {
                        "slug": "edsh",
                        "category": "data_source",
                        "name_fr": "Entrepôts de données de santé hospitaliers",
                        "name_en": "Hospital clinical data warehouses",
                    },
                ],
                "call": {
                    "slug": "ami-2024",
                    "title_fr": "AMI 2024 — Algorithmes ouverts pour les données de santé",
                    "title_en": "AMI 2024 — Open algorithms for health data",
                },
                "amount": 120000,
                "licence": {"expression": "BSD-3-Clause", "compliant": True},
                "latest_release": {"tag": "v0.5.0", "published_at": "2026-09-02T07:55:00Z"},
                "repositories": [
                    {
                        "url": "https://github.com/aphp/eds-pseudo",
                        "forge": "github",
                        "last_harvest_at": "2026-11-28T04:06:00Z",
                    }
                ],
            }
        ],
        "total": 1,
        "page": 1,
        "per_page": 20,
    }


@pytest.mark.parametrize("sort", ["recent", "name", "funding"])
async def test_api_sorts(client, demo, sort):
    items = (await client.get(f"/api/v1/projects?sort={sort}&per_page=100")).json()["items"]
    if sort == "name":
        assert [i["slug"] for i in items][-3:] == ["omop-cdm-fr", "boas-outils-qualite", "tableau-bord-sejours"]
    elif sort == "funding":
        assert [i["amount"] for i in items] == sorted((i["amount"] for i in items), reverse=True)
    else:
        dated = [i["latest_release"]["published_at"] for i in items if i["latest_release"]]
        assert dated == sorted(dated, reverse=True) and items[-1]["slug"] == "tableau-bord-sejours"


async def test_api_pagination(client, demo):
    first = (await client.get("/api/v1/projects?sort=name&per_page=4")).json()
    third = (await client.get("/api/v1/projects?sort=name&per_page=4&page=3")).json()
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (10, 1, 4, 4)
    assert [i["slug"] for i in third["items"]] == ["boas-outils-qualite", "tableau-bord-sejours"]


async def test_browse_page_pagination_links_keep_the_query(client, demo):
    html = (await client.get("/projects?label=snds&per_page=4")).text
    assert 'href="/projects?label=snds&amp;page=2&amp;per_page=4" rel="next"' in html
    assert "Page 1 sur 2" in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=1000", "per_page"),
        ("sort=bogus", "sort"),
        ("compliant=maybe", "compliant"),
        ("page=0", "page"),
        ("forge=sourceforge", "forge"),
        ("has_release=peut-etre", "has_release"),
    ],
)
async def test_api_bad_parameters_name_the_field(client, demo, query, field):
    response = await client.get(f"/api/v1/projects?{query}")
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["detail"].startswith("Paramètres invalides : " + field)


async def test_browse_page_bad_parameter_is_a_page_not_a_500(client, demo):
    response = await client.get("/projects?sort=bogus")
    assert response.status_code == 422
    assert "tri inconnu « bogus »" in response.text


async def test_browse_in_english(client, demo):
    html = (await client.get("/projects?lang=en&label=snds")).text
    assert '<html lang="en">' in html
    assert "SNDS (main database)" in html


async def test_labels_api_counts_projects(client, demo):
    labels = {label["slug"]: label for label in (await client.get("/api/v1/labels")).json()}
    assert labels["snds"] == {
        "slug": "snds",
        "category": "data_source",
        "name_fr": "SNDS (base principale)",
        "name_en": "SNDS (main database)",
        "description_fr": "Système national des données de santé : DCIR, PMSI, causes de décès.",
        "description_en": "",
        "projects": 6,
        "position": 9,
        "retired": False,
        "aliases": [],
    }
    assert labels["fhir"]["projects"] == 0
