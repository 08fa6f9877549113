from __future__ import annotations

import json
from datetime import UTC, datetime

from harvesters.run import run_harvest

from .conftest import MIT, add_repository, make_config, releases, sample_repo, stored
from .fakes import FakeGitLab


async def test_gitlab_healthdatahub_project_is_harvested(db, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="pseudo", id=4242))
    repo_id = await add_repository("https://gitlab.com/healthdatahub/pseudo", forge="gitlab")

    report = await run_harvest(make_config(gitlab=fake_gitlab), everything=True)

    row = await stored(repo_id)
    assert (row["forge_id"], row["full_name"], row["head_sha"]) == ("4242", "healthdatahub/pseudo", "a" * 40)
    assert (row["stars"], row["forks"], row["licence_forge"]) == (12, 3, "MIT")
    assert json.loads(row["languages"]) == {"Python": 976, "Shell": 24}
    assert json.loads(row["licence_texts"]) == {"LICENSE": MIT}
    assert "<strong>pseudonymisation</strong>" in row["readme_html"]
    assert await releases(repo_id) == [
        {"tag": "v0.9", "name": "v0.9", "published_at": datetime(2025, 11, 2, 8, tzinfo=UTC),
         "commit_sha": "c" * 40, "from_tag_only": True,
         "url": "https://gitlab.com/healthdatahub/pseudo/-/tags/v0.9"},
        {"tag": "v1.0", "name": "Version 1.0", "published_at": datetime(2026, 1, 5, 12, tzinfo=UTC),
         "commit_sha": "b" * 40, "from_tag_only": False,
         "url": "https://gitlab.com/healthdatahub/pseudo/-/releases/v1.0"},
    ]
    assert fake_gitlab.paths()[0] == "/api/v4/projects/healthdatahub%2Fpseudo?license=true"
    assert (report.totals.changed, report.totals.requests, report.totals.rate_limit_remaining) == (1, 10, 4990)

    fake_gitlab.log.clear()
    again = await run_harvest(make_config(gitlab=fake_gitlab), everything=True)
    assert fake_gitlab.log == [("/api/v4/projects/4242?license=true", 304)]
    assert (again.totals.unchanged, again.totals.not_modified) == (1, 1)


async def test_gitlab_moved_and_deleted_projects(db, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="new-name", id=7))
    fake_gitlab.moved["healthdatahub/old-name"] = "healthdatahub/new-name"
    moved_id = await add_repository("https://gitlab.com/healthdatahub/old-name", forge="gitlab")
    gone_id = await add_repository("https://gitlab.com/healthdatahub/removed", forge="gitlab", slug="other")

    report = await run_harvest(make_config(gitlab=fake_gitlab), everything=True)

    moved = await stored(moved_id)
    assert (moved["url"], moved["moved_from"]) == ("https://gitlab.com/healthdatahub/new-name",
                                                   "https://gitlab.com/healthdatahub/old-name")
    gone = await stored(gone_id)
    assert gone["gone"] is True
    assert gone["last_error"] == "le projet n'existe plus sur GitLab (gitlab.com) (404) ; données conservées"
    assert report.summary == "2 dépôts : 0 à jour, 1 modifié, 1 en échec"


async def test_gitlab_server_error_is_retried_then_reported(db, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="pseudo", id=9))
    repo_id = await add_repository("https://gitlab.com/healthdatahub/pseudo", forge="gitlab")
    fake_gitlab.fault(r"/projects/", "status:500")
    await run_harvest(make_config(gitlab=fake_gitlab), everything=True)
    row = await stored(repo_id)
    assert row["last_error"].startswith(
        "GitLab (gitlab.com) a répondu 500 (erreur du serveur) trois fois ; nouvel essai ")
    assert row["full_name"] == "" and len(fake_gitlab.log) == 3
