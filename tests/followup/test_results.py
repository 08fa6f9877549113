"""Results of a funded project: DOIs validated and normalised, API and pages, shown on the project page,
in CodeMeta's referencePublication, the page's JSON-LD and the CSV export."""

from __future__ import annotations

import json
import re

import pytest

from registry.team.edits import normalise_doi
from tests.conftest import csrf_from, http_client
from tests.followup.test_team import _logged, _release, world  # noqa: F401 - the funded world fixture

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(("raw", "doi"), [
    ("10.1234/abc.def", "10.1234/abc.def"), ("https://doi.org/10.5281/zenodo.42", "10.5281/zenodo.42"),
    ("doi:10.1000/XYZ-1", "10.1000/XYZ-1"), ("  http://dx.doi.org/10.12345/a/b ", "10.12345/a/b")])
async def test_doi_forms_are_normalised(raw, doi):
    assert normalise_doi(raw) == doi


@pytest.mark.parametrize("raw", ["11.1234/abc", "10.12/abc", "10.1234", "https://example.org/10.1234/x", "doi 10.1/x"])
async def test_bad_dois_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_doi(raw)


async def test_results_api_project_page_codemeta_and_export(settings, app_factory, world, api_token):  # noqa: F811
    app = app_factory(settings)
    project = await _release(world)
    slug = project.slug
    member = await api_token(world.co)
    async with http_client(app) as client:
        anonymous = await client.post(f"/api/v1/projects/{slug}/results", json={"kind": "dataset", "title": "X"})
        assert anonymous.status_code == 401 and "detail" in anonymous.json()
        outsider = await client.post(f"/api/v1/projects/{slug}/results", headers=await api_token(world.outsider),
                                     json={"kind": "publication", "title": "X", "doi": "10.1234/x"})
        assert outsider.status_code == 403 and "detail" in outsider.json()
        bad = await client.post(f"/api/v1/projects/{slug}/results", headers=member,
                                json={"kind": "publication", "title": "Article", "doi": "12.34/nope"})
        assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["doi"]
        neither = await client.post(f"/api/v1/projects/{slug}/results", headers=member,
                                    json={"kind": "badkind", "title": ""})
        assert {e["field"] for e in neither.json()["errors"]} == {"kind", "title", "doi"}
        created = await client.post(f"/api/v1/projects/{slug}/results", headers=member,
                                    json={"kind": "publication", "title": "Notre article",
                                          "doi": "https://doi.org/10.5281/zenodo.777", "year": 2026})
        assert created.status_code == 201, created.text
        assert created.json()["doi"] == "10.5281/zenodo.777" and created.json()["identifier"] == "10.5281/zenodo.777"
        data = await client.post(f"/api/v1/projects/{slug}/results", headers=member,
                                 json={"kind": "dataset", "title": "Jeu", "url": "https://data.example.org/jeu"})
        assert data.status_code == 201 and data.json()["doi"] == ""

        detail = (await client.get(f"/api/v1/projects/{slug}")).json()
        assert [(r["kind"], r["doi"]) for r in detail["results"]] == [("publication", "10.5281/zenodo.777"),
                                                                      ("dataset", "")]
        page = await client.get(f"/projects/{slug}")
        assert '<a href="https://doi.org/10.5281/zenodo.777" class="doi">10.5281/zenodo.777</a>' in page.text
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S).group(1))
        assert ld["referencePublication"][0]["@id"] == "https://doi.org/10.5281/zenodo.777"
        codemeta = (await client.get(f"/projects/{slug}/codemeta.json")).json()
        assert codemeta["referencePublication"] == [{
            "@type": "ScholarlyArticle", "name": "Notre article", "@id": "https://doi.org/10.5281/zenodo.777",
            "identifier": {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.5281/zenodo.777"},
            "url": "https://doi.org/10.5281/zenodo.777", "datePublished": "2026"}]
        csv_text = (await client.get("/exports/projects.csv")).text
        header, *rows = csv_text.splitlines()
        assert header.endswith(",resultats,dois")
        assert any(row.startswith(slug + ",") and row.endswith(",2,10.5281/zenodo.777") for row in rows)
        history = await client.get(f"/projects/{slug}/history")
        assert "résultat ajouté" in history.text and "Notre article" in history.text


async def test_results_pages_in_both_languages(settings, app_factory, world):  # noqa: F811
    app = app_factory(settings)
    project = await _release(world)
    slug = project.slug
    member = await _logged(app, "porteuse@chu.fr")
    try:
        form = await member.get(f"/projects/{slug}/results")
        token = csrf_from(form.text)
        bad = await member.post(f"/projects/{slug}/results", data={
            "kind": "publication", "title": "Article gardé", "doi": "pas-un-doi", "url": "", "year": "",
            "_csrf_token": token})
        assert bad.status_code == 422 and 'href="#field-doi"' in bad.text and 'value="Article gardé"' in bad.text
        saved = await member.post(f"/projects/{slug}/results", data={
            "kind": "software", "title": "Paquet", "doi": "doi:10.1234/pkg", "url": "", "year": "2025",
            "_csrf_token": token})
        assert saved.status_code == 200 and "10.1234/pkg" in saved.text
        english = await member.get(f"/projects/{slug}/results?lang=en")
        assert "Project results" in english.text and "Software" in english.text
        result_id = re.search(r"/results/(\d+)/delete", saved.text).group(1)
        ask = await member.post(f"/projects/{slug}/results/{result_id}/delete", data={"_csrf_token": token})
        assert "Delete the result" in ask.text and "confirm" in ask.text  # English since ?lang=en
        assert "10.1234/pkg" in (await member.get(f"/projects/{slug}")).text  # nothing deleted yet
        gone = await member.post(f"/projects/{slug}/results/{result_id}/delete",
                                 data={"confirm": "1", "_csrf_token": token})
        assert gone.status_code == 200 and "10.1234/pkg" not in gone.text
    finally:
        await member.__aexit__(None, None, None)
