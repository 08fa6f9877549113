"""The OpenAPI document tells the truth: one pass over the schema Litestar generates.

Litestar documents every error as its own `{status_code, detail, extra}` body, lists only 400,
and calls every `Response` JSON. This pass, run once when the schema is first built, rewrites:

- error bodies: one `Error` component, the `{"detail", "errors": [{"field", "message"}]}` body
  `app.web.errors` really returns (an HTML page outside /api/, as the error handler renders);
- statuses: each operation declares those it can answer, derived from its guards (401 for a
  login, 401 and 403 for a role), its kind (403 CSRF for a session's state change under /api/,
  400 when Litestar validates parameters or a body, 401 everywhere for a bad `Authorization`
  header, which the middleware refuses on any path) and the domain errors its code raises
  (`DOMAIN_STATUSES`, with `DOMAIN_STATUS` of `app.web.errors` as the mapping);
- media types: CSV, Atom, JSON-LD, PDF and other non-JSON answers, the multipart upload body,
  and the registry's filters (read from the query string, so invisible to Litestar).

`install(app)` is the one hook, called by the factory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

from app.web import guards

ERROR = "Error"
FIELD_ERROR = "FieldError"
JSON = "application/json"
HTML = "text/html"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UNSAFE = {"post", "put", "patch", "delete"}

# The domain errors (registry.errors, mapped by app.web.errors.DOMAIN_STATUS) each operation's code
# can raise: 404 NotFound, 403 Forbidden, 409 Conflict, 422 InvalidInput, 429 TooManyAttempts;
# plus 413 (body over the route's limit) and 503 (the SPDX generator). Guards, CSRF, validation and
# a bad token are added from the route itself. Keys are "METHOD path" as in the schema.
DOMAIN_STATUSES: dict[str, set[int]] = {
    # accounts
    "GET /api/v1/me": set(),
    "GET /api/v1/me/tokens": set(),
    "POST /api/v1/me/tokens": {422},
    "DELETE /api/v1/me/tokens/{token_id}": {404},
    # calls
    "GET /api/v1/calls": {422},
    "POST /api/v1/calls": {422},
    "GET /api/v1/calls/{slug}": {404},
    "PUT /api/v1/calls/{slug}": {404, 409, 422},
    "PATCH /api/v1/calls/{slug}": {404, 409, 422},
    "POST /api/v1/calls/{slug}/publish": {404, 409, 422},
    "POST /api/v1/calls/{slug}/transition": {404, 409, 422},
    # applications
    "POST /api/v1/calls/{slug}/applications": {404, 409, 422},
    "GET /api/v1/applications": {422},
    "GET /api/v1/applications/{application_id}": {403, 404},
    "PATCH /api/v1/applications/{application_id}": {403, 404, 409, 422},
    "POST /api/v1/applications/{application_id}/submit": {403, 404, 409, 422},
    "POST /api/v1/applications/{application_id}/withdraw": {403, 404, 409},
    "POST /api/v1/applications/{application_id}/reopen": {403, 404, 409},
    "POST /api/v1/applications/{application_id}/co-applicants": {403, 404, 409, 422},
    "DELETE /api/v1/applications/{application_id}/co-applicants/{co_id}": {403, 404, 409},
    "POST /api/v1/applications/{application_id}/attachments": {403, 404, 409, 413, 422},
    "DELETE /api/v1/applications/{application_id}/attachments/{attachment_id}": {403, 404, 409},
    "GET /api/v1/applications/{application_id}/attachments/{attachment_id}": {403, 404},
    # review
    "POST /api/v1/applications/{application_id}/assignments": {404, 409, 422},
    "POST /api/v1/calls/{slug}/assignments/auto": {404, 409, 422},
    "GET /api/v1/assignments": {422},
    "GET /api/v1/assignments/{assignment_id}": {404, 409},
    "POST /api/v1/assignments/{assignment_id}/declaration": {404, 409, 422},
    "PUT /api/v1/assignments/{assignment_id}/review": {404, 409, 422},
    "GET /api/v1/calls/{slug}/ranking": {404},
    "PUT /api/v1/applications/{application_id}/decision": {404, 409, 422},
    "POST /api/v1/calls/{slug}/decisions/release": {404, 409, 422},
    "GET /api/v1/applications/{application_id}/reviews": {403, 404, 409},
    # registry
    "GET /api/v1/projects": {422},
    "GET /api/v1/projects/{slug}": {404},
    "GET /api/v1/projects/{slug}/releases": {404},
    "GET /api/v1/releases": {422},
    "GET /api/v1/labels": set(),
    "POST /api/v1/labels": {409, 422},
    "PATCH /api/v1/labels/{slug}": {404, 409, 422},
    "POST /api/v1/labels/{slug}/merge": {404, 409, 422},
    "POST /api/v1/projects/{slug}/harvest": {404, 409, 429},
    # milestones and tranches
    "POST /api/v1/projects/{slug}/milestones": {404, 422},
    "POST /api/v1/projects/{slug}/milestones/evaluate": {404},
    "PATCH /api/v1/milestones/{milestone_id}": {404, 409, 422},
    "DELETE /api/v1/milestones/{milestone_id}": {404, 409},
    "POST /api/v1/milestones/{milestone_id}/tranche/approve": {404, 409},
    "POST /api/v1/milestones/{milestone_id}/tranche/pay": {404, 409},
    "POST /api/v1/milestones/{milestone_id}/tick": {404, 409, 422},
    "POST /api/v1/milestones/{milestone_id}/waive": {404, 409, 422},
    "POST /api/v1/milestones/{milestone_id}/missed": {404, 409},
    # project team and results
    "PATCH /api/v1/projects/{slug}": {403, 404, 422},
    "POST /api/v1/projects/{slug}/results": {403, 404, 422},
    "PUT /api/v1/projects/{slug}/results/{result_id}": {403, 404, 422},
    "DELETE /api/v1/projects/{slug}/results/{result_id}": {403, 404},
    # progress reports
    "POST /api/v1/projects/{slug}/reports": {404, 422},
    "GET /api/v1/projects/{slug}/reports": {403, 404, 422},
    "GET /api/v1/reports/{report_id}": {403, 404},
    "PUT /api/v1/reports/{report_id}": {403, 404, 409, 422},
    "POST /api/v1/reports/{report_id}/decision": {404, 409, 422},
    "POST /api/v1/reports/{report_id}/publish": {404, 409},
    # enquiries and FAQ
    "POST /api/v1/calls/{slug}/enquiries": {404, 409, 422},
    "GET /api/v1/calls/{slug}/enquiries": {404},
    "GET /api/v1/calls/{slug}/faq": {404},
    "POST /api/v1/calls/{slug}/faq": {404, 422},
    "PATCH /api/v1/faq/{entry_id}": {404, 409, 422},
    "DELETE /api/v1/faq/{entry_id}": {404, 409},
    # requests for changes after submission
    "POST /api/v1/applications/{application_id}/corrections": {404, 409, 422},
    "GET /api/v1/applications/{application_id}/corrections": {404},
    "POST /api/v1/corrections/{correction_id}/replies": {404, 409, 422},
    # open data (outside /api/: errors are HTML pages, except the middleware's 401 and SPDX's 503)
    "GET /feeds/releases.atom": {422},
    "GET /projects/{slug}/releases.atom": {404},
    "GET /exports/projects.csv": {422},
    "GET /exports/projects.json": {422},
    "GET /projects/{slug}/codemeta.json": {404},
    "GET /projects/{slug}/spdx.json": {404, 503},
}

# Statuses answered with our JSON error body even outside /api/.
JSON_EVERYWHERE = {
    401: "the identity middleware refuses a bad Authorization header on any path",
}
JSON_OUTSIDE_API: dict[str, set[int]] = {"GET /projects/{slug}/spdx.json": {503}}

DESCRIPTIONS = {
    400: "Requête mal formée : paramètre ou corps invalide (`errors` nomme les champs)",
    401: "Authentification requise, ou en-tête Authorization invalide (jeton inconnu ou révoqué)",
    403: "Accès refusé : rôle insuffisant, jeton CSRF manquant (session) ou objet d'un autre compte",
    404: "Introuvable (ou privé : son existence n'est pas admise)",
    409: "Impossible dans l'état actuel de l'objet",
    413: "Corps de requête trop volumineux",
    422: "Données refusées par une règle métier (`errors` nomme les champs)",
    429: "Trop de demandes : réessayer après Retry-After secondes",
    503: "Service momentanément indisponible",
}

# Successful answers that are not JSON (Litestar documents any `Response` as application/json).
STRING = Schema(type=OpenAPIType.STRING)
OBJECT = Schema(type=OpenAPIType.OBJECT, additional_properties=True)
BINARY = Schema(type=OpenAPIType.STRING, format="binary")
LICENCE_LINK = OpenAPIHeader(schema=STRING, description="Licence des données (rel=\"license\", etalab-2.0)")
DOWNLOAD = OpenAPIHeader(schema=STRING, description="attachment; filename=\"…\"")
SUCCESS_CONTENT: dict[str, tuple[str, Schema, dict[str, OpenAPIHeader]]] = {
    "GET /feeds/releases.atom": ("application/atom+xml", STRING, {}),
    "GET /projects/{slug}/releases.atom": ("application/atom+xml", STRING, {}),
    "GET /exports/projects.csv": ("text/csv", STRING, {"Link": LICENCE_LINK, "Content-Disposition": DOWNLOAD}),
    "GET /exports/projects.json": (JSON, OBJECT, {"Link": LICENCE_LINK}),
    "GET /projects/{slug}/codemeta.json": ("application/ld+json", OBJECT, {}),
    "GET /projects/{slug}/spdx.json": (JSON, OBJECT, {}),
    "GET /api/v1/applications/{application_id}/attachments/{attachment_id}": (
        "application/pdf", BINARY, {"Content-Disposition": DOWNLOAD}),
}

# Bodies Litestar cannot see (the handler reads the request itself).
REQUEST_BODIES = {
    "POST /api/v1/applications/{application_id}/attachments": RequestBody(
        required=True, description="Un fichier PDF dans le champ `file`.",
        content={"multipart/form-data": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.OBJECT, required=["file"], properties={"file": BINARY}),
        )}),
}


def _query(name: str, schema: Schema, description: str, *, explode: bool | None = None) -> Parameter:
    return Parameter(name=name, param_in="query", schema=schema, description=description, required=False,
                     explode=explode)


def _enum(*values: str) -> Schema:
    return Schema(type=OpenAPIType.STRING, enum=list(values))


BOOLEAN_TEXT = _enum("true", "false", "1", "0", "yes", "no", "oui", "non")
BROWSE_FILTERS = [
    _query("q", Schema(type=OpenAPIType.STRING, max_length=200), "Recherche plein texte (200 caractères au plus)"),
    _query("label", Schema(type=OpenAPIType.ARRAY, items=STRING, max_items=10),
           "Étiquette (répétable, 10 au plus)", explode=True),
    _query("licence", STRING, "Expression SPDX de la licence"),
    _query("compliant", BOOLEAN_TEXT, "Licence conforme à la politique de l'appel"),
    _query("call", STRING, "Identifiant court de l'appel"),
    _query("language", STRING, "Langage de programmation"),
    _query("forge", _enum("github", "gitlab", "git"), "Forge des dépôts"),
    _query("status", STRING, "Statut du projet (active, completed, suspended, abandoned)"),
    _query("has_release", BOOLEAN_TEXT, "Au moins une version publiée"),
    _query("sort", _enum("recent", "name", "funding"), "Tri"),
]
# What `check_paging` (app.controllers.api.calls) and the registry's parser accept; 422 outside.
PAGE_BOUNDS = {"page": (1, 100_000), "per_page": (1, 100)}
PAGING = [
    _query(name, Schema(type=OpenAPIType.INTEGER, minimum=low, maximum=high), description)
    for (name, (low, high)), description in zip(PAGE_BOUNDS.items(), ("Page (à partir de 1)", "Éléments par page"),
                                                strict=True)
]
SINCE = _query("since", Schema(type=OpenAPIType.STRING, format="date-time"),
               "Versions publiées depuis cet instant (ISO 8601 avec décalage)")
QUERY_PARAMETERS: dict[str, list[Parameter]] = {
    "GET /api/v1/projects": BROWSE_FILTERS + PAGING,
    "GET /api/v1/releases": [SINCE, *BROWSE_FILTERS, *PAGING],
    "GET /feeds/releases.atom": BROWSE_FILTERS,
    "GET /exports/projects.csv": BROWSE_FILTERS,
    "GET /exports/projects.json": BROWSE_FILTERS,
}


def error_components() -> dict[str, Schema]:
    field_error = Schema(
        type=OpenAPIType.OBJECT, required=["field", "message"], additional_properties=False,
        properties={"field": STRING, "message": STRING}, description="Un champ en faute et pourquoi")
    error = Schema(
        type=OpenAPIType.OBJECT, required=["detail", "errors"], additional_properties=False,
        properties={"detail": STRING,
                    "errors": Schema(type=OpenAPIType.ARRAY, items=Reference(f"#/components/schemas/{FIELD_ERROR}"))},
        description="Corps de toute erreur de l'API (la liste `errors` peut être vide)",
        examples=[{"detail": "Appel introuvable.", "errors": []}])
    return {ERROR: error, FIELD_ERROR: field_error}


def _guard_statuses(route_guards: Iterable[Any]) -> set[int]:
    statuses: set[int] = set()
    for wrapped in route_guards:
        guard = getattr(wrapped, "func", wrapped)  # Litestar wraps guards in an AsyncCallable
        if guard is guards.requires_login:
            statuses.add(401)
        elif getattr(guard, "__module__", "") == guards.__name__:
            statuses |= {401, 403}  # a role guard: logs in first, then checks the role
        else:
            raise ValueError(f"app.openapi does not know what guard {guard!r} answers")
    return statuses


def _error_response(status: int, *, json: bool) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] = {}
    if status == 401:
        headers["WWW-Authenticate"] = OpenAPIHeader(schema=STRING, required=True, description='Bearer realm="ami"')
    if status == 429 and json:
        headers["Retry-After"] = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER), required=True,
                                               description="Secondes avant un nouvel essai")
    if json:
        content = {JSON: OpenAPIMediaType(schema=Reference(f"#/components/schemas/{ERROR}"))}
    else:
        content = {HTML: OpenAPIMediaType(schema=STRING)}
    return OpenAPIResponse(description=DESCRIPTIONS[status], headers=headers or None, content=content)


def operation_statuses(key: str, path: str, method: str, route_guards: Iterable[Any], operation: Operation) -> set[int]:
    """Every error status this operation can answer."""
    if key not in DOMAIN_STATUSES:
        raise ValueError(f"app.openapi.DOMAIN_STATUSES has no entry for {key}: say which errors it raises")
    statuses = {401} | _guard_statuses(route_guards) | DOMAIN_STATUSES[key]
    if path.startswith("/api/") and method in UNSAFE:
        statuses.add(403)  # a session cookie without the CSRF header
    if "400" in (operation.responses or {}) or operation.parameters or operation.request_body:
        statuses.add(400)
    return statuses


def make_truthful(openapi: OpenAPI, routes: Iterable[HTTPRoute]) -> OpenAPI:
    handlers = {}
    for route in routes:
        for method, (handler, _) in route.route_handler_map.items():
            if handler.resolve_include_in_schema():
                handlers[f"{method.upper()} {route.path_format or '/'}"] = handler
    components = openapi.components if isinstance(openapi.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), **error_components()}
    components.security_schemes = {**(components.security_schemes or {}),
                                   "bearer": SecurityScheme(type="http", scheme="bearer",
                                                            description="Jeton personnel (« Mon compte »)")}
    openapi.components = components
    for path, item in (openapi.paths or {}).items():
        for method in METHODS:
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            key = f"{method.upper()} {path}"
            handler = handlers[key]
            route_guards = handler.resolve_guards()
            statuses = operation_statuses(key, path, method, route_guards, operation)
            for parameter in operation.parameters or []:
                if (isinstance(parameter, Parameter) and parameter.param_in == "query"
                        and parameter.name in PAGE_BOUNDS and isinstance(parameter.schema, Schema)):
                    parameter.schema.minimum, parameter.schema.maximum = PAGE_BOUNDS[parameter.name]
            if key in QUERY_PARAMETERS:
                known = {p.name for p in operation.parameters or [] if isinstance(p, Parameter)}
                operation.parameters = [*(operation.parameters or []),
                                        *(p for p in QUERY_PARAMETERS[key] if p.name not in known)]
            if key in REQUEST_BODIES:
                operation.request_body = REQUEST_BODIES[key]
            responses = dict(operation.responses or {})
            for status in sorted(statuses):
                json = (path.startswith("/api/") or status in JSON_EVERYWHERE
                        or status in JSON_OUTSIDE_API.get(key, set()))
                responses[str(status)] = _error_response(status, json=json)
            if key in SUCCESS_CONTENT:
                media_type, schema, headers = SUCCESS_CONTENT[key]
                for code, response in responses.items():
                    if code.startswith("2") and isinstance(response, OpenAPIResponse):
                        response.content = {media_type: OpenAPIMediaType(schema=schema)}
                        response.headers = {**(response.headers or {}), **headers} or None
            operation.responses = dict(sorted(responses.items()))
            if route_guards:
                operation.security = [{"bearer": []}]
    return openapi


class _TruthfulOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's plugin, with this module's pass after each build (same slots, so an instance can switch)."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return make_truthful(super()._build_openapi(), self.included_routes.values())


def install(app: Litestar) -> Litestar:
    """Makes the app's OpenAPI document (served at /schema/openapi.json) go through `make_truthful`."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _TruthfulOpenAPIPlugin
    return app
