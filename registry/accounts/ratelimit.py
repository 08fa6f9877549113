"""Sliding-window counters kept in the database, so every process shares them.

`reserve` counts and records in one step: it checks every key against its limit and records one hit
per key inside a single write transaction that serialises with every other reservation on the same
keys (SQLite: the transaction takes the write lock at once; PostgreSQL: a transaction-scoped advisory
lock per key, taken in a fixed order). Concurrent callers therefore cannot all pass the check before
any of them has counted: with a limit of 5, exactly 5 get through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.querystring import QueryString

from registry.accounts.tables import RateLimitHit
from registry.db import is_postgres, write_transaction

# The first half of PostgreSQL's two-key advisory locks: keeps these apart from other locks.
_ADVISORY_NAMESPACE = 7_301


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits on `key` within the window."""

    key: str
    limit: int


class LimitReached(Exception):  # noqa: N818 - a condition, not a programming error
    """A limit is reached; `retry_after` is how many seconds until a hit leaves the window."""

    def __init__(self, key: str, retry_after: int) -> None:
        super().__init__(key)
        self.key = key
        self.retry_after = retry_after


def _now() -> datetime:
    return datetime.now(UTC)


async def _lock_keys(keys: Sequence[str]) -> None:
    engine = RateLimitHit._meta.db
    if not is_postgres(engine):
        return  # the IMMEDIATE transaction already holds SQLite's write lock
    for key in sorted(set(keys)):
        await engine.run_querystring(QueryString(
            "SELECT pg_advisory_xact_lock({}, hashtext({}))", _ADVISORY_NAMESPACE, key))


async def _retry_after(key: str, limit: int, count: int, *, since: datetime, now: datetime,
                       window_seconds: int) -> int:
    """Seconds until enough hits leave the window for one more to fit."""
    row = await RateLimitHit.select(RateLimitHit.at).where(
        (RateLimitHit.key == key) & (RateLimitHit.at > since)
    ).order_by(RateLimitHit.at).offset(max(count - limit, 0)).first()
    if row is None:
        return 1
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)
    return max(1, math.ceil((at + timedelta(seconds=window_seconds) - now).total_seconds()))


async def reserve(limits: Sequence[Limit], *, window_seconds: int) -> list[int]:
    """Records one hit per key if every key is under its limit, atomically; returns the hits' ids.

    Raises LimitReached (nothing recorded) when a key is at its limit. The ids let the caller take
    the hits back with `release` once it knows the attempt should not count (a right password).
    """
    engine = RateLimitHit._meta.db
    async with write_transaction(engine):
        await _lock_keys([limit.key for limit in limits])
        now = _now()
        since = now - timedelta(seconds=window_seconds)
        worst: LimitReached | None = None
        for limit in limits:
            count = await RateLimitHit.count().where(
                (RateLimitHit.key == limit.key) & (RateLimitHit.at > since))
            if count >= limit.limit:
                wait = await _retry_after(limit.key, limit.limit, count, since=since, now=now,
                                          window_seconds=window_seconds)
                if worst is None or wait > worst.retry_after:
                    worst = LimitReached(limit.key, wait)
        if worst is not None:
            raise worst
        rows = await RateLimitHit.insert(
            *[RateLimitHit(key=limit.key, at=now) for limit in limits]
        ).returning(RateLimitHit.id)
    return [row["id"] for row in rows]


async def release(hit_ids: Sequence[int]) -> None:
    """Takes back hits recorded by `reserve`."""
    if hit_ids:
        await RateLimitHit.delete().where(RateLimitHit.id.is_in(list(hit_ids)))


async def clear_hits(key: str) -> None:
    await RateLimitHit.delete().where(RateLimitHit.key == key)


async def purge_old_hits(*, older_than_seconds: int) -> None:
    since = _now() - timedelta(seconds=older_than_seconds)
    await RateLimitHit.delete().where(RateLimitHit.at < since)
