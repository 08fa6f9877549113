"""Call dates are typed and read in Europe/Paris and stored in UTC; DST gaps and folds are explicit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from registry.errors import invalid

PARIS = ZoneInfo("Europe/Paris")


def paris_wall_time(naive: datetime, *, field: str) -> datetime:
    """A wall-clock time in Paris -> an aware UTC datetime.

    A time inside the spring-forward gap (e.g. 02:30 on the last Sunday of March) does not exist
    and is refused; a time in the autumn fold (02:00-02:59 twice) takes its first occurrence
    (summer time), which is the earlier deadline and therefore never extends a call by surprise.
    """
    local = naive.replace(tzinfo=PARIS, fold=0)
    round_trip = local.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
    if round_trip != naive.replace(tzinfo=None):
        raise invalid(field, "Cette heure n'existe pas à Paris ce jour-là (passage à l'heure d'été) : "
                             "choisissez une autre heure.")
    return local.astimezone(UTC)


def parse_call_time(raw: str | datetime, *, field: str) -> datetime:
    """ISO 8601 with an offset is taken as given; without one it is Paris wall-clock time."""
    if isinstance(raw, datetime):
        value = raw
    else:
        text = (raw or "").strip()
        if not text:
            raise invalid(field, "Indiquez une date et une heure.")
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise invalid(field, "Date et heure invalides : attendu AAAA-MM-JJTHH:MM (heure de Paris).") from None
    if value.tzinfo is None:
        return paris_wall_time(value, field=field)
    return value.astimezone(UTC)


def to_paris_input(value: datetime | None) -> str:
    """The value of an <input type="datetime-local"> in Paris time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the Paris offset, as the API shows times."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS).isoformat()


def paris_midnight_before(value: datetime) -> datetime:
    """The start (00:00 Paris) of the day of `value`, in UTC."""
    local = value.astimezone(PARIS)
    start = datetime(local.year, local.month, local.day)
    return start.replace(tzinfo=PARIS).astimezone(UTC)


def days_before(value: datetime, days: int) -> datetime:
    return value - timedelta(days=days)
