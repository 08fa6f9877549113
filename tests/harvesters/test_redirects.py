"""Credentials never follow a redirect to another host (scheme, host, port): forge A on
127.0.0.1 redirects to server B on another port; B must receive nothing, and the harvest says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harvesters.run import run_harvest

from .conftest import add_repository, make_config, reason, sample_repo, stored
from .fakes import FakeGitHub, FakeGitLab
from .gitserver import GitServer, git

GITLAB_TOKEN = "glpat-secret-token"
GITHUB_TOKEN = "ghp_secret_token"




@pytest.fixture
def other_host() -> Iterator[FakeGitLab]:
    """Server B: answers 404 to everything and keeps every request's headers."""
    server = FakeGitLab().start()
    yield server
    server.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_gitlab_redirect_to_another_host_is_refused_with_its_token(
        db, fake_gitlab: FakeGitLab, other_host: FakeGitLab, status: int) -> None:
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="pseudo", id=4242))
    fake_gitlab.redirect(r"^/api/v4/projects/", lambda path: other_host.base + path, status)
    repo_id = await add_repository("https://gitlab.com/healthdatahub/pseudo", forge="gitlab")

    report = await run_harvest(make_config(gitlab=fake_gitlab, gitlab_tokens={"gitlab.com": GITLAB_TOKEN}),
                               everything=True)

    assert other_host.request_headers == []  # neither PRIVATE-TOKEN nor the cookie, nothing at all
    [(path, headers)] = fake_gitlab.request_headers  # refused at once: not retried
    assert (path, headers["private-token"]) == ("/api/v4/projects/healthdatahub%2Fpseudo?license=true",
                                                GITLAB_TOKEN)
    row = await stored(repo_id)
    assert reason(row) == (
        f"GitLab (gitlab.com) a redirigé ({status}) vers un autre hôte ({other_host.base}) : "
        "redirection refusée, nos identifiants ne quittent pas la forge")
    assert (row["full_name"], row["consecutive_failures"]) == ("", 1)
    assert (report.totals.failed, report.totals.requests) == (1, 1)


async def test_gitlab_redirect_to_localhost_name_is_another_host(
        db, fake_gitlab: FakeGitLab, other_host: FakeGitLab) -> None:
    """Same machine, same port even, but another host name: another origin."""
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="pseudo", id=4242))
    port = fake_gitlab.server.server_address[1]
    fake_gitlab.redirect(r"^/api/v4/projects/", lambda path: f"http://localhost:{port}{path}", 307)
    repo_id = await add_repository("https://gitlab.com/healthdatahub/pseudo", forge="gitlab")

    await run_harvest(make_config(gitlab=fake_gitlab, gitlab_tokens={"gitlab.com": GITLAB_TOKEN}),
                      everything=True)

    assert len(fake_gitlab.request_headers) == 1
    assert reason(await stored(repo_id)) == (
        f"GitLab (gitlab.com) a redirigé (307) vers un autre hôte (http://localhost:{port}) : "
        "redirection refusée, nos identifiants ne quittent pas la forge")


async def test_gitlab_redirect_within_the_same_host_is_followed(db, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="pseudo", id=4242))
    fake_gitlab.redirect(r"healthdatahub%2Fpseudo\?license=true$",
                         f"{fake_gitlab.base}/api/v4/projects/4242?license=true", 301)
    repo_id = await add_repository("https://gitlab.com/healthdatahub/pseudo", forge="gitlab")

    await run_harvest(make_config(gitlab=fake_gitlab, gitlab_tokens={"gitlab.com": GITLAB_TOKEN}),
                      everything=True)

    row = await stored(repo_id)
    assert (row["last_error"], row["full_name"], row["forge_id"]) == ("", "healthdatahub/pseudo", "4242")
    first, second = fake_gitlab.request_headers[:2]
    assert (first[0], second[0]) == ("/api/v4/projects/healthdatahub%2Fpseudo?license=true",
                                     "/api/v4/projects/4242?license=true")
    assert second[1]["private-token"] == GITLAB_TOKEN


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_github_redirect_to_another_host_is_refused_with_its_token(
        db, fake_github: FakeGitHub, other_host: FakeGitLab, status: int, host: str) -> None:
    fake_github.add(sample_repo())
    port = other_host.server.server_address[1]
    fake_github.redirect(r"^/repos/hdh/pseudo$", lambda path: f"http://{host}:{port}{path}", status)
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    await run_harvest(make_config(github=fake_github, github_token=GITHUB_TOKEN), everything=True)

    assert other_host.request_headers == []
    [(path, headers)] = fake_github.request_headers
    assert (path, headers["authorization"]) == ("/repos/hdh/pseudo", f"token {GITHUB_TOKEN}")
    row = await stored(repo_id)
    assert reason(row) == (
        f"GitHub a redirigé ({status}) vers un autre hôte (http://{host}:{port}) : "
        "redirection refusée, nos identifiants ne quittent pas la forge")


async def test_github_move_within_the_api_host_is_still_followed(db, fake_github: FakeGitHub) -> None:
    fake_github.add(sample_repo(name="new-name", id=55))
    fake_github.moved["hdh/old-name"] = "hdh/new-name"
    repo_id = await add_repository("https://github.com/hdh/old-name")

    await run_harvest(make_config(github=fake_github, github_token=GITHUB_TOKEN), everything=True)

    row = await stored(repo_id)
    assert (row["last_error"], row["url"], row["moved_from"]) == (
        "", "https://github.com/hdh/new-name", "https://github.com/hdh/old-name")
    assert fake_github.request_headers[1][0] == "/repositories/55"



async def test_plain_git_redirect_is_never_followed(
        db, git_server: GitServer, fake_gitlab: FakeGitLab, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A (a plain web server here) redirects to B, a real Git server: git must not go there, and
    no header from the ambient git configuration (user file, environment) is sent anywhere."""
    work = git_server.create("algo", {"README.md": "# Algo\n"})
    git(work, "push", "-q", "origin", "main")
    target = git_server.url("algo").removesuffix("/algo.git")
    fake_gitlab.redirect(r"^/algo\.git/", lambda path: target + path, 301)
    user_config = tmp_path / "user.gitconfig"
    user_config.write_text("[http]\n\textraHeader = Authorization: Bearer from-user-config\n"
                           "\tfollowRedirects = true\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(user_config))
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "http.extraHeader")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "X-Forge-Token: from-environment")
    repo_id = await add_repository(f"{fake_gitlab.base}/algo.git", forge="git")

    report = await run_harvest(make_config(), everything=True)

    assert git_server.requests == []
    [(path, headers)] = fake_gitlab.request_headers
    assert path == "/algo.git/info/refs?service=git-upload-pack"
    assert "authorization" not in headers and "x-forge-token" not in headers
    row = await stored(repo_id)
    assert reason(row) == ("le serveur Git a répondu par une redirection (301) : "
                                 "redirection refusée, la collecte ne suit aucune redirection")
    assert (row["head_sha"], report.totals.failed) == ("", 1)
