"""Per request: the language, then who is calling (API token or session cookie)."""

from __future__ import annotations

from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import msgspec
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
                found = await accounts.user_for_api_token(credentials.strip())
                if found is None:
                    await _reject(send, 401, "Jeton d'API inconnu ou révoqué.", bearer=True)
                    return
                user, auth = await accounts.actor_for(found, via_token=True), "token"
            elif session_token := cookies.get(SESSION_COOKIE):
                found = await accounts.user_for_session(session_token)
                if found is not None:
                    user, auth = await accounts.actor_for(found), "session"
            if (is_api and auth == "session" and scope["method"] not in SAFE_METHODS
                    and (not cookies.get(CSRF_COOKIE)
                         or headers.get("x-csrftoken") != cookies.get(CSRF_COOKIE))):
                # Browsers carry the cookie on their own; a state change needs proof of origin.
                await _reject(send, 403, "Jeton CSRF manquant ou invalide (en-tête X-CSRFToken).")
                return
            scope["user"] = user
            scope["auth"] = auth

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    extra: list[Any] = list(message.get("headers", []))
                    present = {name.lower() for name, _ in extra}
                    extra += [header for header in SECURITY_HEADERS if header[0] not in present]
                    if asked == language:
                        extra.append((b"set-cookie", f"{LANGUAGE_COOKIE}={language}; Path=/; "
                                      f"Max-Age=31536000; SameSite=Lax".encode()))
                    message = {**message, "headers": extra}
                await send(message)

            await app(scope, receive, send_with_headers)
        finally:
            current_language.reset(token)

    return middleware
