"""The registry's query language: filters from a URL, checked, turned into indexed SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from piccolo.engine import engine_finder

from registry.db import is_postgres
from registry.errors import FieldError, InvalidInput
from registry.projects.search import match_ids

SORTS = ("recent", "name", "funding")
FORGES = ("github", "gitlab", "git")
STATUSES = ("active", "completed", "suspended", "abandoned")
MAX_PER_PAGE = 100
_ORDER = {
    "recent": "ami_project.latest_release_at DESC NULLS LAST, ami_project.id DESC",
    "name": "ami_project.sort_name ASC, ami_project.id ASC",
    "funding": "ami_project.amount_granted DESC, ami_project.id ASC",
}
_BOOL = {"true": True, "1": True, "oui": True, "yes": True, "false": False, "0": False, "non": False, "no": False}


@dataclass(frozen=True)
class BrowseQuery:
    q: str = ""
    labels: tuple[str, ...] = ()
    licence: str = ""
    compliant: bool | None = None
    call: str = ""
    language: str = ""
    forge: str = ""
    status: str = ""
    has_release: bool | None = None
    sort: str = "recent"
    page: int = 1
    per_page: int = 20

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The query as URL parameters (defaults left out), so a view can be shared."""
        query = replace(self, **changes)
        pairs: list[tuple[str, str]] = []
        if query.q:
            pairs.append(("q", query.q))
        pairs += [("label", slug) for slug in query.labels]
        for name in ("licence", "call", "language", "forge", "status"):
            if getattr(query, name):
                pairs.append((name, getattr(query, name)))
        for name in ("compliant", "has_release"):
            if getattr(query, name) is not None:
                pairs.append((name, "true" if getattr(query, name) else "false"))
        if query.sort != "recent":
            pairs.append(("sort", query.sort))
        if query.page != 1:
            pairs.append(("page", str(query.page)))
        if query.per_page != 20:
            pairs.append(("per_page", str(query.per_page)))
        return pairs

    def url(self, path: str = "/projects", **changes: Any) -> str:
        pairs = self.params(**changes)
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def toggle_label(self, slug: str) -> str:
        labels = tuple(s for s in self.labels if s != slug) if slug in self.labels else (*self.labels, slug)
        return self.url(labels=labels, page=1)

    @property
    def filtered(self) -> bool:
        return self != BrowseQuery(sort=self.sort, page=self.page, per_page=self.per_page)


@dataclass
class _Errors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.items.append(FieldError(name, message))


def _one(params: Mapping[str, Sequence[str]], name: str) -> str:
    values = params.get(name) or []
    return values[-1].strip() if values else ""


def _boolean(params: Mapping[str, Sequence[str]], name: str, errors: _Errors) -> bool | None:
    raw = _one(params, name).lower()
    if not raw:
        return None
    if raw not in _BOOL:
        errors.add(name, f"« {raw[:40]} » n'est pas une valeur admise : true ou false.")
        return None
    return _BOOL[raw]


def _integer(params: Mapping[str, Sequence[str]], name: str, default: int, high: int, errors: _Errors) -> int:
    raw = _one(params, name)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        errors.add(name, f"doit être un entier entre 1 et {high}.")
        return default
    return int(raw)


