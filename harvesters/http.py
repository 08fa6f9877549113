"""Conditional requests, retries and rate limits for the forges spoken to over HTTP."""

from __future__ import annotations

import json
import re
import threading
from abc import abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from registry.harvest.timefmt import french_time
from registry.harvest.urls import UnsafeRepositoryURL

from .base import Harvester
from .config import HarvestConfig
from .errors import N_, HarvestError, MalformedPayload, NotFound, RateLimitPause, answered, repeated
from .stats import RequestStats
from .transport import RedirectRefused, origin_text

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
MAX_PAGES = 50


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str


@dataclass(frozen=True)
class Fetched:
    data: Any  # None when not modified
    not_modified: bool
    headers: dict[str, str]


class RateGate:
    """One forge host's quota, shared by the worker threads."""

    def __init__(self, label: str, reserve: int) -> None:
        self.label = label
        self.reserve = reserve
        self._lock = threading.Lock()
        self.remaining: int | None = None
        self.reset_at: datetime | None = None
        self.paused_until: datetime | None = None
        self.pause_reason = ""

    def before_request(self, now: datetime) -> None:
        with self._lock:
            if self.paused_until and now < self.paused_until:
                raise RateLimitPause(self.pause_reason, self.paused_until)
            if (self.remaining is not None and self.remaining <= self.reserve
                    and self.reset_at and now < self.reset_at):
                self._pause(
                    self.reset_at,
                    N_("quota de requêtes %(forge)s presque épuisé (%(remaining)s restantes, réserve "
                       "%(reserve)s)") % {"forge": self.label, "remaining": self.remaining,
                                          "reserve": self.reserve},
                    now,
                )
                raise RateLimitPause(self.pause_reason, self.reset_at)

    def observe(self, remaining: int | None, reset_at: datetime | None) -> None:
        with self._lock:
            if remaining is not None:
                self.remaining = remaining
            if reset_at is not None:
                self.reset_at = reset_at

    def pause(self, until: datetime, reason: str, now: datetime) -> RateLimitPause:
        with self._lock:
            self._pause(until, reason, now)
            return RateLimitPause(self.pause_reason, until)

    def _pause(self, until: datetime, reason: str, now: datetime) -> None:
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until
        self.pause_reason = f"{reason} ; reprise {french_time(self.paused_until, now=now)}"


