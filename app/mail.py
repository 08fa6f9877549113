"""One mail service: .eml files under var/outbox/ by default, SMTP when AMI_SMTP_URL is set."""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment

from app.i18n import current_language


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    to: str
    subject: str
    date: str
    body: str


class Mailer:
    def __init__(self, *, templates: Environment, sender: str, smtp_url: str,
                 outbox_dir: Path) -> None:
        self.templates = templates
        self.sender = sender
        self.smtp_url = smtp_url
        self.outbox_dir = outbox_dir

    def build(self, *, to: str, template: str, language: str, context: dict) -> EmailMessage:
        """Render templates/emails/<template>.txt; its first line is the subject."""
        token = current_language.set(language)
        try:
            text = self.templates.get_template(f"emails/{template}.txt").render(
                **context, lang=language)
        finally:
            current_language.reset(token)
        subject, _, body = text.lstrip().partition("\n")
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject.strip()
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain="ami.local")
        message["Content-Language"] = language
        message.set_content(body.strip() + "\n", charset="utf-8")
        return message

    async def send(self, *, to: str, template: str, language: str = "fr",
                   context: dict | None = None) -> EmailMessage:
        message = self.build(to=to, template=template, language=language, context=context or {})
        if self.smtp_url:
            await asyncio.to_thread(_send_smtp, self.smtp_url, message)
        else:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = self.outbox_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.as_bytes())
        return message

    def outbox(self, *, limit: int = 200) -> list[OutboxEntry]:
        if not self.outbox_dir.is_dir():
            return []
        entries = []
        for path in sorted(self.outbox_dir.glob("*.eml"), reverse=True)[:limit]:
            entries.append(read_eml(path))
        return entries

    def outbox_entry(self, name: str) -> OutboxEntry | None:
        path = self.outbox_dir / name
        # Only plain file names from the listing: no path tricks.
        if "/" in name or not name.endswith(".eml") or not path.is_file():
            return None
        return read_eml(path)


def mailer_for(settings: Any, templates: Environment) -> Mailer:
    return Mailer(templates=templates, sender=settings.mail_from, smtp_url=settings.smtp_url,
                  outbox_dir=settings.var_dir / "outbox")


def read_eml(path: Path) -> OutboxEntry:
    message = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    part = message.get_body(preferencelist=("plain",))
    return OutboxEntry(name=path.name, to=str(message["To"]), subject=str(message["Subject"]),
                       date=str(message["Date"]), body=part.get_content() if part else "")


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host, port = parts.hostname or "127.0.0.1", parts.port
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=30)
    else:
        client = smtplib.SMTP(host, port or 25, timeout=30)
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in {"1", "true", "on"}:
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
