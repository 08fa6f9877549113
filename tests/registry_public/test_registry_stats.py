"""Statistics with accessible charts, transparency per call, home page, demo loader."""

import re

from registry.calls.tables import Call
from registry.projects.demo import load_demo_projects
from registry.projects.tables import Project, Release


async def test_stats_charts_are_accessible_svg_with_tables(client, demo):
    page = (await client.get("/stats")).text
    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 6
    assert all('role="img"' in svg and "aria-labelledby=" in svg for svg in svgs)
    assert page.count("<title id=") == 6 and page.count("<desc id=") == 6
    assert page.count('<table class="chart-table">') == 6
    assert '<strong id="compliance-rate">90 %</strong>' in page
    assert (
        '<tr><th scope="row">AMI 2024 — Algorithmes ouverts pour les données de santé</th><td>995\u202f000 €</td></tr>'
        in page
    )
    assert '<tr><th scope="row">CECILL-B</th><td>2</td></tr>' in page
    assert '<tr><th scope="row">Licence non autorisée</th><td>1</td></tr>' in page


async def test_stats_in_english_translate_the_page_frame(client, demo):
    page = (await client.get("/stats?lang=en")).text
    assert '<html lang="en">' in page


async def test_transparency_after_decisions(client, demo):
    page = (await client.get("/calls/ami-2024/transparency")).text
    assert '<dd id="funded">10</dd>' in page
    assert '<dd id="granted">995\u202f000\xa0€</dd>' in page or '<dd id="granted">995 000 €</dd>' in page
    assert '<th scope="row">Qualité scientifique et technique</th><td>30 %</td><td>0–4</td>' in page
    assert "Lire automatiquement les comptes rendus médicaux pour la recherche</a></th><td>180" in page


async def test_transparency_before_decisions_says_so(client, demo):
    await Call.update({Call.status: "in_review"}).where(Call.slug == "ami-2024")
    page = (await client.get("/calls/ami-2024/transparency")).text
    assert '<p id="not-published">Les décisions de cet appel ne sont pas encore publiées.' in page
    assert "995" not in page


async def test_transparency_unknown_or_draft_call_is_404(client, demo):
    unknown = await client.get("/calls/inconnu/transparency")
    assert (unknown.status_code, "Page introuvable" in unknown.text) == (404, True)
    await Call.update({Call.status: "draft"}).where(Call.slug == "ami-2024")
    draft = await client.get("/calls/ami-2024/transparency")
    assert (draft.status_code, "Page introuvable" in draft.text) == (404, True)


async def test_home_shows_figures_and_latest_releases(client, demo):
    page = (await client.get("/")).text
    assert "<strong>10</strong> projets financés" in page
    assert "<strong>16</strong> versions publiées" in page
    section = page[page.index('id="releases-title"') :]
    assert re.findall(r'<a href="/projects/([^"]+)">', section)[:5] == [
        "boas-outils-qualite",
        "snds-tools",
        "schema-snds",
        "edsnlp",
        "eds-pseudo",
    ]


async def test_demo_loader_is_idempotent_and_prefers_ami_2025(db):
    from datetime import UTC, datetime

    call = Call(
        slug="ami-2025",
        title_fr="AMI 2025",
        opens_at=datetime(2025, 1, 1, tzinfo=UTC),
        closes_at=datetime(2025, 3, 1, tzinfo=UTC),
        status="decided",
    )
    await call.save()
    await load_demo_projects()
    await load_demo_projects()
    assert await Project.count() == 10
    assert await Release.count() == 16
    assert await Project.count().where(Project.call == call.id) == 10
    assert await Call.count().where(Call.slug == "ami-2024") == 0


async def test_transparency_without_applications_and_reviews_says_what_is_missing(client, demo, monkeypatch):
    import sys

    # An absent module: importing it raises ImportError, as when those areas are not installed.
    monkeypatch.setitem(sys.modules, "registry.applications.tables", None)
    monkeypatch.setitem(sys.modules, "registry.reviews.tables", None)
    page = (await client.get("/calls/ami-2024/transparency")).text
    assert '<p class="notice" role="note" id="partial">Une partie des chiffres' in page
    assert 'id="received"' not in page and 'id="decided-funded"' not in page
    assert '<dd id="funded">10</dd>' in page
