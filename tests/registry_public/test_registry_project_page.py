"""Project page: plain-language first, funding, repositories and freshness, licence verdict, JSON-LD."""

import html as htmllib
import json
import re

from registry.projects.tables import Repository
from tests.registry_public.jsonld_offline import expand_and_rdf


def _json_ld(page: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1))


async def test_project_page_leads_with_the_plain_language_title(client, demo):
    page = (await client.get("/projects/edsnlp")).text
    assert "<h1>Lire automatiquement les comptes rendus médicaux pour la recherche</h1>" in page
    assert page.index("<h1>") < page.index("EDS-NLP : traitement automatique des comptes rendus cliniques</p>")
    assert '<dd id="amount">180\u202f000\xa0€</dd>' in page or '<dd id="amount">180 000 €</dd>' in page
    assert "3 juillet 2025" in page
    assert "Équipe Data Science de l&#39;EDS AP-HP — porteur (AP-HP)" in page
    assert "v0.17.0" in page and "Version 1.0 stable" in page
    assert "10.5281/zenodo.6424993" in page and "swh:1:dir:" in page
    for link in ("/projects/edsnlp/codemeta.json", "/projects/edsnlp/spdx.json", "/projects/edsnlp/releases.atom"):
        assert f'href="{link}"' in page


async def test_project_page_shows_freshness_and_readable_harvest_error(client, demo):
    page = (await client.get("/projects/snds-synthetique")).text
    assert re.search(r'<dd class="freshness">mis à jour il y a \d+ (jours?|heures?|semaines?|mois)</dd>', page)
    assert "La dernière collecte a échoué</strong>" in page and "La forge a répondu 503 (service indisponible)" in page


async def test_project_page_licence_verdict_sources_and_disagreement(client, demo):
    page = htmllib.unescape((await client.get("/projects/tableau-bord-sejours")).text)
    assert "CC-BY-NC-4.0" in page and "Licence non autorisée" in page
    assert "CC-BY-NC-4.0 ne figure pas sur la liste des licences autorisées" in page
    assert "déclarée dans la candidature indique AGPL-3.0-or-later, mais le dépôt est sous CC-BY-NC-4.0" in page
    assert "<td>fichier de licence</td><td>LICENSE.txt</td><td><code>CC-BY-NC-4.0</code></td><td>90 %</td>" in page


async def test_readme_is_sanitised_again_at_render(client, demo):
    await Repository.update(
        {
            Repository.readme_html: '<p onclick="x()">Bonjour</p><script>alert(1)</script>'
            '<a href="javascript:alert(2)">lien</a><img src=x onerror=alert(3)>'
        }
    ).where(Repository.url == "https://github.com/aphp/edsnlp")
    page = (await client.get("/projects/edsnlp")).text
    body = page[page.index('<div class="readme-body">') :]
    body = body[: body.index("</details>")]
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body and "onerror" not in body
    assert "<p>Bonjour</p>" in body


async def test_json_ld_is_escaped_and_expands(client, demo):
    from registry.projects.tables import Project

    await Project.update({Project.public_summary: "Fin </script><script>alert(1)</script> & co"}).where(
        Project.slug == "edsnlp"
    )
    page = (await client.get("/projects/edsnlp")).text
    assert page.count("<script") == 1  # only the JSON-LD block itself
    document = _json_ld(page)
    assert document["description"] == "Fin </script><script>alert(1)</script> & co"
    assert document["@type"] == "SoftwareSourceCode"
    expanded, triples = expand_and_rdf(document)
    page_url = "http://127.0.0.1:8000/projects/edsnlp"
    assert (
        page_url,
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "https://schema.org/SoftwareSourceCode",
    ) in triples
    assert (page_url, "https://schema.org/codeRepository", "https://github.com/aphp/edsnlp") in triples
    assert (page_url, "https://schema.org/license", "https://spdx.org/licenses/BSD-3-Clause") in triples
    assert {k.rsplit("/", 1)[-1] for k in expanded[0] if not k.startswith("@")} == {
        k for k in document if not k.startswith("@")
    }


async def test_unknown_project_is_404(client, demo):
    response = await client.get("/projects/nexiste-pas")
    assert response.status_code == 404
    assert "Aucun projet « nexiste-pas » dans le registre." in response.text
    api = await client.get("/api/v1/projects/nexiste-pas")
    assert api.status_code == 404
    assert api.json() == {"detail": "Aucun projet « nexiste-pas » dans le registre.", "errors": []}


async def test_api_project_detail(client, demo):
    body = (await client.get("/api/v1/projects/omop-cdm-fr")).json()
    assert body["description"].startswith("Contributions au modèle commun de données OMOP-CDM")
    assert body["team"] == [{"name": "OHDSI France", "role": "porteur", "organisation": "OHDSI France"}]
    assert body["licence"] == {
        "expression": "Apache-2.0",
        "compliant": True,
        "reason_fr": "Apache-2.0 figure sur la liste des licences autorisées",
        "reason_en": "Apache-2.0 is on the authorised list",
        "disagreements": [
            {
                "fr": "déclarée dans la candidature indique MIT, mais le dépôt est sous Apache-2.0",
                "en": "declared in the application says MIT, but the repository is Apache-2.0",
            }
        ],
    }
    assert [(f["source"], f["path"], f["expression"]) for f in body["licence_findings"]] == [
        ("licence_file", "LICENSE", "Apache-2.0"),
        ("forge", "", "Apache-2.0"),
    ]
    repo = body["repositories"][0]
    assert (repo["url"], repo["stars"], repo["languages"], repo["last_harvest_at"], repo["last_error"]) == (
        "https://github.com/OHDSI/CommonDataModel",
        820,
        {"R": 210000, "HTML": 90000, "TSQL": 30000},
        "2026-11-28T04:10:00Z",
        "",
    )
    assert [(m["title"], m["status"], m["evidence"].get("tag"), m["tranche"]) for m in body["milestones"]] == [
        ("Alignement OMOP 5.4.2", "met", "v5.4.2", {"amount": 20_000, "state": "paid",
                                                   "approved_at": body["milestones"][0]["met_at"],
                                                   "paid_at": body["milestones"][0]["met_at"]}),
        ("Alignement OMOP 5.4.10", "pending", None, {"amount": 30_000, "state": "planned", "approved_at": None,
                                                     "paid_at": None}),
    ]  # registry.projects.demo: 5.4.10 > 5.4.2 as versions
    assert body["amount_paid"] == 20_000 and body["results"] == []


async def test_api_project_releases(client, demo):
    body = (await client.get("/api/v1/projects/edsnlp/releases")).json()
    assert [(r["tag"], r["published_at"]) for r in body] == [
        ("v0.17.0", "2026-10-14T09:30:00Z"),
        ("v0.16.0", "2026-05-20T12:00:00Z"),
        ("v0.15.0", "2025-12-09T15:45:00Z"),
    ]
    assert body[0]["url"] == "https://github.com/aphp/edsnlp/releases/tag/v0.17.0"
