"""The audit log: append-only, hash-chained, sealed and anchored, so a changed or removed row shows.

Each entry's hash covers every column and the previous entry's hash; its seal is an HMAC of that
hash under AMI_SECRET_KEY (so a chain recomputed without the key shows); after each commit the
head goes to an anchor file outside the database (so removing the last rows, or all, shows).
Rows from before seq and seal existed keep their original hash (which omits seq and actor_id); the
migration that added the columns numbered them and sealed them when AMI_SECRET_KEY was set.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine

from registry.audit.anchor import Anchor, AnchorUnreadable, advance_anchor, anchor_path, environment, read_anchor
from registry.audit.tables import AuditEntry
from registry.db import after_commit, is_postgres, transaction_state, write_transaction

GENESIS = "0" * 64
# Any constant works; it keeps concurrent appends on PostgreSQL from forking the chain.
_CHAIN_LOCK_KEY = 0x414D4901
# Tags the canonical form, so a format-2 hash can never be read as one of the legacy format.
_FORMAT = "ami-audit/2"
_PENDING_HEAD = "audit.pending_head"
log = logging.getLogger(__name__)


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _sha256(values: list[Any]) -> str:
    canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_hash(row: Mapping[str, Any]) -> str:
    """The hash of a row: every column except `hash` and `seal` themselves."""
    return _sha256([_FORMAT, row["seq"], row["id"], row["prev_hash"], _instant(row["at"]), row["actor_id"],
                    row["actor"], row["action"], row["object_type"], row["object_id"], row["data"]])


def _legacy_hash(row: Mapping[str, Any]) -> str:
    return _sha256([row["prev_hash"], _instant(row["at"]), row["actor"], row["action"], row["object_type"],
                    row["object_id"], row["data"]])


def secret_key() -> str | None:
    """AMI_SECRET_KEY as app.settings reads it; None when unset (entries are then left unsealed)."""
    return environment("SECRET_KEY") or None


def seal(hash_: str, key: str) -> str:
    return hmac.new(key.encode("utf-8"), hash_.encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical_data(data: dict[str, Any] | None) -> str:
    return json.dumps(data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


async def _next_id(engine: Engine) -> int:
    # The id is hashed too, so it is taken before the insert (under the chain lock).
    if is_postgres(engine):
        query = "SELECT nextval(pg_get_serial_sequence('ami_audit_entry', 'id')) AS id"
    else:
        query = "SELECT COALESCE(MAX(id), 0) + 1 AS id FROM ami_audit_entry"
    return int((await AuditEntry.raw(query))[0]["id"])


async def _log_still_holds(path: Path, last: Mapping[str, Any] | None) -> bool:
    """Whether the anchor's head is still in the log: if not, the anchor stays where it is (and
    `verify` keeps reporting the break) instead of moving past it on the next appends."""
    try:
        anchor = read_anchor(path)
    except AnchorUnreadable:
        return False
    if anchor is None:
        return True
    if last is not None and last["seq"] == anchor.seq:
        held = last["hash"] == anchor.hash
    else:
        row = await AuditEntry.select(AuditEntry.hash).where(AuditEntry.seq == anchor.seq).first()
        held = row is not None and row["hash"] == anchor.hash
    if not held:
        log.error("audit anchor kept at seq %s: the log no longer holds that entry (see `ami audit verify`)",
                  anchor.seq)
    return held


def _advance_anchor_after_commit(path: Path, head: Anchor) -> None:
    try:
        state = transaction_state()
    except RuntimeError:
        # Joined a transaction opened without write_transaction: no commit hook to use. The anchor
        # then lags behind the log, which verify accepts; the next append catches it up.
        return
    first = _PENDING_HEAD not in state
    state[_PENDING_HEAD] = head
    if first:

        async def advance() -> None:
            await asyncio.to_thread(advance_anchor, path, state[_PENDING_HEAD])

        after_commit(advance)


async def record_event(action: str, *, actor_id: int | None = None, actor: str = "",
                       object_type: str = "", object_id: str | int = "",
                       data: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry, chained to the latest one; inside a transaction it commits with it."""
    engine = engine_finder()
    key = secret_key()
    async with write_transaction(engine):
        if is_postgres(engine):
            await engine.run_ddl(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY})")
        last = await AuditEntry.select(AuditEntry.seq, AuditEntry.hash).order_by(
            AuditEntry.seq, ascending=False).first()
        values: dict[str, Any] = {
            "id": await _next_id(engine), "seq": last["seq"] + 1 if last else 1,
            "prev_hash": last["hash"] if last else GENESIS, "at": datetime.now(UTC), "actor_id": actor_id,
            "actor": actor, "action": action, "object_type": object_type, "object_id": str(object_id),
            "data": _canonical_data(data),
        }
        hash_ = content_hash(values)
        entry = AuditEntry(**values, hash=hash_, seal=seal(hash_, key) if key else "")
        await entry.save()
        path = anchor_path()
        if await _log_still_holds(path, last):
            # seq runs 1, 2, 3…, so on an intact log the count is the head's seq: no table count per append.
            _advance_anchor_after_commit(path, Anchor(seq=values["seq"], hash=hash_, count=values["seq"]))
    return entry


