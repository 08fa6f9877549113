"""Files in and out of the web app: downloads named with RFC 6266, uploads refused before they are read.

Downloads: `file_response` is the only way the app serves a file (attachments, CSV exports), with
`temp_file_stream` for big exports built on disk (ZIP of a call's files); their
`Content-Disposition` comes from `registry.files.content_disposition`.

Uploads: `upload_limit(...)` is a route middleware. It runs before anything reads the body (Litestar's
CSRF middleware parses the form before the handler), so:
- a `Content-Length` above the limit is refused at once (413), without reading a byte;
- a body without `Content-Length` (chunked) or longer than announced is counted as it arrives and refused
  (413) as soon as it passes the limit: no more than the limit is ever passed on to be buffered.
The limit is `Settings.attachment_max_bytes` plus `UPLOAD_MARGIN` for the multipart envelope. A file that
fits the body limit but not `attachment_max_bytes` is still refused by the domain (422, same field).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.connection.base import empty_receive
from litestar.exceptions import NotAuthorizedException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from registry.files import content_disposition

UPLOAD_MARGIN = 64 * 1024  # multipart boundaries, part headers and the CSRF field

RefusalPage = Callable[[Request, str], Awaitable[Response]]


def file_response(content: bytes, filename: str, media_type: str, *,
                  cache_control: str | None = "private, no-store",
                  headers: dict[str, str] | None = None) -> Response[bytes]:
    """A download: `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name."""
    base = {"Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff"}
    if cache_control:
        base["Cache-Control"] = cache_control
    return Response(content=content, media_type=media_type, headers={**base, **(headers or {})})


def temp_file_stream(path: Any, filename: str, media_type: str, *, chunk_size: int = 256 * 1024) -> Any:
    """A download of a file built in a temporary file (exports), streamed in chunks, then removed; same
    headers as `file_response`."""
    from pathlib import Path

    from litestar.response import Stream

    source = Path(path)

    def chunks():  # type: ignore[no-untyped-def]  # a plain iterator: Litestar reads it in a worker thread
        try:
            with source.open("rb") as handle:
                while chunk := handle.read(chunk_size):
                    yield chunk
        finally:
            source.unlink(missing_ok=True)

    return Stream(chunks(), media_type=media_type, headers={
        "Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store", "Content-Length": str(source.stat().st_size)})


def size_label(max_bytes: int) -> str:
    if max_bytes >= 1024 * 1024:
        return f"{max_bytes / (1024 * 1024):.0f} Mo"
    return f"{max_bytes / 1024:.0f} Ko"


def too_large_message(max_bytes: int, translate: Callable[[str], str] = str) -> str:
    return translate("Fichier trop volumineux : {limit} au plus par pièce jointe.").format(
        limit=size_label(max_bytes))


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def upload_limit(field: str, refusal_page: RefusalPage | None = None) -> Callable[..., ASGIApp]:
    """Route middleware capping the body at the attachment limit; `refusal_page` renders the form for pages,
    otherwise the answer is the API's JSON error (`errors` names `field`)."""

    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            max_bytes = scope["litestar_app"].state.settings.attachment_max_bytes
            cap = max_bytes + UPLOAD_MARGIN
            declared = _declared_length(scope)
            if declared is not None and declared > cap:
                await _refuse(scope, send, max_bytes)
                return
            counted = {"bytes": 0, "over": False}

            async def capped_receive() -> Message:
                if counted["over"]:
                    return {"type": "http.disconnect"}
                message = await receive()
                if message["type"] == "http.request":
                    counted["bytes"] += len(message.get("body", b""))
                    if counted["bytes"] > cap:  # this chunk is dropped, not passed on
                        counted["over"] = True
                        raise RequestEntityTooLarge
                return message

            async def guarded_send(message: Message) -> None:
                if not counted["over"]:  # once over, whatever the inner layers answer is replaced
                    await send(message)

            try:
                await app(scope, capped_receive, guarded_send)
            except RequestEntityTooLarge:
                if not counted["over"]:
                    raise
            if counted["over"]:
                await _refuse(scope, send, max_bytes)

        async def _refuse(scope: Scope, send: Send, max_bytes: int) -> None:
            if scope.get("user") is None:
                raise NotAuthorizedException  # the app's usual answer: 401 for the API, the login form for pages
            if refusal_page is None:
                message = too_large_message(max_bytes)
                body = json.dumps({"detail": message, "errors": [{"field": field, "message": message}]},
                                  ensure_ascii=False).encode("utf-8")
                await send({"type": "http.response.start", "status": 413, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
            litestar_app = scope["litestar_app"]
            request: Request[Any, Any, Any] = litestar_app.request_class(scope=scope, receive=empty_receive)
            if litestar_app.csrf_config is not None:
                # The CSRF middleware did not run (nothing is changed here): the redisplayed form carries the
                # browser's own token, as a GET of the form would.
                ScopeState.from_scope(scope).csrf_token = request.cookies.get(
                    litestar_app.csrf_config.cookie_name, "")
            from app.i18n import gettext

            response = await refusal_page(request, too_large_message(max_bytes, gettext))
            response.headers["Connection"] = "close"
            await response.to_asgi_response(app=None, request=request)(scope, empty_receive, send)

        return middleware

    return middleware_factory
