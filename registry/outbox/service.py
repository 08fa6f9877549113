"""Queueing mail: a row written inside the transaction of the change that causes it.

The rendering (templates, languages) and the delivery (SMTP or .eml files) belong to the
application, which hands them over once at start-up with `configure`; the registry only says
what to send, to whom, and why.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from piccolo.engine import engine_finder

from registry.db import after_commit, in_transaction, transaction_state
from registry.outbox.tables import OutboxMessage

# Control characters, DEL, C1 (NEL included) and the Unicode line and paragraph separators.
_HEADER_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BODY_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_BODY_UNSAFE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
SUBJECT_LIMIT = 250


class Composer(Protocol):
    def compose(self, *, template: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
        """(subject, body) of templates/emails/<template>.txt in that language."""
        ...


class Deliverer(Protocol):
    async def deliver_now(self, ids: list[int]) -> None:
        """Best effort, right after commit: must not raise (the scheduler retries)."""
        ...


@dataclass
class _Configuration:
    composer: Composer | None = None
    deliverer: Deliverer | None = None


_configuration = _Configuration()


def configure(*, composer: Composer, deliverer: Deliverer | None) -> None:
    """Called once by the application (web, command line, scheduler) before anything is queued."""
    _configuration.composer = composer
    _configuration.deliverer = deliverer


def header_text(value: str, *, limit: int = SUBJECT_LIMIT) -> str:
    """One line, safe in a mail header: no control or line-separator characters, spaces collapsed."""
    line = " ".join(_HEADER_UNSAFE.sub(" ", value).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def body_text(value: str) -> str:
    return _BODY_UNSAFE.sub("", _BODY_BREAKS.sub("\n", value)).strip() + "\n"


async def queue_mail(*, to: str, template: str, language: str = "fr", context: Mapping[str, Any],
                     secret: bool = False, object_type: str = "", object_id: str | int = "") -> OutboxMessage:
    """Renders the mail and writes its row in the current write transaction (required: a mail
    exists exactly when its cause was saved). Delivery is attempted once the transaction commits."""
    engine = engine_finder()
    if not in_transaction(engine):
        raise RuntimeError("queue_mail() must run inside the transaction of the change it reports")
    composer = _configuration.composer
    if composer is None:
        raise RuntimeError("registry.outbox.configure() was not called")
    subject, body = composer.compose(template=template, language=language, context=context)
    row = OutboxMessage(
        recipient=header_text(to, limit=320), subject=header_text(subject), body=body_text(body),
        language=language, template=template, secret=secret, object_type=object_type,
        object_id=str(object_id), message_id=f"<{uuid.uuid4().hex}@ami.local>", state="queued",
        next_attempt_at=datetime.now(UTC))
    await row.save()
    state = transaction_state()
    queued: list[int] | None = state.get("outbox")
    if queued is None:
        queued = state["outbox"] = []

        async def deliver() -> None:
            if _configuration.deliverer is not None:
                await _configuration.deliverer.deliver_now(list(queued))

        after_commit(deliver)
    queued.append(row.id)
    return row
