"""Repository URLs are untrusted input: one pure check shared by applications and harvesters."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

GITHUB_HOST = "github.com"
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


class UnsafeRepositoryURL(ValueError):
    """The URL is refused; `detail` says why, in French."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"{url!r}: {detail}")
        self.url = url
        self.detail = detail


@dataclass(frozen=True)
class ParsedRepoURL:
    url: str  # normalised: no trailing slash, no ".git", no query
    scheme: str
    host: str  # lower case, without the port
    port: int | None
    path: str  # "owner/name" (GitLab: "group/subgroup/name")
    is_loopback: bool

    @property
    def owner(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _ip_is_private(host: str) -> bool | None:
    """None when host is a name, not an address literal."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return not address.is_global


def is_private_address(host: str) -> bool:
    private = _ip_is_private(host)
    if private is not None:
        return private
    lowered = host.lower().rstrip(".")
    return lowered == "localhost" or lowered.endswith(_LOCAL_SUFFIXES) or "." not in lowered


def check_repository_url(
    url: str, *, allowed_hosts: tuple[str, ...] = (), allow_loopback: bool = False
) -> ParsedRepoURL:
    """Accept only https on an allowed forge host (any public host when allowed_hosts is empty).

    Loopback and private addresses are refused unless allow_loopback (tests), which also lets
    plain http through on loopback only.
    """
    raw = url.strip()
    if not raw:
        raise UnsafeRepositoryURL(url, "l'adresse du dépôt est vide")
    if any(ch.isspace() for ch in raw) or len(raw) > 500:
        raise UnsafeRepositoryURL(url, "l'adresse du dépôt contient des espaces ou est trop longue")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise UnsafeRepositoryURL(url, "l'adresse du dépôt est mal formée") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeRepositoryURL(url, "l'adresse du dépôt n'indique pas d'hôte")
    if parts.username or parts.password:
        raise UnsafeRepositoryURL(url, "l'adresse ne doit pas contenir d'identifiants")
    private = is_private_address(host)
    loopback_ok = allow_loopback and private
    if parts.scheme != "https" and not (loopback_ok and parts.scheme == "http"):
        raise UnsafeRepositoryURL(url, f"seules les adresses https sont acceptées (reçu « {parts.scheme} »)")
    if private and not allow_loopback:
        raise UnsafeRepositoryURL(url, f"l'hôte « {host} » est une adresse locale ou privée")
    if port is not None and port != 443 and not loopback_ok:
        raise UnsafeRepositoryURL(url, f"le port {port} n'est pas accepté (https standard seulement)")
    if allowed_hosts and host not in allowed_hosts and not loopback_ok:
        raise UnsafeRepositoryURL(url, f"l'hôte « {host} » n'est pas une forge autorisée")
    path = parts.path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    segments = path.split("/") if path else []
    if len(segments) < 2 and not loopback_ok:
        raise UnsafeRepositoryURL(url, "l'adresse doit désigner un dépôt (propriétaire/nom)")
    if any(seg in {"", ".", ".."} for seg in segments):
        raise UnsafeRepositoryURL(url, "le chemin du dépôt est mal formé")
    if host == GITHUB_HOST and len(segments) != 2:
        raise UnsafeRepositoryURL(url, "une adresse GitHub a la forme https://github.com/propriétaire/nom")
    netloc = host if port is None or port == 443 else f"{host}:{port}"
    suffix = ".git" if parts.path.rstrip("/").endswith(".git") and host != GITHUB_HOST else ""
    normalised = f"{parts.scheme}://{netloc}/{path}{suffix}"
    return ParsedRepoURL(
        url=normalised, scheme=parts.scheme, host=host, port=port, path=path, is_loopback=private
    )


def forge_for_host(host: str, *, gitlab_hosts: tuple[str, ...]) -> str:
    if host == GITHUB_HOST:
        return "github"
    if host in gitlab_hosts:
        return "gitlab"
    return "git"
