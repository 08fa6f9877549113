from __future__ import annotations

import threading


class RequestStats:
    """Counters shared by the worker threads of one run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.rate_limited = 0
        self.not_modified = 0
        self.rate_limit_remaining: int | None = None

    def count(self, status: int | None, *, rate_limited: bool = True) -> None:
        with self._lock:
            self.requests += 1
            if status == 304:
                self.not_modified += 1
            elif rate_limited:
                self.rate_limited += 1

    def observe_remaining(self, remaining: int) -> None:
        with self._lock:
            if self.rate_limit_remaining is None or remaining < self.rate_limit_remaining:
                self.rate_limit_remaining = remaining
