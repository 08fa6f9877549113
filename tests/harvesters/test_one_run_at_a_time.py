"""One harvest run at a time: a second one, from anywhere, harvests nothing and says so."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

import pytest
from markupsafe import escape

from app.scheduler import _Election, scheduled_harvest
from app.settings import load_settings
from harvesters.run import run_harvest
from registry.harvest.lock import ALREADY_RUNNING, HarvestAlreadyRunning, harvest_run_lock
from registry.harvest.queries import recent_runs
from registry.harvest.tables import HarvestRun
from tests.conftest import csrf_from, http_client, login

from .conftest import add_repository, make_config, sample_repo, stored
from .fakes import FakeGitHub
from .test_cli_and_scheduler import _run as run_cli
from .test_scheduling import scheduler_uses

ENGLISH = "Another harvest is running: this one was not started. Try again when it has finished."
DONE = "1 dépôt : 0 à jour, 1 modifié, 0 en échec"


@contextlib.asynccontextmanager
async def another_run() -> AsyncIterator[None]:
    """Holds the harvest lock as a run in another process would."""
    lock = harvest_run_lock()
    assert await asyncio.to_thread(lock.try_acquire)
    try:
        yield
    finally:
        lock.release()


async def _nothing_harvested(fake: FakeGitHub, repo_id: int) -> None:
    assert await HarvestRun.count() == 0
    assert fake.paths() == []
    row = await stored(repo_id)
    assert (row["last_attempt_at"], row["description"]) == (None, "")


async def test_run_refused_while_another_holds_the_lock(db, fake_github: FakeGitHub) -> None:
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    async with another_run():
        with pytest.raises(HarvestAlreadyRunning) as refused:
            await run_harvest(make_config(fake_github), everything=True)
    assert (refused.value.detail, refused.value.errors) == (ALREADY_RUNNING, [])
    await _nothing_harvested(fake_github, repo_id)

    # Released with the other run: the next one goes ahead.
    assert (await run_harvest(make_config(fake_github), everything=True)).summary == DONE


async def test_the_scheduler_election_is_another_lock(db, fake_github: FakeGitHub) -> None:
    fake_github.add(sample_repo())
    await add_repository("https://github.com/hdh/pseudo")
    election = _Election(load_settings())
    assert await asyncio.to_thread(election.try_acquire)
    try:
        assert (await run_harvest(make_config(fake_github), everything=True)).summary == DONE
    finally:
        election.release()


async def test_scheduled_jobs_skip_and_log(db, fake_github: FakeGitHub, monkeypatch, caplog) -> None:
    scheduler_uses(fake_github, monkeypatch)
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    caplog.set_level(logging.INFO, logger="app.scheduler")

    async with another_run():
        assert await scheduled_harvest(False) == ALREADY_RUNNING
        assert await scheduled_harvest(True) == ALREADY_RUNNING
    assert [r.getMessage() for r in caplog.records if r.name == "app.scheduler"] == [
        "harvest (check) skipped: another harvest run holds the lock",
        "harvest (full) skipped: another harvest run holds the lock"]
    await _nothing_harvested(fake_github, repo_id)


async def test_harvest_now_page_and_api_answer_409(settings, make_user, api_token, fake_github: FakeGitHub,
                                                   app_factory) -> None:
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    manager = await make_user("manager", email="m@example.org")
    app = app_factory(dataclasses.replace(settings, github_api_url=fake_github.base, allow_loopback_forges=True))
    async with http_client(app) as client:
        await login(client, "m@example.org")
        dashboard = await client.get("/manage/harvest")
        headers = await api_token(manager)
        async with another_run():
            page = await client.post("/manage/harvest/pseudo", data={"_csrf_token": csrf_from(dashboard.text)})
            english = await client.post("/manage/harvest/pseudo?lang=en",
                                        data={"_csrf_token": csrf_from(dashboard.text)})
            api = await client.post("/api/v1/projects/pseudo/harvest", headers=headers)
        assert page.status_code == 409
        assert f'<p class="error-message" role="alert">{escape(ALREADY_RUNNING)}</p>' in page.text
        assert "Collecte terminée" not in page.text
        assert english.status_code == 409 and f'role="alert">{ENGLISH}</p>' in english.text
        assert (api.status_code, api.json()) == (409, {"detail": ALREADY_RUNNING, "errors": []})
        await _nothing_harvested(fake_github, repo_id)

        # A refused attempt does not count against the project's minute.
        done = await client.post("/api/v1/projects/pseudo/harvest", headers=headers)
        assert (done.status_code, done.json()["summary"]) == (200, DONE)


async def test_cli_run_exits_75_while_another_run_holds_the_lock(db, fake_github: FakeGitHub) -> None:
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    async with another_run():
        done = await asyncio.to_thread(run_cli, ["run", "--all"], AMI_GITHUB_API_URL=fake_github.base)

    assert (done.returncode, done.stdout, done.stderr) == (75, "", ALREADY_RUNNING + "\n")
    await _nothing_harvested(fake_github, repo_id)


async def test_overlapping_runs_the_second_ones_harvest_nothing(settings, make_user, api_token,
                                                               fake_github: FakeGitHub, app_factory,
                                                               monkeypatch) -> None:
    """The daily full job caught mid-way; harvest now, `ami harvest run` and the hourly check meanwhile."""
    scheduler_uses(fake_github, monkeypatch)
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    manager = await make_user("manager")
    headers = await api_token(manager)
    gate = fake_github.hold(r"^/repos/hdh/pseudo$")

    first = asyncio.create_task(scheduled_harvest(True))
    try:
        assert await asyncio.to_thread(gate.arrived.wait, 30)
        app = app_factory(dataclasses.replace(settings, github_api_url=fake_github.base,
                                              allow_loopback_forges=True))
        async with http_client(app) as client:
            api = await client.post("/api/v1/projects/pseudo/harvest", headers=headers)
        cli = await asyncio.to_thread(run_cli, ["run", "--project", "pseudo"], AMI_GITHUB_API_URL=fake_github.base)
        check = await scheduled_harvest(False)
        assert not first.done()
    finally:
        gate.release.set()
    assert await first == DONE

    assert (api.status_code, api.json()) == (409, {"detail": ALREADY_RUNNING, "errors": []})
    assert (cli.returncode, cli.stdout, cli.stderr) == (75, "", ALREADY_RUNNING + "\n")
    assert check == ALREADY_RUNNING
    assert [(r.mode, r.trigger, r.repositories, r.changed) for r in await recent_runs()] == [
        ("full", "scheduler", 1, 1)]
    assert fake_github.paths().count("/repos/hdh/pseudo") == 1
    assert (await stored(repo_id))["description"] == "Pseudonymisation des données de santé"
