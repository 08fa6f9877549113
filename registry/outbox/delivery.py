"""Delivering queued mail: claim a row, hand it to the transport, record the outcome.

A row is claimed by one conditional UPDATE (queued → sending), so two senders (the request that
queued it, the scheduler, another process) never both send it. A transient failure puts it back
in the queue with an exponential backoff; a permanent one, or too many attempts, marks it failed
with the reason, for a person to retry. A row left "sending" by a crash is settled on the next
pass: a transport that can tell whether it already delivered it (files) queues it again; SMTP
cannot, so the row is marked failed, "may have been sent", rather than sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.audit.log import record_event
from registry.db import write_transaction
from registry.errors import Conflict, NotFound
from registry.outbox.tables import OutboxMessage

log = logging.getLogger("ami")
MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=6)
# A claim older than this was interrupted (delivery itself times out well before).
STALE_CLAIM = timedelta(minutes=10)
UNCERTAIN = "Envoi interrompu : ce courriel a peut-être été remis. Vérifiez avant de le renvoyer."


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    # True when delivering the same row twice is harmless (it can tell it already did).
    idempotent: bool

    def deliver(self, message: OutboxMessage) -> None:
        """Blocking; raises DeliveryError."""
        ...


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def summary(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failed attempt, at most 6 hours."""
    return min(FIRST_DELAY * (2 ** max(attempts - 1, 0)), LONGEST_DELAY)


async def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    async with write_transaction(engine_finder()):
        claimed = await OutboxMessage.update(
            {OutboxMessage.state: "sending", OutboxMessage.last_attempt_at: now,
             OutboxMessage.attempts: OutboxMessage.attempts + 1}).where(
            (OutboxMessage.id == message_id) & (OutboxMessage.state == "queued")).returning(OutboxMessage.id)
        if not claimed:
            return None
        return await OutboxMessage.objects().where(OutboxMessage.id == message_id).first()


async def _settle(message: OutboxMessage, error: DeliveryError | None, now: datetime) -> str:
    if error is None:
        values = {OutboxMessage.state: "sent", OutboxMessage.sent_at: now, OutboxMessage.last_error: ""}
        outcome = "sent"
    elif error.permanent or message.attempts >= MAX_ATTEMPTS:
        values = {OutboxMessage.state: "failed", OutboxMessage.last_error: error.reason[:2000]}
        outcome = "failed"
    else:
        values = {OutboxMessage.state: "queued", OutboxMessage.last_error: error.reason[:2000],
                  OutboxMessage.next_attempt_at: now + backoff(message.attempts)}
        outcome = "retried"
    async with write_transaction(engine_finder()):
        await OutboxMessage.update(values).where(
            (OutboxMessage.id == message.id) & (OutboxMessage.state == "sending"))
    return outcome


async def settle_interrupted(transport: Transport, *, now: datetime) -> int:
    """Rows claimed by a sender that died before recording the outcome."""
    stale = (OutboxMessage.state == "sending") & (OutboxMessage.last_attempt_at < now - STALE_CLAIM)
    values = ({OutboxMessage.state: "queued", OutboxMessage.next_attempt_at: now} if transport.idempotent
              else {OutboxMessage.state: "failed", OutboxMessage.last_error: UNCERTAIN})
    async with write_transaction(engine_finder()):
        settled = await OutboxMessage.update(values).where(stale).returning(OutboxMessage.id)
    return len(settled)


async def deliver(transport: Transport, *, ids: list[int] | None = None, now: datetime | None = None,
                  limit: int = 100, seconds: float = 60.0) -> DeliveryReport:
    """Delivers the queued rows that are due (or exactly `ids`, if given and still queued)."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    if ids is None:
        await settle_interrupted(transport, now=now)
        rows = await OutboxMessage.select(OutboxMessage.id).where(
            (OutboxMessage.state == "queued") & (OutboxMessage.next_attempt_at <= now)).order_by(
            OutboxMessage.id).limit(limit)
        ids = [row["id"] for row in rows]
    for message_id in ids:
        message = await _claim(message_id, now)
        if message is None:
            continue  # sent, being sent by someone else, or failed meanwhile
        error: DeliveryError | None = None
        try:
            await asyncio.wait_for(asyncio.to_thread(transport.deliver, message), timeout=seconds)
        except DeliveryError as failure:
            error = failure
        except TimeoutError:
            error = DeliveryError(f"délai dépassé ({seconds:.0f} s)")
        except Exception as failure:  # noqa: BLE001 - any transport fault is recorded, never raised
            error = DeliveryError(f"{type(failure).__name__}: {failure}")
        outcome = await _settle(message, error, datetime.now(UTC))
        setattr(report, outcome, getattr(report, outcome) + 1)
        if error is not None:
            log.warning("mail %s to %s: %s (%s)", message.id, message.recipient, error.reason, outcome)
    return report


async def retry_message(message_id: int, *, actor: Actor) -> OutboxMessage:
    """A person asks for one more try of a failed row (or one waiting for its next attempt):
    queued at once, audited in the same transaction."""
    async with write_transaction(engine_finder()):
        message = await OutboxMessage.objects().where(OutboxMessage.id == message_id).first()
        if message is None:
            raise NotFound("Courriel introuvable.")
        if message.state not in {"failed", "queued"}:
            raise Conflict("Ce courriel est déjà envoyé ou en cours d'envoi.")
        previous = message.state
        await OutboxMessage.update({OutboxMessage.state: "queued",
                                    OutboxMessage.next_attempt_at: datetime.now(UTC)}).where(
            OutboxMessage.id == message.id)
        await record_event("outbox.retry", actor_id=actor.id, actor=actor.email, object_type="outbox",
                           object_id=message.id, data={"from": previous, "attempts": message.attempts,
                                                       "last_error": message.last_error})
        message.state = "queued"
    return message
