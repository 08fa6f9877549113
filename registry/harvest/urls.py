"""The URL policy: repository URLs are untrusted input, checked here for applications and harvesters.

Three layers, one module:

* `check_repository_url` (pure): the shape of the URL, and the host read as the C resolver
  reads it, so that `0177.0.0.1`, `0x7f.1`, `127.1`, `2130706433`, `[::1]` or
  `[::ffff:127.0.0.1]` are seen as the loopback addresses they are;
* `resolve_public_addresses` (DNS): every address a name resolves to must be public;
* `UrlPolicy`: both, as the application form uses them; the harvesters' connections call
  `resolve_public_addresses` themselves when they connect and connect to the address checked
  (harvesters/transport.py), so that a DNS answer that changes between check and connection
  cannot reach an internal address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from registry.errors import N_

GITHUB_HOST = "github.com"
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address



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


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """IPv4 as inet_aton(3) reads it: 1 to 4 parts, each decimal, octal (0…) or hex (0x…),
    the last one filling the remaining bytes (`127.1`, `2130706433`)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part[0] == "0":
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for index, value in enumerate(head):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def parse_ip_host(host: str) -> IPAddress | None:
    """The address a URL host denotes literally, or None when it is a name.

    IPv6 in brackets (with or without a zone, `%25eth0`); IPv4 in every form the C resolver
    accepts (see `_inet_aton`); one trailing dot is ignored.
    """
    text = unquote(host.strip()).strip("[]")
    if text.endswith("."):
        text = text[:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    return _inet_aton(text)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo client), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why the address must not be reached, in French ("de bouclage"…); None when public."""
    inner = _embedded_ipv4(address)
    if inner is not None and (problem := address_problem(inner)) is not None:
        return problem
    for flag, words in (("is_unspecified", N_("non spécifiée")), ("is_loopback", N_("de bouclage")),
                        ("is_link_local", N_("de lien local")), ("is_multicast", N_("de multidiffusion")),
                        ("is_private", N_("privée")), ("is_reserved", N_("réservée"))):
        if getattr(address, flag):
            return words
    if not address.is_global:
        return N_("non publique")
    return None


def is_private_address(host: str) -> bool:
    """True for an address literal that is not public, and for local names (`localhost`,
    `*.local`, `*.internal`…, names without a dot). A public-looking name may still resolve to
    a private address: that is `resolve_public_addresses`' job."""
    address = parse_ip_host(host)
    if address is not None:
        return address_problem(address) is not None
    lowered = host.lower().rstrip(".")
    return lowered == "localhost" or lowered.endswith(_LOCAL_SUFFIXES) or "." not in lowered


def resolve_public_addresses(host: str, port: int, *, allow_loopback: bool = False,
                             url: str = "") -> list[IPAddress]:
    """Every address of host (a literal is its own), each checked; the caller connects to these.

    Raises UnsafeRepositoryURL when one of them is not public (unless allow_loopback: tests),
    socket.gaierror when the name does not resolve.
    """
    literal = parse_ip_host(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        infos = socket.getaddrinfo(host.rstrip("."), port, type=socket.SOCK_STREAM)
        addresses = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}")
    if not allow_loopback:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise UnsafeRepositoryURL(
                    url or host, N_("l'hôte « %(host)s » mène à une adresse %(problem)s (%(address)s)")
                    % {"host": host, "problem": problem, "address": address})
    return addresses


def check_repository_url(
    url: str, *, allowed_hosts: tuple[str, ...] = (), allow_loopback: bool = False
) -> ParsedRepoURL:
    """Accept only https on an allowed forge host (any public host when allowed_hosts is empty).

    Loopback and private addresses are refused unless allow_loopback (tests), which also lets
    plain http through on loopback only. Pure: names are not resolved here (see `UrlPolicy`).
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
        raise UnsafeRepositoryURL(url, N_("seules les adresses https sont acceptées (reçu « %(scheme)s »)")
                                  % {"scheme": parts.scheme})
    if private and not allow_loopback:
        literal = parse_ip_host(host)
        decoded = (_embedded_ipv4(literal) or literal) if literal is not None else None
        shown = f" ({decoded})" if decoded is not None and str(decoded) != host else ""
        raise UnsafeRepositoryURL(url, N_("l'hôte « %(host)s » est une adresse locale ou privée%(shown)s")
                                  % {"host": host, "shown": shown})
    if port is not None and port != 443 and not loopback_ok:
        raise UnsafeRepositoryURL(url, N_("le port %(port)s n'est pas accepté (https standard seulement)")
                                  % {"port": port})
    if allowed_hosts and host not in allowed_hosts and not loopback_ok:
        raise UnsafeRepositoryURL(url, N_("l'hôte « %(host)s » n'est pas une forge autorisée") % {"host": host})
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
    if ":" in host:
        netloc = f"[{host}]" if port is None or port == 443 else f"[{host}]:{port}"
    suffix = ".git" if parts.path.rstrip("/").endswith(".git") and host != GITHUB_HOST else ""
    normalised = f"{parts.scheme}://{netloc}/{path}{suffix}"
    return ParsedRepoURL(
        url=normalised, scheme=parts.scheme, host=host, port=port, path=path, is_loopback=private
    )


@dataclass(frozen=True)
class UrlPolicy:
    """Which repository URLs are accepted: the application form's rules, the harvest's too.

    allowed_hosts: empty, any public host; else only these. allow_loopback: tests only.
    """

    allowed_hosts: tuple[str, ...] = ()
    allow_loopback: bool = False

    def check(self, url: str) -> ParsedRepoURL:
        """`check_repository_url`, then, for a host no list vouches for, its DNS answer.

        A name outside allowed_hosts is refused before any lookup; with no list, every
        address of the name must be public. The harvesters check again when they connect.
        """
        parsed = check_repository_url(url, allowed_hosts=self.allowed_hosts,
                                      allow_loopback=self.allow_loopback)
        if self.allow_loopback or self.allowed_hosts or parse_ip_host(parsed.host) is not None:
            return parsed
        try:
            resolve_public_addresses(parsed.host, parsed.port or 443, url=url)
        except OSError:
            raise UnsafeRepositoryURL(url, N_("l'hôte « %(host)s » est introuvable (DNS)")
                                      % {"host": parsed.host}) from None
        return parsed


def forge_for_host(host: str, *, gitlab_hosts: tuple[str, ...]) -> str:
    if host == GITHUB_HOST:
        return "github"
    if host in gitlab_hosts:
        return "gitlab"
    return "git"
