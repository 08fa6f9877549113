"""What the delivery dashboard shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from registry.outbox.tables import STATES, OutboxMessage


@dataclass(frozen=True)
class OutboxRow:
    id: int
    created_at: datetime
    recipient: str
    subject: str
    template: str
    secret: bool
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None


_COLUMNS = (OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.recipient, OutboxMessage.subject,
            OutboxMessage.template, OutboxMessage.secret, OutboxMessage.state, OutboxMessage.attempts,
            OutboxMessage.next_attempt_at, OutboxMessage.last_error, OutboxMessage.sent_at)


async def state_counts() -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for row in await OutboxMessage.raw(
            "SELECT state, COUNT(*) AS n FROM ami_outbox_message GROUP BY state"):
        counts[row["state"]] = row["n"]
    return counts


async def list_messages(*, state: str | None = None, limit: int = 200) -> list[OutboxRow]:
    query = OutboxMessage.select(*_COLUMNS).order_by(OutboxMessage.id, ascending=False).limit(limit)
    if state in STATES:
        query = query.where(OutboxMessage.state == state)
    return [OutboxRow(**row) for row in await query]


async def message_body(message_id: int) -> tuple[OutboxRow, str] | None:
    """The row and its body; a secret body is never returned."""
    row = await OutboxMessage.select(*_COLUMNS, OutboxMessage.body).where(OutboxMessage.id == message_id).first()
    if row is None:
        return None
    body = row.pop("body")
    return OutboxRow(**row), "" if row["secret"] else body
