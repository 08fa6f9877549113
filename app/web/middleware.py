"""Per request: the language, then who is calling (API token or session cookie)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotFoundException
from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import current_language, negotiate
from registry.accounts import service as accounts

SESSION_COOKIE = "ami_session"
LANGUAGE_COOKIE = "ami_lang"
CSRF_COOKIE = "csrftoken"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    # Harvested READMEs may show images from the forges; scripts only from this site.
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data: https:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
     b"form-action 'self'"),
]


# Every primary key is Piccolo's Serial: a 64-bit rowid on SQLite, a 32-bit integer on PostgreSQL.
# A path id outside 1..MAX_ID names nothing (and would overflow the query's parameter).
MAX_ID = {"sqlite": 2**63 - 1, "postgres": 2**31 - 1}


def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: every response (pages, API, static files, 404/405/500) carries them."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS:
        if headers.get(name.decode()) is None:
            headers.add(name.decode(), value.decode())


def out_of_range_ids(scope: Scope) -> bool:
    """Whether an integer path parameter falls outside the ids the database can hold (1..2^63-1 on
    SQLite, 1..2^31-1 on PostgreSQL)."""
    params = scope.get("path_params") or {}
    if not any(type(value) is int for value in params.values()):
        return False
    engine = scope["litestar_app"].state.engine
    highest = MAX_ID.get(engine.engine_type, MAX_ID["postgres"])
    return any(type(value) is int and not 1 <= value <= highest for value in params.values())


def session_csrf_token(session_token: str, secret: str) -> str:
    """The CSRF token of a session: in Litestar's format (64 hex characters and their HMAC under the
    secret key), so the form check accepts it, and derived from the session token, so a token taken
    from another session, or planted as a cookie by a sibling site, is refused."""
    body = hmac.new(secret.encode(), b"ami-csrf-session:" + session_token.encode(),
                    hashlib.sha256).hexdigest()
    return body + generate_csrf_hash(token=body, secret=secret)


def _replace_cookie(scope: Scope, name: str, value: str) -> None:
    """Rewrites the request's Cookie header so handlers (and the CSRF middleware) see this value."""
    jar: SimpleCookie = SimpleCookie()
    raw = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"cookie"), "")
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is treated as no cookies
        jar = SimpleCookie()
    pairs = [f"{key}={morsel.coded_value}" for key, morsel in jar.items() if key != name]
    pairs.append(f"{name}={value}")
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"cookie"]
    headers.append((b"cookie", "; ".join(pairs).encode("latin-1")))
    scope["headers"] = headers


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


