"""Harvest failures, each carrying a reason a manager can read (French first)."""

from __future__ import annotations

from datetime import datetime

from registry.errors import N_

# Reasons are stored in French, each one a catalogue message marked with N_ and its parameters filled
# in (`N_("…%(x)s…") % params`); pages show them in the reader's language (app.i18n.translate_stored).


_REPEATED = {1: N_("%(problem)s une fois"), 2: N_("%(problem)s deux fois"), 3: N_("%(problem)s trois fois"),
             4: N_("%(problem)s quatre fois"), 5: N_("%(problem)s cinq fois")}


def repeated(problem: str, count: int) -> str:
    """« GitHub a répondu 502 (erreur du serveur) trois fois »."""
    return _REPEATED.get(count, N_("%(problem)s %(count)s fois")) % {"problem": problem, "count": count}


def status_words(status: int) -> str:
    if status >= 500:
        return N_("erreur du serveur")
    return {
        401: N_("authentification refusée"), 403: N_("accès refusé"), 404: N_("introuvable"),
        410: N_("supprimé"), 422: N_("requête refusée"), 429: N_("trop de requêtes"),
    }.get(status, N_("réponse inattendue"))


def answered(forge: str, status: int) -> str:
    """« GitHub a répondu 502 (erreur du serveur) »."""
    return N_("%(forge)s a répondu %(status)s (%(words)s)") % {
        "forge": forge, "status": status, "words": status_words(status)}


class HarvestError(Exception):
    """The repository could not be harvested this time; `reason` is shown to managers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedPayload(HarvestError):
    pass


class RepositoryGone(HarvestError):
    pass


class RateLimitPause(HarvestError):
    """The forge asked us to wait (or our reserve is reached): retry at `retry_at`."""

    def __init__(self, reason: str, retry_at: datetime) -> None:
        super().__init__(reason)
        self.retry_at = retry_at


class NotFound(HarvestError):
    """A sub-resource is absent (404/410); the caller decides whether the repository is gone."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status
