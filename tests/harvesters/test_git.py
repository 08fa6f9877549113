from __future__ import annotations

import json
from datetime import UTC, datetime

from harvesters.run import run_harvest

from .conftest import MIT, add_repository, make_config, releases, stored
from .gitserver import GitServer, git


async def test_plain_git_harvest_then_incremental(db, git_server: GitServer) -> None:
    work = git_server.create("algo", {"README.md": "# Algo\n", "LICENSE": MIT,
                                      "publiccode.yml": "publiccodeYmlVersion: '0.4'\nname: algo\n"})
    git(work, "tag", "v1.0")
    git(work, "push", "-q", "origin", "main", "--tags")
    url = git_server.url("algo")
    repo_id = await add_repository(url, forge="git")

    first = await run_harvest(make_config(), everything=True)

    row = await stored(repo_id)
    head = git(work, "rev-parse", "HEAD")
    assert (row["default_branch"], row["head_sha"]) == ("main", head)
    assert row["last_push_at"] == datetime(2026, 1, 10, 9, tzinfo=UTC)
    assert row["readme_html"] == "<h1>Algo</h1>\n"
    assert json.loads(row["licence_texts"]) == {"LICENSE": MIT}
    assert json.loads(row["metadata_files"]) == {"publiccode.yml": {"publiccodeYmlVersion": "0.4", "name": "algo"}}
    assert await releases(repo_id) == [
        {"tag": "v1.0", "name": "v1.0", "published_at": datetime(2026, 1, 10, 9, tzinfo=UTC),
         "commit_sha": head, "from_tag_only": True, "url": url.removesuffix(".git")}]
    assert (first.totals.changed, first.totals.requests, first.totals.rate_limited_requests) == (1, 2, 0)

    unchanged = await run_harvest(make_config(), everything=True)
    assert (unchanged.totals.unchanged, unchanged.totals.requests) == (1, 1)

    git_server.commit(work, {"README.md": "# Algo 2\n"}, "docs", date="2026-02-01T10:00:00+00:00")
    git(work, "push", "-q", "origin", "main")
    changed = await run_harvest(make_config(), everything=True)
    row = await stored(repo_id)
    assert (changed.totals.changed, changed.totals.requests) == (1, 2)
    assert row["readme_html"] == "<h1>Algo 2</h1>\n"
    assert row["last_push_at"] == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert json.loads(row["licence_texts"]) == {"LICENSE": MIT}


async def test_plain_git_missing_repository_is_gone(db, git_server: GitServer) -> None:
    repo_id = await add_repository(git_server.url("nothing"), forge="git")
    report = await run_harvest(make_config(), everything=True)
    row = await stored(repo_id)
    assert row["gone"] is True and row["last_error"] == "le dépôt Git est introuvable ; données conservées"
    assert report.totals.failed == 1


async def test_plain_git_refuses_loopback_without_the_test_setting(db, git_server) -> None:
    repo_id = await add_repository(git_server.url("algo"), forge="git")
    await run_harvest(make_config(allow_loopback=False), everything=True)
    row = await stored(repo_id)
    assert row["last_error"].startswith("adresse refusée : seules les adresses https sont acceptées")