async def _reject(send: Send, status: int, detail: str, *, bearer: bool = False) -> None:
    body = msgspec.json.encode({"detail": detail, "errors": []})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if bearer:
        headers.append((b"www-authenticate", b'Bearer realm="ami"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def received_at(request: Any) -> datetime:
    """When the server received this request (set first thing by the middleware)."""
    return request.scope.get("state", {}).get("received_at") or datetime.now(UTC)


def identity_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # Deadlines are judged on when a request reached the server, not on how long it queued.
        scope.setdefault("state", {})["received_at"] = datetime.now(UTC)
        if out_of_range_ids(scope):
            # Before any guard: such a URL names nothing, for anyone (the error page picks the language).
            raise NotFoundException("Ressource introuvable.")
        headers = _headers(scope)
        cookies = _cookies(headers)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        asked = (query.get("lang") or [None])[0]
        language = negotiate(asked, cookies.get(LANGUAGE_COOKIE), headers.get("accept-language", ""))
        token = current_language.set(language)
        scope.setdefault("state", {})["lang"] = language

        path: str = scope.get("path", "")
        is_api = path.startswith("/api/")
        user = None
        auth: str | None = None
        authorization = headers.get("authorization", "")
        try:
            if authorization:
                scheme, _, credentials = authorization.partition(" ")
                if scheme.lower() != "bearer" or not credentials.strip():
                    await _reject(send, 401, "En-tête Authorization invalide : Bearer <jeton> attendu.",
                                  bearer=True)
                    return
                resolved = await accounts.resolve_api_token(credentials.strip())
                if resolved is None:
                    await _reject(send, 401, "Jeton d'API inconnu ou révoqué.", bearer=True)
                    return
                found, token_id = resolved
                user, auth = await accounts.actor_for(found, token_id=token_id), "token"
            elif session_token := cookies.get(SESSION_COOKIE):
                found = await accounts.user_for_session(session_token)
                if found is not None:
                    user, auth = await accounts.actor_for(found), "session"
            set_csrf: str | None = None
            if auth == "session":
                # The session's own CSRF token, whatever cookie came with the request: a cookie
                # planted by a sibling subdomain (even one Litestar signed, for another visitor) is
                # replaced before the form check sees it, and the browser is given the right one.
                expected = session_csrf_token(session_token, scope["litestar_app"].csrf_config.secret)
                if is_api and scope["method"] not in SAFE_METHODS and not hmac.compare_digest(
                        headers.get("x-csrftoken", "").encode("latin-1"), expected.encode()):
                    # Browsers carry the cookie on their own; a state change needs proof of origin.
                    await _reject(send, 403, "Jeton CSRF manquant ou invalide (en-tête X-CSRFToken).")
                    return
                if cookies.get(CSRF_COOKIE) != expected:
                    _replace_cookie(scope, CSRF_COOKIE, expected)
                    set_csrf = expected
            scope["user"] = user
            scope["auth"] = auth

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    extra: list[Any] = list(message.get("headers", []))
                    if set_csrf is not None:
                        settings = scope["litestar_app"].csrf_config
                        cookie = Cookie(key=CSRF_COOKIE, value=set_csrf, path=settings.cookie_path,
                                        secure=settings.cookie_secure, httponly=settings.cookie_httponly,
                                        samesite=settings.cookie_samesite, domain=settings.cookie_domain)
                        extra.append((b"set-cookie", cookie.to_header(header="").encode("latin-1")))
                    if asked == language:
                        extra.append((b"set-cookie", f"{LANGUAGE_COOKIE}={language}; Path=/; "
                                      f"Max-Age=31536000; SameSite=Lax".encode()))
                    message = {**message, "headers": extra}
                await send(message)

            await app(scope, receive, send_with_headers)
        finally:
            current_language.reset(token)

    return middleware


# --- HTTP caching of anonymous pages -------------------------------------------------------------
# An anonymous GET is answered from the data version (registry.cache.version, bumped by a trigger on
# every write, in every process): its ETag names (version, minute, language, path and query, Accept),
# so a write changes it at once; the minute bounds what only time changes ("il y a 3 minutes", a
# call that closes). Pages are kept in a small in-process LRU; a matching If-None-Match gets a 304.
# Logged-in responses are never cached or kept (Cache-Control: private, no-store).

CACHE_ENTRIES = 256
CACHE_MAX_BODY = 2 * 1024 * 1024
CACHE_SECONDS = 60  # time-dependent wording is at most this old
UNCACHED_PREFIXES = ("/healthz", "/static/", "/login", "/logout", "/register", "/account", "/manage",
                     "/admin", "/api/v1/me", "/team/invitations/")
# Cookies that change nothing a cached page shows (the language is part of the key); any other cookie
# (a flash message, a session) sends the request to the application.
NEUTRAL_COOKIES = {CSRF_COOKIE, LANGUAGE_COOKIE}


class PageCache:
    """A bounded LRU of rendered anonymous responses: key -> (status, headers, body)."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        from collections import OrderedDict

        self.size = size
        self.entries: OrderedDict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    def get(self, key: str) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


def _http_date(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _not_modified_since(value: str, last_modified: datetime) -> bool:
    from email.utils import parsedate_to_datetime

    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return since is not None and since.tzinfo is not None and last_modified.replace(microsecond=0) <= since


def http_cache_middleware(app: ASGIApp) -> ASGIApp:
    """Inside identity_middleware (it needs scope["user"]), outside the CSRF middleware."""
    cache = PageCache()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope.get("path", "")
        anonymous = scope.get("user") is None and "authorization" not in headers
        if not anonymous:
            await app(scope, receive, _private(send))
            return
        cookies = _cookies(headers)
        if (scope["method"] != "GET" or path.startswith(UNCACHED_PREFIXES)
                or any(name not in NEUTRAL_COOKIES for name in cookies)):
            await app(scope, receive, send)
            return

        from registry.cache.version import data_version

        try:
            version, changed_at = await data_version(scope["litestar_app"].state.engine)
        except Exception:  # noqa: BLE001 - e.g. a database not migrated yet: no caching, the page decides
            await app(scope, receive, send)
            return
        now = datetime.now(UTC)
        bucket = int(now.timestamp()) // CACHE_SECONDS
        language = scope.get("state", {}).get("lang", "fr")
        raw_key = "\n".join([str(version), str(bucket), language, path,
                             scope.get("query_string", b"").decode("latin-1"), headers.get("accept", "")])
        etag = '"' + hashlib.sha256(raw_key.encode()).hexdigest()[:32] + '"'
        bucket_start = datetime.fromtimestamp(bucket * CACHE_SECONDS, UTC)
        last_modified = max(changed_at, bucket_start) if changed_at else bucket_start
        validators = [(b"etag", etag.encode()), (b"last-modified", _http_date(last_modified).encode()),
                      (b"cache-control", b"public, max-age=0, must-revalidate"),
                      (b"vary", b"Accept-Language, Cookie")]

        def fresh() -> bool:
            if "if-none-match" in headers:
                return etag in [tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")]
            return "if-modified-since" in headers and _not_modified_since(headers["if-modified-since"],
                                                                          last_modified)

        cached = cache.get(etag)
        if cached is not None:
            status, stored, body = cached
            if fresh():
                await send({"type": "http.response.start", "status": 304, "headers": validators})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": status,
                        "headers": [*stored, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        started: dict[str, Any] = {}
        csrf_value = cookies.get(CSRF_COOKIE, "")

        async def buffered(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)  # held until the first body part shows whether it can be kept
                return
            if message["type"] != "http.response.body" or not started:
                await send(message)
                return
            if started.get("done"):
                await send(message)
                return
            started["done"] = True
            body: bytes = message.get("body", b"")
            response_headers = list(started.get("headers", []))
            set_cookies = [value for name, value in response_headers if name.lower() == b"set-cookie"]
            new_csrf = [value.split(b";")[0].partition(b"=")[2] for value in set_cookies
                        if value.startswith(CSRF_COOKIE.encode() + b"=")]
            keep = (started["status"] == 200 and not message.get("more_body", False)
                    and len(body) <= CACHE_MAX_BODY and len(new_csrf) == len(set_cookies)
                    and not any(name.lower() == b"cache-control" for name, _ in response_headers)
                    and not any(token and token in body for token in [csrf_value.encode(), *new_csrf]))
            if not keep:
                await send({**started, "type": "http.response.start"})
                await send(message)
                return
            stored = [(name, value) for name, value in response_headers
                      if name.lower() not in {b"set-cookie", b"content-length", b"etag", b"last-modified",
                                              b"cache-control", b"vary"}] + validators
            cache.put(etag, (200, stored, body))
            if fresh():
                await send({"type": "http.response.start", "status": 304,
                            "headers": validators + [(name, value) for name, value in response_headers
                                                     if name.lower() == b"set-cookie"]})
                await send({"type": "http.response.body", "body": b""})
                return
            kept = [(name, value) for name, value in response_headers
                    if name.lower() not in {b"etag", b"last-modified", b"cache-control", b"vary"}]
            await send({"type": "http.response.start", "status": 200, "headers": kept + validators})
            await send(message)

        await app(scope, receive, buffered)
        if started and not started.get("done"):  # a response without a body message
            await send({**started, "type": "http.response.start"})

    return middleware


def _private(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"cache-control" for name, _ in headers):
                headers.append((b"cache-control", b"private, no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
