"""The API reference at /schema, rendered on the server from the OpenAPI document: no CDN."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


class PlainSchemaPage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        rows = []
        for path, item in sorted(openapi_schema.get("paths", {}).items()):
            for method in METHODS:
                if operation := item.get(method):
                    params = ", ".join(
                        escape(p.get("name", "")) for p in operation.get("parameters", [])
                        if p.get("in") == "query")
                    rows.append(
                        f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}"
                        f"</code></td><td>{escape(operation.get('summary') or '')}"
                        f"<br><small>{escape(operation.get('description') or '')}</small></td>"
                        f"<td>{params}</td></tr>")
        body = (
            f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>API — {escape(info.get('title', ''))}</title>"
            f"<link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>"
            f"<main class=\"wrap\" id=\"contenu\"><h1>{escape(info.get('title', ''))} "
            f"<small>v{escape(info.get('version', ''))}</small></h1>"
            f"<p>{escape(info.get('description', ''))}</p>"
            f"<p>Schéma OpenAPI lisible par machine : <a href=\"/schema/openapi.json\">"
            f"/schema/openapi.json</a>. Authentification : <code>Authorization: Bearer "
            f"&lt;jeton&gt;</code> (jetons personnels dans « Mon compte »).</p>"
            f"<table><caption>Points d’accès</caption><thead><tr><th scope=\"col\">Méthode</th>"
            f"<th scope=\"col\">Chemin</th><th scope=\"col\">Description</th>"
            f"<th scope=\"col\">Paramètres de requête</th></tr></thead><tbody>"
            f"{''.join(rows)}</tbody></table></main></body></html>"
        )
        return body.encode("utf-8")
