"""The audit chain on both engines: each way of tampering is reported with its own reason."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from piccolo.engine import engine_finder

from registry.accounts.tables import User
from registry.audit.anchor import Anchor, advance_anchor, read_anchor
from registry.audit.log import (
    GENESIS,
    ChainProblem,
    Tamper,
    content_hash,
    inspect_chain,
    record_event,
    seal,
    verify_chain,
)
from registry.audit.tables import AuditEntry
from registry.db import is_postgres, write_transaction

ROOT = Path(__file__).resolve().parents[2]
KEY = os.environ["AMI_SECRET_KEY"]
CHANGED = "content does not match its hash: the row was changed"
RECOMPUTED = "seal does not match its hash: the hash was recomputed without the key"


@pytest.fixture
def var_dir(db, tmp_path, monkeypatch) -> Path:
    """A var/ folder of the test's own, where record_event keeps the anchor."""
    folder = (tmp_path / "var").resolve()
    monkeypatch.setenv("AMI_VAR_DIR", str(folder))
    return folder


async def write_log(count: int) -> list[dict]:
    for n in range(1, count + 1):
        await record_event("test.event", actor_id=100 + n, actor=f"u{n}@example.org", object_type="call",
                           object_id=n, data={"n": n})
    return await AuditEntry.select().order_by(AuditEntry.seq)


def anchor_of(var_dir: Path) -> dict:
    return json.loads((var_dir / "audit-anchor.json").read_text(encoding="utf-8"))