def parse_browse_query(params: Mapping[str, Sequence[str]], *, per_page: int = 20) -> BrowseQuery:
    """Raises InvalidInput naming each bad parameter."""
    errors = _Errors()
    sort = _one(params, "sort") or "recent"
    if sort not in SORTS:
        errors.add("sort", f"tri inconnu « {sort[:40]} » : recent, name ou funding.")
        sort = "recent"
    forge = _one(params, "forge").lower()
    if forge and forge not in FORGES:
        errors.add("forge", "forge inconnue : github, gitlab ou git.")
    q = _one(params, "q")
    if len(q) > 200:
        errors.add("q", "la recherche est limitée à 200 caractères.")
    labels = tuple(dict.fromkeys(v.strip() for v in params.get("label") or [] if v.strip()))
    if len(labels) > 10:
        errors.add("label", "10 étiquettes au plus.")
    query = BrowseQuery(
        q=q[:200],
        labels=labels[:10],
        licence=_one(params, "licence")[:100],
        compliant=_boolean(params, "compliant", errors),
        call=_one(params, "call")[:80],
        language=_one(params, "language")[:60],
        forge=forge,
        status=_one(params, "status")[:20],
        has_release=_boolean(params, "has_release", errors),
        sort=sort,
        page=_integer(params, "page", 1, 100_000, errors),
        per_page=_integer(params, "per_page", per_page, MAX_PER_PAGE, errors),
    )
    if errors.items:
        detail = "Paramètres invalides : " + "; ".join(f"{e.field} : {e.message}" for e in errors.items)
        raise InvalidInput(detail, errors.items)
    return query


def _facet(kind: str) -> str:
    return f"SELECT project AS id FROM ami_project_facet WHERE kind = '{kind}' AND value = {{}}"


def matching_ids(query: BrowseQuery) -> tuple[str, list[Any]] | None:
    """One SELECT of the matching project ids (an INTERSECT of the search and each filter), with `{}`
    placeholders and its arguments; None when nothing restricts the listing.

    The INTERSECT form lets each part use its own index (FTS, the facet lookup index) and combine sorted id
    lists, instead of probing one subquery per project (measured 6 ms against 10 ms on SQLite).
    """
    parts: list[str] = []
    args: list[Any] = []
    if query.q:
        matched = match_ids(query.q, postgres=is_postgres(engine_finder()))
        if matched:
            parts.append(matched[0])
            args += matched[1]
    for slug in query.labels:
        # The slug of a merged label stands for the label it went into (registry.labels.service.merge_labels).
        parts.append(
            "SELECT project AS id FROM ami_project_facet WHERE kind = 'label' AND value = COALESCE(("
            "SELECT ami_label.slug FROM ami_label_alias JOIN ami_label ON ami_label.id = ami_label_alias.label "
            "WHERE ami_label_alias.old_slug = {}), {})"
        )
        args += [slug, slug]
    simple = [
        ("licence", query.licence),
        ("language", query.language),
        ("forge", query.forge),
        ("status", query.status),
    ]
    for kind, value in simple:
        if value:
            parts.append(_facet(kind))
            args.append(value)
    if query.compliant is not None:
        parts.append(_facet("compliant"))
        args.append("true" if query.compliant else "false")
    if query.has_release is not None:
        parts.append(_facet("release"))
        args.append("yes" if query.has_release else "no")
    if query.call:
        parts.append(
            "SELECT ami_project.id FROM ami_project JOIN ami_call ON ami_call.id = ami_project.call "
            "WHERE ami_call.slug = {}"
        )
        args.append(query.call)
    if not parts:
        return None
    return " INTERSECT ".join(parts), args


def where_clause(query: BrowseQuery) -> tuple[str, list[Any]]:
    """SQL over ami_project (aliased by its table name) with `{}` placeholders, and its arguments."""
    matched = matching_ids(query)
    if matched is None:
        return "1 = 1", []
    return f"ami_project.id IN ({matched[0]})", matched[1]


def order_clause(query: BrowseQuery) -> str:
    return _ORDER[query.sort]


def parse_since(raw: str) -> datetime | None:
    """ISO 8601; a date alone or a time without offset is read as UTC."""
    from datetime import UTC

    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+", 1) if "T" in raw and " " in raw else raw.strip())
    except ValueError:
        raise InvalidInput(
            "Paramètre invalide : since doit être une date ISO 8601 (par exemple 2026-01-31T00:00:00+01:00).",
            [FieldError("since", "date ISO 8601 attendue, par exemple 2026-01-31T00:00:00+01:00.")],
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
