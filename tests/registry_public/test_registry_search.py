"""Full-text search: accents, case and French stems, on both engines; the index follows changes."""

import pytest

from registry.projects.browse import BrowseQuery, parse_browse_query
from registry.projects.queries import browse_projects
from registry.projects.search import refresh_search_index, stem_words
from registry.projects.tables import Project


async def _slugs(**params) -> list[str]:
    result = await browse_projects(BrowseQuery(sort="name", **params), with_facets=False)
    return [item["slug"] for item in result.items]


def test_stem_words_folds_accents_before_stemming():
    assert stem_words("Données DONNEES données") == ["donne", "donne", "donne"]
    assert stem_words("pseudonymiser pseudonymisation") == ["pseudonymis", "pseudonymis"]


@pytest.mark.parametrize("text", ["pseudonymisation", "PSEUDONYMISER", "pseudonymisé"])
async def test_search_stems_french_and_ignores_case(demo, text):
    assert await _slugs(q=text) == ["eds-pseudo"]


async def test_search_ignores_accents_both_ways(demo):
    assert await _slugs(q="hopitaux") == await _slugs(q="HÔPITAUX") == ["eds-scikit", "tableau-bord-sejours"]
    assert await _slugs(q="synthetiques") == ["snds-synthetique"]
    assert await _slugs(q="SYNTHÉTIQUE") == ["snds-synthetique"]


async def test_search_needs_every_word(demo):
    assert await _slugs(q="comptes rendus pseudonymisation") == ["eds-pseudo"]
    assert await _slugs(q="introuvable zzzz") == []


async def test_search_with_operators_in_text_is_harmless(demo):
    assert await _slugs(q='"OR* NEAR( -snds') == []
    assert (await browse_projects(parse_browse_query({"q": ["AND OR NOT"]}), with_facets=False)).total >= 0


async def test_refresh_search_index_follows_a_changed_title(demo):
    project = await Project.objects().get(Project.slug == "snds-tools")
    assert await _slugs(q="kaleidoscope") == []
    await Project.update({Project.public_title: "Le kaléidoscope des données"}).where(Project.id == project.id)
    assert await _slugs(q="kaleidoscope") == []  # not yet indexed
    await refresh_search_index(project.id)
    assert await _slugs(q="KALEIDOSCOPE") == ["snds-tools"]


async def test_deleted_project_leaves_the_index(demo):
    await Project.delete().where(Project.slug == "eds-pseudo")
    assert await _slugs(q="pseudonymisation") == []


async def test_concurrent_refreshes_of_one_project_do_not_collide(demo):
    import asyncio

    from registry.projects.search import refresh_search_index
    from registry.projects.tables import Project, ProjectFacet

    project = await Project.select(Project.id).where(Project.slug == "edsnlp").first()
    before = await ProjectFacet.select(ProjectFacet.kind, ProjectFacet.value).where(
        ProjectFacet.project == project["id"]).order_by(ProjectFacet.kind).order_by(ProjectFacet.value)
    await asyncio.gather(*(refresh_search_index(project["id"]) for _ in range(4)))
    after = await ProjectFacet.select(ProjectFacet.kind, ProjectFacet.value).where(
        ProjectFacet.project == project["id"]).order_by(ProjectFacet.kind).order_by(ProjectFacet.value)
    assert after == before and len(after) > 3
