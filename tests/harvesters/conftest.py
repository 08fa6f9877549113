from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from harvesters.config import HarvestConfig
from registry.projects.tables import Project, Release, Repository

from .fakes import FakeGitHub, FakeGitLab, FakeRepo
from .gitserver import GitServer

README = "# Pseudo\n\nOutil de **pseudonymisation**.\n\n<script>alert(1)</script>\n"
MIT = "MIT License\n\nCopyright (c) 2026 HDH\n\nPermission is hereby granted, free of charge..."
CODEMETA = '{"@context": "https://doi.org/10.5063/schema/codemeta-2.0", "name": "pseudo"}'
CITATION = "cff-version: 1.2.0\ntitle: pseudo\ndate-released: 2026-01-02\n"


def sample_repo(owner: str = "hdh", name: str = "pseudo", id: int = 101) -> FakeRepo:
    return FakeRepo(
        owner=owner, name=name, id=id,
        tags=[
            ("v0.9", "c" * 40, "2025-11-02T08:00:00Z", None),
            ("v1.0", "b" * 40, "2026-01-05T10:00:00Z",
             {"name": "Version 1.0", "body": "Première version *stable*.",
              "published_at": "2026-01-05T12:00:00Z"}),
        ],
        files={"README.md": README, "LICENSE": MIT, "codemeta.json": CODEMETA,
               "CITATION.cff": CITATION, "setup.py": "print('x')\n"},
    )


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    forge = FakeGitHub().start()
    yield forge
    forge.stop()


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    forge = FakeGitLab().start()
    yield forge
    forge.stop()


def make_config(github: FakeGitHub | None = None, gitlab: FakeGitLab | None = None,
                **overrides: Any) -> HarvestConfig:
    values: dict[str, Any] = dict(
        github_api_url=github.base if github else "http://127.0.0.1:9",
        gitlab_hosts=("gitlab.com",),
        gitlab_api_urls={"gitlab.com": f"{gitlab.base}/api/v4"} if gitlab else {},
        allow_loopback=True, concurrency=4, timeout_seconds=0.5, max_attempts=3,
        backoff_seconds=0.01, max_wait_seconds=0.5, rate_limit_reserve=5,
        check_interval=timedelta(hours=1),
    )
    values.update(overrides)
    return HarvestConfig(**values)


async def add_repository(url: str, *, forge: str = "github", slug: str = "pseudo") -> int:
    project = await Project.objects().get(Project.slug == slug)
    if project is None:
        project = Project(slug=slug, title=f"Projet {slug}")
        await project.save()
    repo = Repository(project=project.id, url=url, forge=forge)
    await repo.save()
    return int(repo.id)


async def stored(repository_id: int) -> dict[str, Any]:
    row = await Repository.select().where(Repository.id == repository_id).first()
    assert row is not None
    return row


async def releases(repository_id: int) -> list[dict[str, Any]]:
    return await Release.select(
        Release.tag, Release.name, Release.published_at, Release.commit_sha, Release.from_tag_only,
        Release.url,
    ).where(Release.repository == repository_id).order_by(Release.tag)


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    """A plain Git server on 127.0.0.1 serving repositories made under tmp_path."""
    server = GitServer(tmp_path)
    yield server
    server.stop()


def reason(row: dict) -> str:
    """The stored error without the retry time the ingestion appends."""
    text, retry, _ = row["last_error"].partition(" ; nouvel essai à ")
    assert retry, row["last_error"]
    return text
