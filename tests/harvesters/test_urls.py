from __future__ import annotations

import pytest

from registry.harvest.urls import UnsafeRepositoryURL, check_repository_url, forge_for_host


@pytest.mark.parametrize(
    ("url", "normalised", "path"),
    [
        ("https://github.com/hdh/pseudo", "https://github.com/hdh/pseudo", "hdh/pseudo"),
        ("https://github.com/hdh/pseudo.git/", "https://github.com/hdh/pseudo", "hdh/pseudo"),
        ("https://gitlab.com/healthdatahub/sub/algo", "https://gitlab.com/healthdatahub/sub/algo",
         "healthdatahub/sub/algo"),
        ("https://git.example.org/team/algo.git", "https://git.example.org/team/algo.git", "team/algo"),
    ],
)
def test_check_repository_url_accepts_public_https(url: str, normalised: str, path: str) -> None:
    parsed = check_repository_url(url)
    assert (parsed.url, parsed.path, parsed.is_loopback) == (normalised, path, False)


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://github.com/hdh/pseudo", "seules les adresses https sont acceptées (reçu « http »)"),
        ("git@github.com:hdh/pseudo.git", "l'adresse du dépôt n'indique pas d'hôte"),
        ("https://127.0.0.1/hdh/pseudo", "l'hôte « 127.0.0.1 » est une adresse locale ou privée"),
        ("https://10.1.2.3/hdh/pseudo", "l'hôte « 10.1.2.3 » est une adresse locale ou privée"),
        ("https://[::1]/hdh/pseudo", "l'hôte « ::1 » est une adresse locale ou privée"),
        ("https://localhost/hdh/pseudo", "l'hôte « localhost » est une adresse locale ou privée"),
        ("https://user:pw@github.com/hdh/pseudo", "l'adresse ne doit pas contenir d'identifiants"),
        ("https://github.com:8443/hdh/pseudo", "le port 8443 n'est pas accepté (https standard seulement)"),
        ("https://github.com/hdh", "l'adresse doit désigner un dépôt (propriétaire/nom)"),
        ("https://github.com/hdh/pseudo/tree/main",
         "une adresse GitHub a la forme https://github.com/propriétaire/nom"),
        ("https://github.com/hdh/../x", "le chemin du dépôt est mal formé"),
    ],
)
def test_check_repository_url_refuses_unsafe(url: str, detail: str) -> None:
    with pytest.raises(UnsafeRepositoryURL) as caught:
        check_repository_url(url)
    assert caught.value.detail == detail


def test_check_repository_url_allowed_hosts_and_loopback() -> None:
    with pytest.raises(UnsafeRepositoryURL) as caught:
        check_repository_url("https://evil.example/x/y", allowed_hosts=("github.com",))
    assert caught.value.detail == "l'hôte « evil.example » n'est pas une forge autorisée"
    parsed = check_repository_url("http://127.0.0.1:8080/algo.git", allow_loopback=True)
    assert (parsed.url, parsed.is_loopback) == ("http://127.0.0.1:8080/algo.git", True)


def test_forge_for_host() -> None:
    hosts = ("gitlab.com", "framagit.org")
    assert [forge_for_host(h, gitlab_hosts=hosts) for h in ("github.com", "framagit.org", "x.org")] == [
        "github", "gitlab", "git"]
