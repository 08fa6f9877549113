"""The whole demo (`ami demo`) tells one story: the registry's funded projects are those the
transparency page of their call lists, and a call still in review claims no funded project."""

import re

from registry.calls.tables import Call
from registry.demo import load_demo
from registry.projects.tables import Project


def _project_links(html: str) -> list[str]:
    return sorted(set(re.findall(r'<a href="/projects/([a-z0-9-]+)">', html)))


async def test_demo_registry_and_transparency_agree(client, db):
    await load_demo()
    await load_demo()  # idempotent
    calls = {row["slug"]: row for row in await Call.select(Call.id, Call.slug, Call.status)}
    assert calls["ami-2025"]["status"] == "in_review"
    projects = await Project.select(Project.slug, Project.call)
    assert len(projects) == 10
    funding_calls = {row["call"] for row in projects}
    assert len(funding_calls) == 1
    funder = next(row for row in calls.values() if row["id"] in funding_calls)
    # Projects only ever belong to a call whose decisions are out.
    assert funder["status"] in ("decided", "archived")

    registry = (await client.get(f"/projects?call={funder['slug']}&per_page=50")).text
    registry_slugs = sorted(re.findall(r'<li class="project-card">\s*<h3><a href="/projects/([^"]+)">', registry))
    transparency = (await client.get(f"/calls/{funder['slug']}/transparency")).text
    decisions = transparency[transparency.index('id="decisions-title"') :]
    assert registry_slugs == sorted(row["slug"] for row in projects)
    assert _project_links(decisions) == registry_slugs
    assert '<dd id="funded">10</dd>' in transparency
    assert 'id="not-published"' not in transparency
    # Counts the platform does not hold are left out rather than shown as zeros.
    assert 'id="received"' not in transparency and 'id="decided-funded"' not in transparency
    assert '<p class="notice" role="note" id="partial">' in transparency

    # The call still in review says so, and no project page claims it funded them.
    in_review = (await client.get("/calls/ami-2025/transparency")).text
    assert '<p id="not-published">' in in_review and 'id="funded"' not in in_review
    assert "Les candidatures sont en cours d’évaluation par le comité." in in_review
    project = (await client.get(f"/projects/{registry_slugs[0]}")).text
    assert f'<a href="/calls/{funder["slug"]}/transparency" id="call-transparency">' in project
    listing = (await client.get("/calls")).text
    decided = listing[listing.index('id="section-decided"') :]
    assert f'href="/calls/{funder["slug"]}/transparency" class="transparency-link"' in decided
