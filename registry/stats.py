"""Figures for the public pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry.accounts.tables import User
from registry.calls.tables import Call
from registry.projects.queries import reading
from registry.projects.tables import Project, Release, Repository


async def database_answers() -> bool:
    return await User.count() >= 0


@reading
async def key_figures() -> dict[str, Any]:
    """Counts for the home page, plus the latest releases (the home page shows them beside the figures)."""
    funding = await Project.raw("SELECT COALESCE(SUM(amount_granted), 0) AS total FROM ami_project")
    return {
        "projects": await Project.count(),
        "funding": funding[0]["total"],
        "repositories": await Repository.count(),
        "releases": await Release.count(),
        "latest_releases": await latest_releases(),
    }


async def open_calls() -> list[dict]:
    now = datetime.now(UTC)
    return await Call.select(Call.slug, Call.title_fr, Call.title_en, Call.closes_at).where(
        (Call.status == "published") & (Call.opens_at <= now) & (Call.closes_at > now)
    ).order_by(Call.closes_at)


async def latest_releases(limit: int = 5) -> list[dict]:
    from registry.projects.queries import registry_releases

    items, _ = await registry_releases(per_page=limit, with_total=False)
    return items


def _month(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m")


def _last_months(now: datetime, count: int) -> list[str]:
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


@reading
async def registry_statistics(now: datetime | None = None) -> dict:
    """Aggregates for /stats: funding per call and theme, releases per month, licences, compliance, freshness."""
    from datetime import timedelta

    now = now or datetime.now(UTC)
    per_call = await Project.raw(
        "SELECT ami_call.slug AS slug, ami_call.title_fr AS title, ami_call.title_en AS title_en, "
        "COUNT(ami_project.id) AS projects, "
        "COALESCE(SUM(ami_project.amount_granted), 0) AS amount FROM ami_project "
        "JOIN ami_call ON ami_call.id = ami_project.call "
        "GROUP BY ami_call.slug, ami_call.title_fr, ami_call.title_en ORDER BY amount DESC")
    per_theme = await Project.raw(
        "SELECT ami_label.name_fr AS name, ami_label.name_en AS name_en, ami_label.slug AS slug, "
        "COUNT(ami_project.id) AS projects, "
        "COALESCE(SUM(ami_project.amount_granted), 0) AS amount FROM ami_project_label "
        "JOIN ami_label ON ami_label.id = ami_project_label.label "
        "JOIN ami_project ON ami_project.id = ami_project_label.project "
        "WHERE ami_label.category = 'theme' GROUP BY ami_label.name_fr, ami_label.name_en, ami_label.slug "
        "ORDER BY amount DESC")
    months = _last_months(now, 12)
    counts = dict.fromkeys(months, 0)
    start = datetime.fromisoformat(months[0] + "-01T00:00:00+00:00")
    for row in await Release.select(Release.published_at).where(Release.published_at >= start):
        key = _month(row["published_at"])
        if key in counts:
            counts[key] += 1
    facets = await Project.raw("SELECT kind, value, COUNT(*) AS n FROM ami_project_facet "
                               "WHERE kind IN ('licence', 'compliant') GROUP BY kind, value")
    licences = sorted(([r["value"], r["n"]] for r in facets if r["kind"] == "licence"), key=lambda r: (-r[1], r[0]))
    compliance = {r["value"]: r["n"] for r in facets if r["kind"] == "compliant"}
    known = compliance.get("true", 0) + compliance.get("false", 0)
    buckets = {"moins de 24 h": 0, "1 à 7 jours": 0, "plus de 7 jours": 0, "jamais": 0}
    failing = 0
    for row in await Repository.select(Repository.last_success_at, Repository.last_error):
        failing += bool(row["last_error"])
        when = row["last_success_at"]
        if when is None:
            buckets["jamais"] += 1
            continue
        age = now - (when if when.tzinfo else when.replace(tzinfo=UTC))
        if age < timedelta(days=1):
            key = "moins de 24 h"
        else:
            key = "1 à 7 jours" if age < timedelta(days=7) else "plus de 7 jours"
        buckets[key] += 1
    return {
        "funding_per_call": per_call,
        "funding_per_theme": per_theme,
        "releases_per_month": [{"month": m, "count": counts[m]} for m in months],
        "licences": [{"licence": name, "count": n} for name, n in licences[:15]],
        "compliance": {"compliant": compliance.get("true", 0), "non_compliant": compliance.get("false", 0),
                       "unknown": compliance.get("unknown", 0),
                       "rate": 100 * compliance.get("true", 0) / known if known else 0.0},
        "freshness": [{"bucket": k, "count": v} for k, v in buckets.items()],
        "failing_repositories": failing,
    }
