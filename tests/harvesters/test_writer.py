"""The run's single writer: 304s stored in batches, one search refresh per changed project."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

import registry.projects.search
from harvesters.run import run_harvest
from registry.harvest.records import Outcome
from registry.projects.tables import Project

from .conftest import add_repository, make_config, sample_repo, stored
from .fakes import FakeGitHub

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_unchanged_repositories_get_their_bookkeeping_in_one_batch(db, fake_github: FakeGitHub) -> None:
    ids = []
    for i, name in enumerate(("a", "b", "c")):
        fake_github.add(sample_repo(name=name, id=300 + i))
        ids.append(await add_repository(f"https://github.com/hdh/{name}", slug="shared"))
    await run_harvest(make_config(fake_github), everything=True)
    before = {i: await stored(i) for i in ids}
    seen: list[tuple[int, Outcome, datetime | None]] = []

    report = await run_harvest(make_config(fake_github), everything=True, clock=lambda: NOW,
                               on_progress=lambda t, r: seen.append((t.id, r.outcome, r.next_attempt_at)))

    assert (report.totals.unchanged, report.totals.not_modified, report.totals.requests) == (3, 3, 3)
    assert sorted(seen) == [(i, Outcome.UNCHANGED, NOW + timedelta(hours=1)) for i in ids]
    for i in ids:
        row = await stored(i)
        assert (row["last_success_at"], row["last_attempt_at"], row["next_attempt_at"]) == (
            NOW, NOW, NOW + timedelta(hours=1))
        assert (row["last_error"], row["last_error_at"], row["consecutive_failures"], row["gone"]) == (
            "", None, 0, False)
        validators = row["validators"]
        assert validators == before[i]["validators"]
        assert (json.loads(validators) if isinstance(validators, str) else validators)["repo"]["etag"]


async def test_search_index_is_refreshed_once_per_changed_project(db, fake_github: FakeGitHub,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for i, name in enumerate(("a", "b")):
        fake_github.add(sample_repo(name=name, id=400 + i))
        await add_repository(f"https://github.com/hdh/{name}", slug="shared")
    fake_github.add(sample_repo(name="c", id=402))
    await add_repository("https://github.com/hdh/c", slug="alone")
    refreshed: list[int] = []
    original = registry.projects.search.refresh_search_index

    async def counting(project_id: int) -> None:
        refreshed.append(project_id)
        await original(project_id)

    monkeypatch.setattr(registry.projects.search, "refresh_search_index", counting)

    await run_harvest(make_config(fake_github), everything=True)
    shared = await Project.objects().get(Project.slug == "shared")
    alone = await Project.objects().get(Project.slug == "alone")
    assert refreshed == sorted([shared.id, alone.id])

    refreshed.clear()
    fake_github.repos["hdh/b"].stars = 99
    await run_harvest(make_config(fake_github), everything=True)
    assert refreshed == [shared.id]
    found = await Project.select(Project.latest_release_tag).where(Project.id == shared.id).first()
    assert found == {"latest_release_tag": "v1.0"}
