"""Mail for the application: rendering for the outbox, and the two transports that deliver it.

Rows are queued by the registry inside each change's transaction (registry.outbox); this module
renders them (templates/emails/<template>.txt, first line the subject) and delivers them by SMTP
when AMI_SMTP_URL is set, or as .eml files under var/outbox/ otherwise.
"""

from __future__ import annotations

import email.policy
import logging
import os
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment
from piccolo.engine import engine_finder

from app.i18n import current_language
from registry.db import write_transaction
from registry.outbox import service as outbox
from registry.outbox.delivery import DeliveryError, Transport, deliver
from registry.outbox.tables import OutboxMessage

log = logging.getLogger("ami")
# A request waits at most this long for its own mails; the scheduler retries the rest.
REQUEST_DELIVERY_SECONDS = 15.0


class MailComposer:
    def __init__(self, templates: Environment) -> None:
        self.templates = templates

    def compose(self, *, template: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
        token = current_language.set(language)
        try:
            text = self.templates.get_template(f"emails/{template}.txt").render(**context, lang=language)
        finally:
            current_language.reset(token)
        subject, _, body = text.lstrip().partition("\n")
        return subject.strip(), body.strip()


def build_message(row: OutboxMessage, *, sender: str) -> EmailMessage:
    try:
        recipient = Address(addr_spec=row.recipient)
    except (ValueError, IndexError) as error:
        raise DeliveryError(f"adresse du destinataire invalide : {row.recipient!r} ({error})",
                            permanent=True) from None
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Content-Language"] = row.language
    message.set_content(row.body, charset="utf-8")
    return message


class FileTransport:
    """.eml files, one per row, named after it: a second delivery of the same row changes nothing."""

    idempotent = True

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def path_of(self, row: OutboxMessage) -> Path:
        return self.folder / f"{row.created_at.strftime('%Y%m%dT%H%M%S%fZ')}-{row.id:08d}.eml"

    def deliver(self, message: OutboxMessage) -> None:
        path = self.path_of(message)
        if path.exists():
            return
        data = build_message(message, sender=self.sender).as_bytes()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            os.replace(partial, path)
        except OSError as error:
            raise DeliveryError(f"écriture impossible dans {self.folder} : {error}") from None


class SmtpTransport:
    idempotent = False

    def __init__(self, url: str, *, sender: str, timeout: float = 30.0) -> None:
        self.url = url
        self.sender = sender
        self.timeout = timeout

    def deliver(self, message: OutboxMessage) -> None:
        email_message = build_message(message, sender=self.sender)
        try:
            _send_smtp(self.url, email_message, timeout=self.timeout)
        except smtplib.SMTPResponseException as error:
            reason = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
                else str(error.smtp_error)
            # 5xx: the server will never take it (bad address, refused content); 4xx: try later.
            raise DeliveryError(f"SMTP {error.smtp_code} : {reason}", permanent=500 <= error.smtp_code < 600) \
                from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"destinataire refusé par le serveur SMTP : {error.recipients}",
                                permanent=all(500 <= code < 600 for code in codes)) from None
        except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as error:
            raise DeliveryError(f"serveur SMTP injoignable : {type(error).__name__}: {error}") from None


def transport_for(settings: Any) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url, sender=settings.mail_from)
    return FileTransport(settings.var_dir / "outbox", sender=settings.mail_from)


class OutboxDeliverer:
    """Delivers the rows a transaction queued, right after it commits (best effort)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def deliver_now(self, ids: list[int]) -> None:
        try:
            await deliver(self.transport, ids=ids, seconds=REQUEST_DELIVERY_SECONDS)
        except Exception:  # the database may be gone too: the rows stay queued for the scheduler
            log.exception("delivery right after commit failed; the scheduler will retry")


def configure_mail(settings: Any, templates: Environment) -> OutboxMailer:
    """Every process that changes data calls this once (web app, command line, scheduler)."""
    transport = transport_for(settings)
    composer = MailComposer(templates)
    outbox.configure(composer=composer, deliverer=OutboxDeliverer(transport))
    return OutboxMailer(composer, transport)


def _send_smtp(url: str, message: EmailMessage, *, timeout: float) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host, port = parts.hostname or "127.0.0.1", parts.port
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout)
    else:
        client = smtplib.SMTP(host, port or 25, timeout=timeout)
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in {"1", "true", "on"}:
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


class OutboxMailer:
    """What the domain is handed to send mail: each `send` queues a row in the current transaction
    (or, outside one, in a transaction of its own), delivered after commit."""

    def __init__(self, composer: MailComposer, transport: Transport) -> None:
        self.composer = composer
        self.transport = transport

    @property
    def smtp(self) -> bool:
        return isinstance(self.transport, SmtpTransport)

    def preview(self, *, template: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
        subject, body = self.composer.compose(template=template, language=language, context=context)
        return outbox.header_text(subject), outbox.body_text(body)

    async def send(self, *, to: str, template: str, language: str = "fr", context: Mapping[str, Any] | None = None,
                   secret: bool = False, object_type: str = "", object_id: str | int = "") -> OutboxMessage:
        async with write_transaction(engine_finder()):
            return await outbox.queue_mail(to=to, template=template, language=language, context=context or {},
                                           secret=secret, object_type=object_type, object_id=object_id)

    async def deliver_now(self, ids: list[int]) -> None:
        await OutboxDeliverer(self.transport).deliver_now(ids)

    async def deliver_due(self) -> str:
        return (await deliver(self.transport)).summary