class Tamper(StrEnum):
    CHANGED = "changed"  # the row's content no longer matches its hash
    MISSING = "missing"  # rows before this one are gone (seq gap or previous hash mismatch)
    TAIL_DELETED = "tail_deleted"  # the anchor's head or count is beyond what the table holds
    ALL_DELETED = "all_deleted"  # the anchor knows entries, the table has none
    ANCHOR_MISMATCH = "anchor_mismatch"  # the anchor's head seq holds another hash
    RECOMPUTED = "recomputed"  # the seal does not match the hash: recomputed without the key
    UNSEALED = "unsealed"  # a key is set but the row carries no seal
    ANCHOR_UNREADABLE = "anchor_unreadable"


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int | None  # None for what concerns the log as a whole
    reason: str
    kind: Tamper = Tamper.CHANGED
    seq: int | None = None


@dataclass(frozen=True)
class ChainReport:
    count: int
    head: Anchor | None
    anchor: Anchor | None
    anchor_path: Path
    sealed: bool  # whether seals were checked (AMI_SECRET_KEY set)
    problems: list[ChainProblem] = field(default_factory=list)


def _row_problems(rows: list[dict[str, Any]], key: str | None) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, after_legacy = GENESIS, 1, False

    def problem(row: dict[str, Any], kind: Tamper, reason: str) -> None:
        problems.append(ChainProblem(row["id"], reason, kind, row["seq"]))

    for row in rows:
        if row["seq"] > expected_seq:
            gone = row["seq"] - expected_seq
            span = f"seq {expected_seq}" if gone == 1 else f"seq {expected_seq} to {row['seq'] - 1}"
            problem(row, Tamper.MISSING, f"previous hash does not match: {gone} row(s) before it were removed ({span})"
                    if row["prev_hash"] != expected_prev else
                    f"sequence jumps from {expected_seq - 1} to {row['seq']}: rows were removed ({span})")
        elif row["prev_hash"] != expected_prev:
            problem(row, Tamper.MISSING, "previous hash does not match: a row before it was removed or changed")
        if row["hash"] == content_hash(row):
            after_legacy = True
        elif row["hash"] != _legacy_hash(row):
            problem(row, Tamper.CHANGED, "content does not match its hash: the row was changed")
        elif after_legacy:
            problem(row, Tamper.CHANGED, "content does not match its hash: a legacy-format row after newer rows "
                    "was inserted or rewritten")
        if key and not row["seal"]:
            problem(row, Tamper.UNSEALED, "no seal: written without AMI_SECRET_KEY, or its seal was removed")
        elif key and not hmac.compare_digest(row["seal"], seal(row["hash"], key)):
            problem(row, Tamper.RECOMPUTED, "seal does not match its hash: the hash was recomputed without the key")
        expected_prev, expected_seq = row["hash"], row["seq"] + 1
    return problems


def _anchor_problems(rows: list[dict[str, Any]], anchor: Anchor, missing_found: bool) -> list[ChainProblem]:
    if not rows:
        return [ChainProblem(None, f"the log is empty but the anchor recorded {anchor.count} entries (head seq "
                             f"{anchor.seq}): every row was removed", Tamper.ALL_DELETED)]
    head = rows[-1]
    if anchor.seq > head["seq"]:
        return [ChainProblem(None, f"the anchor's head (seq {anchor.seq}) is not in the log, which ends at seq "
                             f"{head['seq']}: its last rows were removed ({len(rows)} left, the anchor "
                             f"recorded {anchor.count})", Tamper.TAIL_DELETED)]
    at_anchor = next((row for row in rows if row["seq"] == anchor.seq), None)
    if at_anchor is not None and at_anchor["hash"] != anchor.hash:
        return [ChainProblem(at_anchor["id"], f"hash differs from the anchor's ({anchor.hash}): the log was "
                             "rewritten up to here", Tamper.ANCHOR_MISMATCH, anchor.seq)]
    if len(rows) < anchor.count and not missing_found:
        return [ChainProblem(None, f"{len(rows)} entries, fewer than the {anchor.count} the anchor recorded: rows "
                             "were removed", Tamper.TAIL_DELETED)]
    return []


async def inspect_chain(var_dir: Path | None = None) -> ChainReport:
    """Walks the chain from the start and compares it with the anchor kept in `var_dir`."""
    key = secret_key()
    path = anchor_path(var_dir)
    rows = await AuditEntry.select().order_by(AuditEntry.seq).order_by(AuditEntry.id)
    problems = _row_problems(rows, key)
    try:
        anchor = read_anchor(path)
    except AnchorUnreadable as error:
        anchor = None
        problems.append(ChainProblem(None, f"the anchor cannot be read: {error}", Tamper.ANCHOR_UNREADABLE))
    if anchor is not None:
        problems += _anchor_problems(rows, anchor, any(p.kind is Tamper.MISSING for p in problems))
    head = Anchor(seq=rows[-1]["seq"], hash=rows[-1]["hash"], count=len(rows)) if rows else None
    return ChainReport(count=len(rows), head=head, anchor=anchor, anchor_path=path, sealed=key is not None,
                       problems=problems)


async def verify_chain(var_dir: Path | None = None) -> list[ChainProblem]:
    """Every problem found in the chain and against its anchor; empty when intact."""
    return (await inspect_chain(var_dir)).problems
