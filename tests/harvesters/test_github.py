from __future__ import annotations

import json
from datetime import UTC, datetime

from harvesters.run import run_harvest
from registry.harvest.tables import HarvestRun

from .conftest import MIT, add_repository, make_config, releases, sample_repo, stored
from .fakes import FakeGitHub, FakeRepo


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def test_github_first_harvest_stores_the_full_record(db, fake_github: FakeGitHub) -> None:
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    report = await run_harvest(make_config(fake_github), everything=True)

    row = await stored(repo_id)
    assert (row["full_name"], row["forge_id"], row["default_branch"]) == ("hdh/pseudo", "101", "main")
    assert row["description"] == "Pseudonymisation des données de santé"
    assert _json(row["topics"]) == ["sante", "open-source"]
    assert _json(row["languages"]) == {"Python": 12000, "Shell": 300}
    assert (row["stars"], row["forks"], row["archived"]) == (12, 3, False)
    assert row["last_push_at"] == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    assert row["licence_forge"] == "MIT"
    assert _json(row["licence_texts"]) == {"LICENSE": MIT}
    assert "<strong>pseudonymisation</strong>" in row["readme_html"]
    assert "<script>" not in row["readme_html"]
    metadata = _json(row["metadata_files"])
    assert metadata["codemeta.json"]["name"] == "pseudo"
    assert metadata["CITATION.cff"] == {"cff-version": "1.2.0", "title": "pseudo",
                                        "date-released": "2026-01-02"}
    assert row["url"] == "https://github.com/hdh/pseudo" and row["moved_from"] == ""
    assert (row["last_error"], row["consecutive_failures"]) == ("", 0)
    assert await releases(repo_id) == [
        {"tag": "v0.9", "name": "v0.9", "published_at": datetime(2025, 11, 2, 8, tzinfo=UTC),
         "commit_sha": "c" * 40, "from_tag_only": True,
         "url": "https://github.com/hdh/pseudo/tree/v0.9"},
        {"tag": "v1.0", "name": "Version 1.0", "published_at": datetime(2026, 1, 5, 12, tzinfo=UTC),
         "commit_sha": "b" * 40, "from_tag_only": False,
         "url": "https://github.com/hdh/pseudo/releases/tag/v1.0"},
    ]
    # repo, languages, tags, releases, 1 commit date, root listing, 4 files
    assert sorted(fake_github.paths()) == sorted([
        "/repos/hdh/pseudo", "/repos/hdh/pseudo/languages", "/repos/hdh/pseudo/tags?per_page=100",
        "/repos/hdh/pseudo/releases?per_page=100", f"/repos/hdh/pseudo/commits/{'c' * 40}",
        "/repos/hdh/pseudo/contents/?ref=main", "/repos/hdh/pseudo/contents/CITATION.cff?ref=main",
        "/repos/hdh/pseudo/contents/LICENSE?ref=main", "/repos/hdh/pseudo/contents/README.md?ref=main",
        "/repos/hdh/pseudo/contents/codemeta.json?ref=main",
    ])
    totals = report.totals
    assert (totals.repositories, totals.changed, totals.unchanged, totals.failed) == (1, 1, 0, 0)
    assert (totals.requests, totals.rate_limited_requests, totals.not_modified) == (10, 10, 0)
    assert totals.rate_limit_remaining == 4990
    run = await HarvestRun.select().where(HarvestRun.id == report.run_id).first()
    assert run["summary"] == "1 dépôt : 0 à jour, 1 modifié, 0 en échec"
    assert (run["requests"], run["changed"], run["rate_limit_remaining"]) == (10, 1, 4990)


async def test_github_unchanged_repository_costs_one_free_request(db, fake_github) -> None:
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    await run_harvest(make_config(fake_github), everything=True)
    before = await stored(repo_id)
    fake_github.log.clear()

    report = await run_harvest(make_config(fake_github), everything=True)

    assert fake_github.log == [("/repos/hdh/pseudo", 304)]
    assert (report.totals.requests, report.totals.rate_limited_requests,
            report.totals.not_modified, report.totals.unchanged) == (1, 0, 1, 1)
    after = await stored(repo_id)
    assert {k: v for k, v in after.items() if k not in {"last_success_at", "last_attempt_at",
            "next_attempt_at"}} == {k: v for k, v in before.items() if k not in
            {"last_success_at", "last_attempt_at", "next_attempt_at"}}


