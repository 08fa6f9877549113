"""The audit log: append-only and hash-chained, so a changed or removed row is detectable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.audit.tables import AuditEntry
from registry.db import is_postgres, write_transaction

GENESIS = "0" * 64
# Any constant works; it keeps concurrent appends on PostgreSQL from forking the chain.
_CHAIN_LOCK_KEY = 0x414D4901


def _digest(prev_hash: str, at: datetime, actor: str, action: str, object_type: str,
            object_id: str, data: str) -> str:
    canonical = json.dumps(
        [prev_hash, at.astimezone(UTC).isoformat(timespec="microseconds"), actor,
         action, object_type, object_id, data],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical_data(data: dict[str, Any] | None) -> str:
    return json.dumps(data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


async def record_event(action: str, *, actor_id: int | None = None, actor: str = "",
                       object_type: str = "", object_id: str | int = "",
                       data: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry, chained to the latest one."""
    engine = engine_finder()
    async with write_transaction(engine):
        if is_postgres(engine):
            await engine.run_ddl(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY})")
        last = await AuditEntry.select(AuditEntry.hash).order_by(
            AuditEntry.id, ascending=False).first()
        prev_hash = last["hash"] if last else GENESIS
        at = datetime.now(UTC)
        payload = _canonical_data(data)
        entry = AuditEntry(
            at=at, actor_id=actor_id, actor=actor, action=action, object_type=object_type,
            object_id=str(object_id), data=payload, prev_hash=prev_hash,
            hash=_digest(prev_hash, at, actor, action, object_type, str(object_id), payload),
        )
        await entry.save()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


async def verify_chain() -> list[ChainProblem]:
    """Every problem found walking the chain from the start; empty when intact."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    rows = await AuditEntry.select().order_by(AuditEntry.id)
    for row in rows:
        if row["prev_hash"] != expected_prev:
            problems.append(ChainProblem(row["id"], "previous hash does not match: a row before "
                                         "it was removed or changed"))
        recomputed = _digest(row["prev_hash"], row["at"], row["actor"], row["action"],
                             row["object_type"], row["object_id"], row["data"])
        if recomputed != row["hash"]:
            problems.append(ChainProblem(row["id"], "content does not match its hash: the row "
                                         "was changed"))
        expected_prev = row["hash"]
    return problems
