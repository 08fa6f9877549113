"""The harvesters' HTTP connections: the address checked is the address connected to, and no
redirect leaves its origin (so tokens and cookies never reach another host).

`GuardedAdapter` is a requests adapter (python-gitlab's session, PyGithub's connections):

* each new connection resolves its host through `resolve_public_addresses` (the URL policy)
  and connects to one of the addresses checked, the Host header, TLS SNI and certificate check
  still using the name: a DNS answer that changes after the check cannot reach an internal
  address (DNS rebinding);
* a redirect (301, 302, 303, 307, 308) to another origin (scheme, host, port) raises
  `RedirectRefused` before anything is sent there; one within the origin may be followed.

Through a proxy (`HTTPS_PROXY`…), the proxy resolves the names: restrict it at the proxy.
"""

from __future__ import annotations

import socket
from functools import cache
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from registry.harvest.urls import resolve_public_addresses

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" if port == _DEFAULT_PORTS.get(scheme) else f"{scheme}://{shown}:{port}"


class RedirectRefused(Exception):
    """A forge answered with a redirect to another origin; nothing was sent there."""

    def __init__(self, status: int, source: str, target: str) -> None:
        super().__init__(f"{status} redirect from {origin_text(source)} to {origin_text(target)} refused")
        self.status = status
        self.source = source
        self.target = target


class _PinnedConnection:
    """Mixed into urllib3's connections: resolve, check, connect to a checked address."""

    allow_loopback: ClassVar[bool] = False
    # Set by urllib3's HTTPConnection; declared for the type checker.
    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    host: str

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve_public_addresses(self._dns_host, self.port,
                                                 allow_loopback=self.allow_loopback)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        last: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (str(address), self.port), self.timeout,
                    source_address=self.source_address, socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from error
            except OSError as error:
                last = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")  # type: ignore[arg-type]


@cache
def _pool_classes(allow_loopback: bool) -> dict[str, type[HTTPConnectionPool]]:
    flags = {"allow_loopback": allow_loopback}
    http_connection = type("PinnedHTTPConnection", (_PinnedConnection, HTTPConnection), flags)
    https_connection = type("PinnedHTTPSConnection", (_PinnedConnection, HTTPSConnection), flags)
    return {
        "http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
        "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}),
    }


class GuardedAdapter(HTTPAdapter):
    __attrs__ = [*HTTPAdapter.__attrs__, "allow_loopback"]

    def __init__(self, *, allow_loopback: bool = False, **kwargs: Any) -> None:
        self.allow_loopback = allow_loopback  # before super(): it builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow_loopback)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().send(request, *args, **kwargs)
        if response.is_redirect and request.url:
            target = urljoin(request.url, response.headers["location"])
            if origin(target) != origin(request.url):
                response.close()
                raise RedirectRefused(response.status_code, request.url, target)
        return response


def mount_guarded(session: requests.Session, *, allow_loopback: bool, **adapter_options: Any) -> requests.Session:
    """Route every http(s) request of the session through a GuardedAdapter."""
    adapter = GuardedAdapter(allow_loopback=allow_loopback, **adapter_options)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def guarded_session(*, allow_loopback: bool) -> requests.Session:
    return mount_guarded(requests.Session(), allow_loopback=allow_loopback)
