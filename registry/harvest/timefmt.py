"""French wording of times in reasons shown to managers (Europe/Paris)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from registry.errors import N_

PARIS = ZoneInfo("Europe/Paris")



_MONTHS = (
    N_("janvier"), N_("février"), N_("mars"), N_("avril"), N_("mai"), N_("juin"),
    N_("juillet"), N_("août"), N_("septembre"), N_("octobre"), N_("novembre"), N_("décembre"),
)


def french_time(moment: datetime, *, now: datetime) -> str:
    """'à 14 h 05' today, 'le 3 décembre à 14 h 05' another day."""
    local = moment.astimezone(PARIS)
    clock = {"hour": local.hour, "minute": f"{local.minute:02d}"}
    if local.date() == now.astimezone(PARIS).date():
        return N_("à %(hour)s h %(minute)s") % clock
    return N_("le %(day)s %(month)s à %(hour)s h %(minute)s") % {
        "day": local.day, "month": _MONTHS[local.month - 1], **clock}