class HttpForgeHarvester(Harvester):
    """Adds `get`/`get_list` to the base: subclasses supply `send` (their client library)."""

    def __init__(self, config: HarvestConfig, stats: RequestStats, *, api_url: str) -> None:
        super().__init__(config, stats)
        self.api_url = api_url.rstrip("/")
        self.gate = RateGate(self.label, config.rate_limit_reserve)

    @abstractmethod
    def send(self, url: str, headers: dict[str, str]) -> RawResponse:
        """One GET through the forge's client library; url is absolute."""

    def rate_limit(self, headers: dict[str, str]) -> tuple[int | None, datetime | None]:
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        try:
            left = int(remaining) if remaining is not None else None
            at = datetime.fromtimestamp(int(reset), UTC) if reset is not None else None
        except ValueError:
            return None, None
        return left, at

    def get(
        self, path: str, *, state: dict[str, Any] | None = None, resource: str = "",
        raw: bool = False,
    ) -> Fetched:
        """GET with validators from state[resource] (updated on 200), retries and rate limits."""
        url = path if path.startswith(("http://", "https://")) else self.api_url + path
        headers = {"Accept": "application/json"}
        validator = (state or {}).get(resource) if resource else None
        if validator:
            if validator.get("etag"):
                headers["If-None-Match"] = validator["etag"]
            if validator.get("last_modified"):
                headers["If-Modified-Since"] = validator["last_modified"]
        response = self._send_with_retries(url, headers)
        if response.status == 304:
            return Fetched(None, True, response.headers)
        if resource and state is not None:
            fresh = {k: v for k, v in (("etag", response.headers.get("etag")),
                                       ("last_modified", response.headers.get("last-modified"))) if v}
            if fresh:
                state[resource] = fresh
            else:
                state.pop(resource, None)
        if raw:
            return Fetched(response.body, False, response.headers)
        try:
            data = json.loads(response.body)
        except ValueError:
            raise MalformedPayload(
                N_("%(forge)s a renvoyé une réponse illisible (JSON invalide) pour %(path)s")
                % {"forge": self.label, "path": urlsplit(url).path}
            ) from None
        return Fetched(data, False, response.headers)

    def get_list(self, path: str, *, state: dict[str, Any], resource: str, what: str) -> list[Any] | None:
        """Every page (Link rel=next); None when the first page is not modified."""
        first = self.get(path, state=state, resource=resource)
        if first.not_modified:
            return None
        items = self._as_list(first.data, what)
        next_url = self._next(first.headers)
        page = 1
        while next_url:
            page += 1
            if page > MAX_PAGES:
                break
            try:
                fetched = self.get(next_url)
            except HarvestError as error:
                # A half list must not replace the stored one: the repository fails as a whole.
                state.pop(resource, None)
                raise type(error)(N_("la liste des %(what)s s'est interrompue page %(page)s : %(reason)s")
                                  % {"what": what, "page": page, "reason": error.reason}) from None
            items.extend(self._as_list(fetched.data, what))
            next_url = self._next(fetched.headers)
        return items

    def _as_list(self, data: Any, what: str) -> list[Any]:
        if not isinstance(data, list):
            raise MalformedPayload(N_("%(forge)s a renvoyé une réponse inattendue pour les %(what)s (liste attendue)")
                                   % {"forge": self.label, "what": what})
        return data

    def _next(self, headers: dict[str, str]) -> str | None:
        match = _NEXT.search(headers.get("link", ""))
        if not match:
            return None
        url = match.group(1)
        # Never let a forge send us (and our token) elsewhere.
        if urlsplit(url).netloc != urlsplit(self.api_url).netloc:
            raise MalformedPayload(N_("%(forge)s a renvoyé un lien de pagination vers un autre hôte")
                                   % {"forge": self.label})
        return url

    def _send_with_retries(self, url: str, headers: dict[str, str]) -> RawResponse:
        attempt = 0
        while True:
            attempt += 1
            self.gate.before_request(self.clock())
            try:
                response = self.send(url, headers)
            except RedirectRefused as refused:
                # Nothing was sent to the other host: neither the token nor a cookie.
                self.stats.count(refused.status)
                raise HarvestError(
                    N_("%(forge)s a redirigé (%(status)s) vers un autre hôte (%(target)s) : redirection "
                       "refusée, nos identifiants ne quittent pas la forge")
                    % {"forge": self.label, "status": refused.status,
                       "target": origin_text(refused.target)}) from None
            except UnsafeRepositoryURL as refused:
                raise HarvestError(N_("adresse refusée : %(detail)s") % {"detail": refused.detail}) from None
            except requests.exceptions.Timeout:
                problem = (N_("%(forge)s n'a pas répondu à temps (délai de %(seconds)s s dépassé)")
                           % {"forge": self.label, "seconds": f"{self.config.timeout_seconds:g}"})
                self.stats.count(None)
            except requests.exceptions.ConnectionError as error:
                cause = N_("connexion refusée") if "refused" in str(error).lower() else N_("hôte injoignable")
                problem = N_("connexion à %(forge)s impossible (%(cause)s)") % {"forge": self.label,
                                                                               "cause": cause}
                self.stats.count(None, rate_limited=False)
            else:
                self.stats.count(response.status)
                remaining, reset_at = self.rate_limit(response.headers)
                if remaining is not None:
                    self.stats.observe_remaining(remaining)
                self.gate.observe(remaining, reset_at)
                status = response.status
                if status < 300 or status == 304:
                    return response
                if status in (403, 429):
                    wait = self._rate_wait(response, remaining, reset_at)
                    if wait is None:
                        raise HarvestError(answered(self.label, status))
                    if wait <= self.config.max_wait_seconds and attempt < self.config.max_attempts:
                        self.sleep(wait)
                        continue
                    now = self.clock()
                    kind = (N_("quota de requêtes épuisé") if remaining == 0
                            else N_("limite secondaire de requêtes atteinte"))
                    raise self.gate.pause(now + timedelta(seconds=wait),
                                          N_("%(forge)s : %(kind)s") % {"forge": self.label, "kind": kind}, now)
                if status in (404, 410):
                    raise NotFound(answered(self.label, status), status)
                if status < 500:
                    raise HarvestError(answered(self.label, status))
                problem = answered(self.label, status)
            if attempt >= self.config.max_attempts:
                raise HarvestError(repeated(problem, attempt))
            self.backoff(attempt)

    def _rate_wait(self, response: RawResponse, remaining: int | None,
                   reset_at: datetime | None) -> float | None:
        """Seconds to wait for a rate limit, or None when the 403 is a real refusal."""
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(float(retry_after), 0.0)
            except ValueError:
                pass
        if remaining == 0 and reset_at is not None:
            return max((reset_at - self.clock()).total_seconds(), 0.0) + 1
        body = response.body.lower()
        if response.status == 429 or "rate limit" in body:
            return 60.0
        return None
