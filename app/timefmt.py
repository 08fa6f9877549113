"""Dates are stored in UTC and shown in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta

PARIS = ZoneInfo("Europe/Paris")


def to_paris(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def format_when(value: datetime | None, language: str, *, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(to_paris(value), format=fmt, locale=language, tzinfo=PARIS)


def format_ago(value: datetime | None, language: str, *, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_timedelta(value - now, add_direction=True, locale=language)
