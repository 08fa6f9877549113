"""The benchmark's bulk-written registry (bench/registry/generate.py) is what the app reads: if a migration
renames a column or the search index changes shape, the bench would measure empty or broken pages."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from bench.registry import generate
from tests.conftest import ENGINE


async def write_registry(projects: int) -> dict:
    from registry.calls.tables import Call
    from registry.labels.tables import Label
    from registry.labels.taxonomy import load_taxonomy

    await load_taxonomy()
    call = Call(slug="ami-bench", title_fr="AMI banc d'essai", opens_at=datetime(2025, 1, 1, tzinfo=UTC),
                closes_at=datetime(2025, 3, 1, tzinfo=UTC), status="decided")
    await call.save()
    labels = {row["slug"]: row["id"] for row in await Label.select(Label.slug, Label.id)}
    rows = generate.build(projects, 3, labels, call.id)
    url = os.environ["AMI_DATABASE_URL"]
    if ENGINE == "postgres":
        await generate.write_postgres(url, rows)
    else:
        generate.write_sqlite(url.removeprefix("sqlite:///"), rows)
    return rows


async def test_generated_projects_are_browsable_searchable_and_shown(db, client):
    rows = await write_registry(60)
    expected = [r for r in rows["project"] if ("label", "snds") in {
        (kind, value) for pid, kind, value in rows["facet"] if pid == r[0]} and ("forge", "github") in {
        (kind, value) for pid, kind, value in rows["facet"] if pid == r[0]}]
    assert expected, "the seed should give some snds + github projects"

    page = await client.get("/projects", params={"label": "snds", "forge": "github"})
    assert page.status_code == 200
    shown = set(re.findall(r'href="/projects/(p-\d{5})"', page.text))
    assert shown and shown <= {r[1] for r in expected}

    searched = await client.get("/projects", params={"q": "donnees sante", "label": "snds", "forge": "github"})
    assert searched.status_code == 200
    found = set(re.findall(r'href="/projects/(p-\d{5})"', searched.text))
    assert found and found <= {r[1] for r in expected}  # the generated search index answers the query

    first = rows["project"][0]
    project = await client.get(f"/projects/{first[1]}")
    assert project.status_code == 200
    assert first[3] in project.text  # public title
    assert "v1.2.0" in project.text  # its latest generated release

    api = await client.get("/api/v1/projects")
    assert api.status_code == 200
    assert api.json()["total"] == 60
    assert {item["slug"] for item in api.json()["items"]} <= {r[1] for r in rows["project"]}
