"""Dates are stored in UTC and shown in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, format_timedelta

PARIS = ZoneInfo("Europe/Paris")


def to_paris(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def format_when(value: datetime | None, language: str, *, fmt: str = "medium") -> str:
    """`short`: 29/03/2026 03:30; `medium` and `long`: the date in words and the time to the minute;
    anything else is a CLDR pattern such as "d MMMM y"."""
    if value is None:
        return ""
    local = to_paris(value)
    if fmt not in ("medium", "long"):
        return format_datetime(local, format=fmt, locale=language, tzinfo=PARIS)
    date_part = format_date(local, format="long" if fmt == "long" else "medium", locale=language)
    return f"{date_part}, {format_time(local, format='short', locale=language, tzinfo=PARIS)}"


def format_ago(value: datetime | None, language: str, *, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_timedelta(value - now, add_direction=True, locale=language)
