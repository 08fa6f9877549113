"""Dates are stored in UTC and shown in Europe/Paris, in one format per language.

French: « 3 décembre 2026 à 14:05 », short « 3 déc. 2026 à 14:05 », date only « 3 décembre 2026 ».
English: "3 December 2026 at 14:05", short "3 Dec 2026 at 14:05", date only "3 December 2026".
Pages and mails go through `format_when` (the `when` template filter); feeds use RFC 3339 instead.
The Babel locales and patterns are built once per language, never per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.lists import format_list
from babel.units import format_unit

PARIS = ZoneInfo("Europe/Paris")

# The words between the date and the time, per language.
_AT = {"fr": "à", "en": "at"}
_LESS_THAN_A_MINUTE = {"fr": "moins d’une minute", "en": "less than a minute"}


@dataclass(frozen=True)
class _Formats:
    locale: Locale
    at: str


@cache
def _formats(language: str) -> _Formats:
    return _Formats(locale=Locale.parse(language), at=_AT.get(language, _AT["fr"]))


def to_paris(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


# `fmt` names: date and time (to the minute, or to the second for "full"), or the date alone.
_DATE_ONLY = {"date": "d MMMM y", "short_date": "d MMM y"}
_DATE_TIME = {"medium": ("d MMMM y", "HH:mm"), "long": ("d MMMM y", "HH:mm"),
              "full": ("d MMMM y", "HH:mm:ss"), "short": ("d MMM y", "HH:mm")}


def format_when(value: datetime | date | str | None, language: str, *, fmt: str = "medium") -> str:
    """`medium`/`long` (default): 3 décembre 2026 à 14:05; `full`: to the second; `short`:
    3 déc. 2026 à 14:05; `date`: 3 décembre 2026; `short_date`: 3 déc. 2026. Any other value is
    read as a CLDR pattern only to know whether it carries a time, so every page keeps one format."""
    if value is None:
        return ""
    formats = _formats(language)
    if isinstance(value, str):  # a moment that went through JSON
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        local = to_paris(value)
    else:
        local, fmt = value, (fmt if fmt in _DATE_ONLY else "date")
    if fmt not in _DATE_ONLY and fmt not in _DATE_TIME:
        fmt = "medium" if any(c in fmt for c in "Hhms") else "date"
    if fmt in _DATE_ONLY:
        return format_date(local, format=_DATE_ONLY[fmt], locale=formats.locale)
    date_pattern, time_pattern = _DATE_TIME[fmt]
    return (f"{format_date(local, format=date_pattern, locale=formats.locale)} {formats.at} "
            f"{format_time(local, format=time_pattern, locale=formats.locale)}")


def format_ago(value: datetime | None, language: str, *, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_timedelta(value - now, add_direction=True, locale=_formats(language).locale)


def format_duration(delta: timedelta, language: str) -> str:
    """« 3 jours et 4 heures » / "3 days and 4 hours": days and hours, minutes under a day."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return ""
    locale = _formats(language).locale
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(format_unit(days, "duration-day", length="long", locale=locale))
    if hours:
        parts.append(format_unit(hours, "duration-hour", length="long", locale=locale))
    if not days and minutes:
        parts.append(format_unit(minutes, "duration-minute", length="long", locale=locale))
    if not parts:
        return _LESS_THAN_A_MINUTE.get(language, _LESS_THAN_A_MINUTE["fr"])
    return format_list(parts, locale=locale)
