"""What the scheduled jobs cover: the hourly check the due repositories (gone ones a day later),
the daily full job every repository not gone."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from app.scheduler import scheduled_harvest, start_scheduler
from app.settings import load_settings
from registry.harvest.queries import recent_runs
from registry.projects.tables import Repository

from .conftest import add_repository, releases, sample_repo, stored
from .fakes import FakeGitHub


def scheduler_uses(fake: FakeGitHub, monkeypatch) -> None:
    """The jobs read their settings from the environment, as in `ami serve`."""
    monkeypatch.setenv("AMI_GITHUB_API_URL", fake.base)
    monkeypatch.setenv("AMI_ALLOW_LOOPBACK_FORGES", "on")


async def _set(repository_id: int, **values: object) -> None:
    await Repository.update({getattr(Repository, k): v for k, v in values.items()}).where(
        Repository.id == repository_id)


async def test_gone_repository_is_checked_again_a_day_later_and_harvested_when_back(
        db, fake_github: FakeGitHub, monkeypatch) -> None:
    scheduler_uses(fake_github, monkeypatch)
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    assert await scheduled_harvest(False) == "1 dépôt : 0 à jour, 0 modifié, 1 en échec"
    gone = await stored(repo_id)
    assert gone["gone"] is True
    assert gone["next_attempt_at"] - gone["last_attempt_at"] == timedelta(days=1)
    fake_github.add(sample_repo())  # it comes back

    # Within the day, neither job asks the forge again.
    assert await scheduled_harvest(False) == "0 dépôt : 0 à jour, 0 modifié, 0 en échec"
    assert await scheduled_harvest(True) == "0 dépôt : 0 à jour, 0 modifié, 0 en échec"
    assert fake_github.paths() == ["/repos/hdh/pseudo"]

    await _set(repo_id, next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))  # the day is over
    assert await scheduled_harvest(False) == "1 dépôt : 0 à jour, 1 modifié, 0 en échec"

    back = await stored(repo_id)
    assert {k: back[k] for k in ("gone", "last_error", "consecutive_failures", "description", "stars")} == {
        "gone": False, "last_error": "", "consecutive_failures": 0,
        "description": "Pseudonymisation des données de santé", "stars": 12}
    assert back["next_attempt_at"] - back["last_success_at"] == timedelta(hours=1)
    assert [r["tag"] for r in await releases(repo_id)] == ["v0.9", "v1.0"]
    assert [(r.mode, r.trigger, r.repositories, r.changed, r.failed) for r in reversed(await recent_runs())] == [
        ("check", "scheduler", 1, 0, 1), ("check", "scheduler", 0, 0, 0), ("full", "scheduler", 0, 0, 0),
        ("check", "scheduler", 1, 1, 0)]


async def test_daily_full_job_covers_every_repository_not_gone_due_or_not(
        db, fake_github: FakeGitHub, monkeypatch) -> None:
    scheduler_uses(fake_github, monkeypatch)
    ids = {}
    for number, name in enumerate(("recent", "other", "fresh", "back"), start=1):
        fake_github.add(sample_repo(name=name, id=number))
    for name in ("recent", "other"):
        ids[name] = await add_repository(f"https://github.com/hdh/{name}", slug=name)
    assert await scheduled_harvest(False) == "2 dépôts : 0 à jour, 2 modifiés, 0 en échec"
    # Now: "recent" and "other" are not due for an hour; "fresh" was never harvested; "back" was
    # found gone a day ago and answers again; "away" was found gone an hour ago.
    now = datetime.now(UTC)
    for name in ("fresh", "back", "away"):
        ids[name] = await add_repository(f"https://github.com/hdh/{name}", slug=name)
    await _set(ids["back"], gone=True, next_attempt_at=now - timedelta(minutes=1))
    await _set(ids["away"], gone=True, next_attempt_at=now + timedelta(hours=23))
    before = {name: await stored(i) for name, i in ids.items()}
    fake_github.log.clear()

    assert await scheduled_harvest(True) == "4 dépôts : 2 à jour, 2 modifiés, 0 en échec"

    after = {name: await stored(i) for name, i in ids.items()}
    assert {name: after[name]["last_attempt_at"] > now for name in ("recent", "other", "fresh", "back")} == {
        "recent": True, "other": True, "fresh": True, "back": True}
    assert after["away"] == before["away"]
    assert {name: after[name]["gone"] for name in ids} == {
        "recent": False, "other": False, "fresh": False, "back": False, "away": True}
    assert sorted(p for p in fake_github.paths() if p.count("/") == 3) == [
        "/repos/hdh/back", "/repos/hdh/fresh", "/repos/hdh/other", "/repos/hdh/recent"]
    # The hourly check still takes only the due ones: none now.
    assert await scheduled_harvest(False) == "0 dépôt : 0 à jour, 0 modifié, 0 en échec"


async def test_checks_never_start_with_the_full_run(db) -> None:
    handle = start_scheduler(load_settings({**os.environ, "AMI_SCHEDULER": "on"}))
    try:
        assert handle.is_leader and handle.scheduler is not None
        check = handle.scheduler.get_job("harvest-check")
        full = handle.scheduler.get_job("harvest-full")
        assert (check.trigger.interval, full.trigger.interval) == (timedelta(hours=1), timedelta(hours=24))
        # Checks at +0.5 h, +1.5 h … and full runs at +24 h: never the same moment.
        assert full.trigger.start_date - check.trigger.start_date == timedelta(hours=23, minutes=30)
    finally:
        handle.shutdown()
