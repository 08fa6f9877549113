"""One place that turns errors into responses: JSON under /api/, pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.i18n import current_language, negotiate
from app.i18n import gettext as _
from app.web.templating import page
from registry.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
)

log = logging.getLogger("ami")

DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    TooManyAttempts: 429,
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json(status: int, detail: str, errors: list[dict[str, str]] | None = None,
          headers: dict[str, str] | None = None) -> Response:
    return Response({"detail": detail, "errors": errors or []}, status_code=status,
                    media_type=MediaType.JSON, headers=headers)


def _error_page(request: Request, status: int, message: str = "") -> Response:
    if "lang" not in request.scope.get("state", {}):
        # Unknown paths never reach the route middleware: choose the language here.
        current_language.set(negotiate(request.query_params.get("lang"), request.cookies.get("ami_lang"),
                                       request.headers.get("accept-language", "")))
    template = f"errors/{status}.html" if status in {400, 403, 404, 429, 500} else "errors/error.html"
    return page(template, request, status_code=status, status=status, message=message)  # type: ignore[return-value]


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    status = next((code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    if _is_api(request):
        return _json(status, exc.detail, [{"field": e.field, "message": e.message}
                                          for e in exc.errors], headers)
    return _error_page(request, status, exc.detail)


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append({"field": field, "message": str(item.get("message", ""))})
    return errors


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and not _is_api(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/login?next={quote(target)}", status_code=303)  # type: ignore[return-value]
    if _is_api(request):
        if isinstance(exc, ValidationException):
            errors = _validation_errors(exc)
            detail = "Requête invalide : " + "; ".join(
                f"{e['field']} : {e['message']}" for e in errors) if errors else exc.detail
            return _json(400, detail, errors)
        detail = exc.detail
        if isinstance(exc, NotAuthorizedException):
            return _json(401, detail or "Authentification requise.",
                         headers={"WWW-Authenticate": 'Bearer realm="ami"'})
        if isinstance(exc, PermissionDeniedException):
            return _json(403, detail or "Accès refusé.")
        return _json(status, detail, headers=exc.headers)
    if isinstance(exc, PermissionDeniedException):
        return _error_page(request, 403, exc.detail)
    return _error_page(request, status, exc.detail if status < 500 else "")


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return _json(HTTP_500_INTERNAL_SERVER_ERROR, _("Erreur interne du serveur."))
    return _error_page(request, 500)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
