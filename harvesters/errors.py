"""Harvest failures, each carrying a reason a manager can read (French first)."""

from __future__ import annotations

from datetime import datetime

_TIMES = {1: "une fois", 2: "deux fois", 3: "trois fois", 4: "quatre fois", 5: "cinq fois"}


def times(count: int) -> str:
    return _TIMES.get(count, f"{count} fois")


def status_words(status: int) -> str:
    if status >= 500:
        return "erreur du serveur"
    return {
        401: "authentification refusée", 403: "accès refusé", 404: "introuvable",
        410: "supprimé", 422: "requête refusée", 429: "trop de requêtes",
    }.get(status, "réponse inattendue")


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