@contextlib.asynccontextmanager
async def triggers_lifted() -> AsyncIterator[None]:
    """What someone with write access to the database itself can do: set the triggers aside."""
    engine = engine_finder()
    if is_postgres(engine):
        await engine.run_ddl("ALTER TABLE ami_audit_entry DISABLE TRIGGER USER")
        try:
            yield
        finally:
            await engine.run_ddl("ALTER TABLE ami_audit_entry ENABLE TRIGGER USER")
        return
    triggers = await AuditEntry.raw(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ami_audit_entry'")
    assert sorted(t["name"] for t in triggers) == ["ami_audit_entry_append_only", "ami_audit_entry_no_delete"]
    for trigger in triggers:
        await engine.run_ddl(f"DROP TRIGGER {trigger['name']}")
    try:
        yield
    finally:
        for trigger in triggers:
            await engine.run_ddl(trigger["sql"])


async def delete_seqs(*seqs: int) -> None:
    async with triggers_lifted():
        await AuditEntry.delete().where(AuditEntry.seq.is_in(list(seqs)))


def test_hash_covers_every_column():
    row = {"id": 7, "seq": 3, "prev_hash": "a" * 64, "at": datetime(2026, 12, 4, 9, 0, tzinfo=UTC), "actor_id": 42,
           "actor": "a@example.org", "action": "call.created", "object_type": "call", "object_id": "1", "data": "{}"}
    assert {c._meta.db_column_name for c in AuditEntry._meta.columns} - {"hash", "seal"} == set(row)
    for name, value in row.items():
        changed = value + timedelta(microseconds=1) if isinstance(value, datetime) else value + type(value)(1)
        assert content_hash({**row, name: changed}) != content_hash(row), name
    assert content_hash({**row, "actor_id": None}) != content_hash(row)


async def test_intact_chain_reports_nothing_and_anchors_its_head(var_dir):
    rows = await write_log(3)
    assert [(r["seq"], r["actor_id"], r["object_id"], r["data"]) for r in rows] == [
        (1, 101, "1", '{"n":1}'), (2, 102, "2", '{"n":2}'), (3, 103, "3", '{"n":3}')]
    assert [r["prev_hash"] for r in rows] == [GENESIS, rows[0]["hash"], rows[1]["hash"]]
    assert [r["hash"] for r in rows] == [content_hash(r) for r in rows]
    assert [r["seal"] for r in rows] == [seal(r["hash"], KEY) for r in rows]
    assert anchor_of(var_dir) == {"seq": 3, "hash": rows[2]["hash"], "count": 3}
    assert await verify_chain() == []
    report = await inspect_chain(var_dir)
    assert (report.count, report.head, report.anchor, report.sealed) == (
        3, Anchor(3, rows[2]["hash"], 3), Anchor(3, rows[2]["hash"], 3), True)


async def test_triggers_refuse_update_and_delete(var_dir):
    [row] = await write_log(1)
    with pytest.raises(Exception, match="the audit log is append-only"):  # each engine raises its own class
        await AuditEntry.update({AuditEntry.data: '{"n":2}'}).where(AuditEntry.id == row["id"])
    with pytest.raises(Exception, match="the audit log is append-only"):
        await AuditEntry.delete().where(AuditEntry.id == row["id"])
    if is_postgres(engine_finder()):
        with pytest.raises(Exception, match="the audit log is append-only"):
            await engine_finder().run_ddl("TRUNCATE ami_audit_entry")
    assert await AuditEntry.select(AuditEntry.id, AuditEntry.data) == [{"id": row["id"], "data": '{"n":1}'}]


@pytest.mark.parametrize(("column", "value"), [
    (AuditEntry.actor_id, 999),
    (AuditEntry.data, '{"n":99}'),
    (AuditEntry.at, datetime(2020, 1, 1, tzinfo=UTC)),
])
async def test_edited_row_is_reported_as_changed(var_dir, column, value):
    rows = await write_log(3)
    async with triggers_lifted():
        await AuditEntry.update({column: value}).where(AuditEntry.seq == 2)
    assert await verify_chain() == [ChainProblem(rows[1]["id"], CHANGED, Tamper.CHANGED, 2)]


async def test_deleted_middle_row_is_reported_as_missing(var_dir):
    rows = await write_log(5)
    await delete_seqs(3)
    assert await verify_chain() == [ChainProblem(
        rows[3]["id"], "previous hash does not match: 1 row(s) before it were removed (seq 3)", Tamper.MISSING, 4)]


async def test_deleted_first_rows_are_reported_as_missing(var_dir):
    rows = await write_log(4)
    await delete_seqs(1, 2)
    assert await verify_chain() == [ChainProblem(
        rows[2]["id"], "previous hash does not match: 2 row(s) before it were removed (seq 1 to 2)", Tamper.MISSING,
        3)]


async def test_deleted_tail_is_reported_against_the_anchor(var_dir):
    await write_log(5)
    await delete_seqs(4, 5)
    assert await verify_chain() == [ChainProblem(
        None, "the anchor's head (seq 5) is not in the log, which ends at seq 3: its last rows were removed "
        "(3 left, the anchor recorded 5)", Tamper.TAIL_DELETED)]


async def test_anchor_does_not_move_past_a_deleted_tail(var_dir):
    rows = await write_log(5)
    await delete_seqs(4, 5)
    new = await write_log(3)  # seq 4, 5, 6 again, with other hashes
    assert [r["seq"] for r in new] == [1, 2, 3, 4, 5, 6]
    assert anchor_of(var_dir) == {"seq": 5, "hash": rows[4]["hash"], "count": 5}
    assert await verify_chain() == [ChainProblem(
        new[4]["id"], f"hash differs from the anchor's ({rows[4]['hash']}): the log was rewritten up to here",
        Tamper.ANCHOR_MISMATCH, 5)]


async def test_deleting_every_row_is_reported_against_the_anchor(var_dir):
    await write_log(3)
    await delete_seqs(1, 2, 3)
    assert await AuditEntry.count() == 0
    assert await verify_chain() == [ChainProblem(
        None, "the log is empty but the anchor recorded 3 entries (head seq 3): every row was removed",
        Tamper.ALL_DELETED)]


async def test_edit_with_every_later_hash_recomputed_is_caught_by_the_seals(var_dir):
    rows = await write_log(4)
    forged, prev_hash = [], rows[0]["hash"]
    for row in rows[1:]:  # what one can do knowing the (public) formula but not the key
        row = {**row, "prev_hash": prev_hash, "data": '{"n":99}' if row["seq"] == 2 else row["data"]}
        prev_hash = row["hash"] = content_hash(row)
        forged.append(row)
    async with triggers_lifted():
        for row in forged:
            await AuditEntry.update({AuditEntry.prev_hash: row["prev_hash"], AuditEntry.data: row["data"],
                                     AuditEntry.hash: row["hash"]}).where(AuditEntry.id == row["id"])
    assert await verify_chain() == [
        *(ChainProblem(row["id"], RECOMPUTED, Tamper.RECOMPUTED, row["seq"]) for row in forged),
        ChainProblem(rows[3]["id"], f"hash differs from the anchor's ({rows[3]['hash']}): the log was rewritten up "
                     "to here", Tamper.ANCHOR_MISMATCH, 4),
    ]


async def test_unsealed_rows_are_reported_once_a_key_is_set(var_dir, monkeypatch):
    monkeypatch.delenv("AMI_SECRET_KEY")
    rows = await write_log(2)
    assert [r["seal"] for r in rows] == ["", ""]
    report = await inspect_chain(var_dir)
    assert (report.problems, report.sealed) == ([], False)
    monkeypatch.setenv("AMI_SECRET_KEY", KEY)
    reason = "no seal: written without AMI_SECRET_KEY, or its seal was removed"
    assert await verify_chain() == [ChainProblem(r["id"], reason, Tamper.UNSEALED, r["seq"]) for r in rows]


async def test_legacy_rows_are_accepted_only_before_the_new_ones(var_dir):
    def legacy_hash(prev: str, at: datetime, data: str) -> str:  # the format before seq and seal
        canonical = json.dumps([prev, at.isoformat(timespec="microseconds"), "old@example.org", "old.event", "",
                                "", data], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    first = legacy_hash(GENESIS, at, "{}")
    second = legacy_hash(first, at, '{"n":2}')
    await AuditEntry.insert(
        AuditEntry(seq=1, at=at, actor_id=5, actor="old@example.org", action="old.event", data="{}",
                   prev_hash=GENESIS, hash=first, seal=seal(first, KEY)),
        AuditEntry(seq=2, at=at, actor_id=5, actor="old@example.org", action="old.event", data='{"n":2}',
                   prev_hash=first, hash=second, seal=seal(second, KEY)))
    entry = await record_event("new.event", actor_id=1, actor="new@example.org")
    assert (entry.seq, entry.prev_hash) == (3, second)
    assert await verify_chain() == []
    late = legacy_hash(entry.hash, at, "{}")
    [inserted] = await AuditEntry.insert(AuditEntry(seq=4, at=at, actor="old@example.org", action="old.event",
                                                    data="{}", prev_hash=entry.hash, hash=late, seal=seal(late, KEY)))
    assert await verify_chain() == [ChainProblem(
        inserted["id"], "content does not match its hash: a legacy-format row after newer rows was inserted or "
        "rewritten", Tamper.CHANGED, 4)]


async def test_event_joins_the_callers_transaction_and_anchors_after_commit(var_dir):
    async with write_transaction(engine_finder()):
        await User.insert(User(email="a@example.org", name="A"))
        await record_event("user.created", actor="a@example.org")
        second = await record_event("user.changed", actor="a@example.org")
        assert read_anchor(var_dir / "audit-anchor.json") is None  # not before the commit
    assert await User.count() == 1
    assert anchor_of(var_dir) == {"seq": 2, "hash": second.hash, "count": 2}
    assert await verify_chain() == []


async def test_event_in_a_rolled_back_transaction_leaves_no_entry_and_the_anchor_unchanged(var_dir):
    rows = await write_log(2)
    before = anchor_of(var_dir)
    with pytest.raises(RuntimeError, match="refused"):
        async with write_transaction(engine_finder()):
            await User.insert(User(email="a@example.org", name="A"))
            await record_event("user.created", actor="a@example.org")
            raise RuntimeError("refused")
    assert (await User.count(), await AuditEntry.count()) == (0, 2)
    assert before == anchor_of(var_dir) == {"seq": 2, "hash": rows[1]["hash"], "count": 2}
    after = await record_event("user.created", actor="a@example.org")
    assert (after.seq, after.prev_hash) == (3, rows[1]["hash"])
    assert await verify_chain() == []


def test_anchor_never_moves_backwards(tmp_path):
    path = tmp_path / "audit-anchor.json"
    assert advance_anchor(path, Anchor(5, "e" * 64, 5)) is True
    assert advance_anchor(path, Anchor(4, "d" * 64, 4)) is False
    assert advance_anchor(path, Anchor(5, "f" * 64, 5)) is False
    assert read_anchor(path) == Anchor(5, "e" * 64, 5)
    assert advance_anchor(path, Anchor(6, "a" * 64, 6)) is True
    assert json.loads(path.read_text()) == {"seq": 6, "hash": "a" * 64, "count": 6}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit-anchor.json", "audit-anchor.lock"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                          env={**os.environ}, cwd=ROOT, timeout=60)


async def test_cli_audit_verify_prints_head_and_anchor_and_fails_on_tampering(var_dir):
    rows = await write_log(3)
    head = f"n° 3 {rows[2]['hash']}"
    anchor_line = f"Ancre ({var_dir}/audit-anchor.json) : {head}, 3 entrées"
    intact = run_cli("audit", "verify")
    assert (intact.returncode, intact.stderr) == (0, "")
    assert intact.stdout.splitlines() == ["Journal intact : 3 entrées vérifiées.", f"Tête : {head}", anchor_line]

    await delete_seqs(2, 3)
    tampered = run_cli("audit", "verify")
    assert tampered.returncode == 1
    assert tampered.stdout.splitlines() == [
        "journal : [tail_deleted] the anchor's head (seq 3) is not in the log, which ends at seq 1: its last rows "
        "were removed (1 left, the anchor recorded 3)",
        f"Tête : n° 1 {rows[0]['hash']}",
        anchor_line,
    ]
    assert tampered.stderr == "Journal altéré : 1 problème(s) sur 1 entrées.\n"
