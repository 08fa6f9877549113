"""The project page and the browse page run a bounded number of SQL statements, whatever the number of
releases, repositories, labels and projects (no query per release or per listed project)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry.projects.search import refresh_search_index
from registry.projects.tables import Project, ProjectLabel, Release, Repository

# The data version of the page cache (one statement) is counted: these are the whole request's statements.
# The project, its repositories and releases, labels, milestones, members and reports:
# a constant whatever the project holds (checked below by growing it).
PROJECT_PAGE_STATEMENTS = 6
BROWSE_PAGE_STATEMENTS = 4


@pytest.fixture
def statements(database, monkeypatch):
    """The SQL text of every statement run through the engine, in order."""
    seen: list[str] = []
    engine_class = type(database)  # PostgresEngine has slots: its method is wrapped on the class
    run = engine_class.run_querystring

    async def counting(self, querystring, *args, **kwargs):
        if self is database:
            seen.append(str(querystring))
        return await run(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    return seen


async def _count(client, statements: list[str], url: str, expected_text: str) -> int:
    statements.clear()
    response = await client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert expected_text in response.text
    return len(statements)


async def _grow(slug: str, releases: int, projects: int) -> None:
    """More of everything: releases and a second repository for `slug`, and other labelled projects."""
    project = await Project.select(Project.id).where(Project.slug == slug).first()
    label = await ProjectLabel.select(ProjectLabel.label).where(ProjectLabel.project == project["id"]).first()
    repository = Repository(project=project["id"], url=f"https://github.com/bench/{slug}-bis", forge="github")
    await repository.save()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    await Release.insert(*[
        Release(repository=repository.id, tag=f"v9.{n}.0", published_at=start + timedelta(days=n),
                notes_html=f"<p>Version {n}</p>")
        for n in range(releases)
    ])
    for n in range(projects):
        other = Project(slug=f"projet-compte-{n}", title=f"Projet compté {n}", public_summary="données de santé")
        await other.save()
        await ProjectLabel.insert(ProjectLabel(project=other.id, label=label["label"]))
        other_repository = Repository(project=other.id, url=f"https://github.com/bench/compte-{n}", forge="github")
        await other_repository.save()
        await Release.insert(Release(repository=other_repository.id, tag="v1.0.0", published_at=start))
        await refresh_search_index(other.id)
    await refresh_search_index(project["id"])


async def test_project_and_browse_pages_run_a_bounded_number_of_statements(client, demo, statements):
    label = (await ProjectLabel.select(ProjectLabel.label.slug.as_alias("slug"))
             .where(ProjectLabel.project.slug == "edsnlp").first())["slug"]
    browse = f"/projects?label={label}&forge=github&sort=name"
    before = {
        "project": await _count(client, statements, "/projects/edsnlp", "<h1>"),
        "browse": await _count(client, statements, browse, 'href="/projects/edsnlp"'),
        "all": await _count(client, statements, "/projects", 'href="/projects/edsnlp"'),
    }
    await _grow("edsnlp", releases=25, projects=30)
    # Other URLs than before: the page cache cannot answer them.
    after = {
        "project": await _count(client, statements, "/projects/edsnlp?v=2", "v9.24.0"),
        "browse": await _count(client, statements, f"{browse}&per_page=50", "projet-compte-29"),
        "all": await _count(client, statements, "/projects?per_page=100", "projet-compte-29"),
    }
    assert after == before, (before, after, statements)
    assert before["project"] <= PROJECT_PAGE_STATEMENTS, statements
    assert before["browse"] <= BROWSE_PAGE_STATEMENTS and before["all"] <= BROWSE_PAGE_STATEMENTS