async def test_github_new_push_fetches_only_what_changed(db, fake_github) -> None:
    repo = fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    await run_harvest(make_config(fake_github), everything=True)
    fake_github.log.clear()
    repo.pushed_at = "2026-02-01T09:00:00Z"
    repo.stars = 13
    repo.files["README.md"] = "# Pseudo 2\n"
    repo.tags.append(("v1.1", "e" * 40, "2026-02-01T08:00:00Z",
                      {"name": "1.1", "body": "Corrections", "published_at": "2026-02-01T09:00:00Z"}))

    report = await run_harvest(make_config(fake_github), everything=True)

    assert fake_github.log == [
        ("/repos/hdh/pseudo", 200), ("/repos/hdh/pseudo/languages", 304),
        ("/repos/hdh/pseudo/tags?per_page=100", 200), ("/repos/hdh/pseudo/releases?per_page=100", 200),
        ("/repos/hdh/pseudo/contents/?ref=main", 200),
        ("/repos/hdh/pseudo/contents/README.md?ref=main", 200),
    ]
    assert (report.totals.changed, report.totals.rate_limited_requests, report.totals.not_modified) == (1, 5, 1)
    row = await stored(repo_id)
    assert row["stars"] == 13 and row["readme_html"] == "<h1>Pseudo 2</h1>\n"
    assert _json(row["licence_texts"]) == {"LICENSE": MIT}
    assert [r["tag"] for r in await releases(repo_id)] == ["v0.9", "v1.0", "v1.1"]


async def test_github_moved_repository_is_followed(db, fake_github) -> None:
    fake_github.add(sample_repo(owner="healthdatahub", name="pseudo-v2"))
    fake_github.moved["hdh/pseudo"] = "healthdatahub/pseudo-v2"
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    report = await run_harvest(make_config(fake_github), everything=True)

    row = await stored(repo_id)
    assert row["url"] == "https://github.com/healthdatahub/pseudo-v2"
    assert row["moved_from"] == "https://github.com/hdh/pseudo"
    assert row["full_name"] == "healthdatahub/pseudo-v2"
    assert fake_github.log[:2] == [("/repos/hdh/pseudo", 301), ("/repositories/101", 200)]
    assert report.totals.changed == 1


async def test_github_deleted_repository_is_marked_gone_keeping_data(db, fake_github) -> None:
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    await run_harvest(make_config(fake_github), everything=True)
    del fake_github.repos["hdh/pseudo"]

    report = await run_harvest(make_config(fake_github), everything=True)

    row = await stored(repo_id)
    assert row["gone"] is True
    assert row["last_error"] == "le dépôt n'existe plus sur GitHub (404) ; données conservées"
    assert row["stars"] == 12 and row["full_name"] == "hdh/pseudo"
    assert len(await releases(repo_id)) == 2
    assert (report.totals.failed, report.totals.changed) == (1, 0)


async def test_github_tag_only_release_without_token_limit(db, fake_github) -> None:
    repo = FakeRepo(owner="hdh", name="tags", id=5, tags=[("0.1", "f" * 40, "2025-03-01T00:00:00Z", None)])
    fake_github.add(repo)
    repo_id = await add_repository("https://github.com/hdh/tags")

    await run_harvest(make_config(fake_github), everything=True)

    assert await releases(repo_id) == [
        {"tag": "0.1", "name": "0.1", "published_at": datetime(2025, 3, 1, tzinfo=UTC),
         "commit_sha": "f" * 40, "from_tag_only": True, "url": "https://github.com/hdh/tags/tree/0.1"}
    ]
    assert (await stored(repo_id))["readme_html"] == ""


async def test_github_pagination_follows_link_headers(db, fake_github) -> None:
    repo = FakeRepo(owner="hdh", name="many", id=6, tags=[
        (f"v{i}", f"{i:040d}", "2025-03-01T00:00:00Z",
         {"name": f"R{i}", "body": "", "published_at": "2025-03-01T00:00:00Z"})
        for i in range(150)
    ])
    fake_github.add(repo)
    repo_id = await add_repository("https://github.com/hdh/many")

    await run_harvest(make_config(fake_github), everything=True)

    assert len(await releases(repo_id)) == 150
    assert "/repos/hdh/many/releases?page=2&per_page=100" in fake_github.paths()
