"""Every fault leaves previously harvested data intact and a readable reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harvesters.run import run_harvest

from .conftest import add_repository, make_config, releases, sample_repo, stored
from .fakes import FakeGitHub

DATA_FIELDS = ("full_name", "description", "stars", "forks", "readme_html", "licence_texts",
               "metadata_files", "validators", "last_push_at", "url", "gone", "last_success_at")


async def _harvested(fake: FakeGitHub, *names: str) -> list[int]:
    ids = []
    for i, name in enumerate(names):
        fake.add(sample_repo(name=name, id=200 + i))
        ids.append(await add_repository(f"https://github.com/hdh/{name}", slug=name))
    await run_harvest(make_config(fake), everything=True)
    return ids


async def _expect_failure(repo_id: int, before: dict, reason_start: str) -> dict:
    after = await stored(repo_id)
    assert {k: after[k] for k in DATA_FIELDS} == {k: before[k] for k in DATA_FIELDS}
    assert after["last_error"].startswith(reason_start), after["last_error"]
    assert " ; nouvel essai à " in after["last_error"] or " ; nouvel essai le " in after["last_error"]
    assert after["consecutive_failures"] == 1
    assert len(await releases(repo_id)) == 2
    return after


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("status:502", "GitHub a répondu 502 (erreur du serveur) trois fois"),
        ("timeout", "GitHub n'a pas répondu à temps (délai de 0.5 s dépassé) trois fois"),
        ("malformed", "GitHub a renvoyé une réponse illisible (JSON invalide) pour /repos/hdh/broken"),
        ("missing:pushed_at", "GitHub a renvoyé une réponse incomplète : champ « pushed_at » absent"),
        ("drop", "connexion à GitHub impossible"),
    ],
)
async def test_github_fault_keeps_data_and_goes_on(db, fake_github, kind, reason) -> None:
    broken, fine = await _harvested(fake_github, "broken", "fine")
    before = await stored(broken)
    fake_github.repos["hdh/broken"].pushed_at = "2026-03-01T00:00:00Z"
    fake_github.repos["hdh/broken"].stars = 99
    fake_github.repos["hdh/fine"].stars = 50
    fake_github.fault(r"^/repos/hdh/broken$", kind)

    report = await run_harvest(make_config(fake_github), everything=True)

    await _expect_failure(broken, before, reason)
    assert (await stored(fine))["stars"] == 50
    assert (report.totals.failed, report.totals.changed) == (1, 1)
    assert report.summary == "2 dépôts : 0 à jour, 1 modifié, 1 en échec"


async def test_github_pagination_cut_short_fails_without_partial_list(db, fake_github) -> None:
    (repo_id,) = await _harvested(fake_github, "long")
    repo = fake_github.repos["hdh/long"]
    repo.tags = [(f"v{i}", f"{i:040d}", "2025-03-01T00:00:00Z",
                  {"name": "r", "body": "", "published_at": "2025-03-01T00:00:00Z"}) for i in range(120)]
    repo.pushed_at = "2026-03-01T00:00:00Z"
    before = await stored(repo_id)
    fake_github.fault(r"/tags\?page=2", "status:500")

    await run_harvest(make_config(fake_github), everything=True)

    await _expect_failure(
        repo_id, before,
        "la liste des étiquettes s'est interrompue page 2 : GitHub a répondu 500 (erreur du serveur) trois fois",
    )


async def test_connection_refused_is_reported(db) -> None:
    repo_id = await add_repository("https://github.com/hdh/nowhere")
    report = await run_harvest(make_config(None), everything=True)
    row = await stored(repo_id)
    assert row["last_error"].startswith("connexion à GitHub impossible (connexion refusée) trois fois")
    assert (report.totals.failed, report.totals.requests) == (1, 3)


async def test_rate_limit_reserve_defers_the_rest_until_reset(db, fake_github) -> None:
    ids = await _harvested(fake_github, "a", "b", "c")
    for repo in fake_github.repos.values():
        repo.stars += 1
    fake_github.remaining = 6  # the reserve is 5: one request left before pausing
    reset = datetime.fromtimestamp(fake_github.reset_at, UTC)

    report = await run_harvest(make_config(fake_github, concurrency=1), everything=True)

    assert (report.totals.changed, report.totals.deferred, report.totals.failed) == (1, 2, 0)
    assert report.totals.rate_limit_remaining == 5
    deferred = [await stored(i) for i in ids[1:]]
    for row in deferred:
        assert row["next_attempt_at"] == reset
        assert row["last_error"].startswith(
            "quota de requêtes GitHub presque épuisé (5 restantes, réserve 5) ; reprise ")
        assert row["consecutive_failures"] == 0 and row["stars"] == 12
    assert report.summary == "3 dépôts : 0 à jour, 1 modifié, 0 en échec, 2 reportés"


async def test_rate_limit_exhausted_pauses_at_reset(db, fake_github) -> None:
    (repo_id,) = await _harvested(fake_github, "x")
    fake_github.fault(r"^/repos/hdh/x$", "exhausted")
    report = await run_harvest(make_config(fake_github), everything=True)
    row = await stored(repo_id)
    assert report.totals.deferred == 1
    assert row["last_error"].startswith("GitHub : quota de requêtes épuisé ; reprise ")
    assert abs((row["next_attempt_at"] - datetime.fromtimestamp(fake_github.reset_at, UTC)).total_seconds()) < 5


async def test_secondary_limit_defers_by_retry_after(db, fake_github) -> None:
    (repo_id,) = await _harvested(fake_github, "y")
    fake_github.fault(r"^/repos/hdh/y$", "secondary")
    started = datetime.now(UTC)
    report = await run_harvest(make_config(fake_github), everything=True)
    row = await stored(repo_id)
    assert report.totals.deferred == 1
    assert row["last_error"].startswith("GitHub : limite secondaire de requêtes atteinte ; reprise ")
    assert timedelta(minutes=59) < row["next_attempt_at"] - started < timedelta(minutes=61)


async def test_short_retry_after_is_waited_then_succeeds(db, fake_github) -> None:
    (repo_id,) = await _harvested(fake_github, "z")
    fake_github.repos["hdh/z"].stars = 77
    fake_github.fault(r"^/repos/hdh/z$", "status:429", times=1)
    report = await run_harvest(make_config(fake_github), everything=True)
    assert report.totals.changed == 1 and (await stored(repo_id))["stars"] == 77


async def test_repeated_failures_back_off_but_are_never_dropped(db, fake_github) -> None:
    (repo_id,) = await _harvested(fake_github, "flaky")
    fake_github.fault(r"^/repos/hdh/flaky$", "status:503")
    delays = []
    for _ in range(3):
        await run_harvest(make_config(fake_github), everything=True)
        row = await stored(repo_id)
        delays.append((row["next_attempt_at"] - row["last_attempt_at"]).total_seconds() / 3600)
    assert row["consecutive_failures"] == 3
    assert [round(d) for d in delays] == [1, 2, 4]
    fake_github.faults.clear()
    await run_harvest(make_config(fake_github), everything=True)
    row = await stored(repo_id)
    assert (row["consecutive_failures"], row["last_error"]) == (0, "")
