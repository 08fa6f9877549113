"""French wording of times in reasons shown to managers (Europe/Paris)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def french_time(moment: datetime, *, now: datetime) -> str:
    """'à 14 h 05' today, 'le 3 décembre à 14 h 05' another day."""
    local = moment.astimezone(PARIS)
    clock = f"{local.hour} h {local.minute:02d}"
    if local.date() == now.astimezone(PARIS).date():
        return f"à {clock}"
    return f"le {local.day} {_MONTHS[local.month - 1]} à {clock}"
