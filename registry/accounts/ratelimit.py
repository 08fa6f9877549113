"""Sliding-window counters kept in the database, so every process shares them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.accounts.tables import RateLimitHit


async def count_hits(key: str, *, window_seconds: int) -> int:
    since = datetime.now(UTC) - timedelta(seconds=window_seconds)
    return await RateLimitHit.count().where(
        (RateLimitHit.key == key) & (RateLimitHit.at > since)
    )


async def add_hit(key: str) -> None:
    await RateLimitHit.insert(RateLimitHit(key=key, at=datetime.now(UTC)))


async def clear_hits(key: str) -> None:
    await RateLimitHit.delete().where(RateLimitHit.key == key)


async def purge_old_hits(*, older_than_seconds: int) -> None:
    since = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    await RateLimitHit.delete().where(RateLimitHit.at < since)
