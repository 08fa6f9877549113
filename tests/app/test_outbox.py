"""The transactional outbox under faults: SMTP refusing, down then back, a crash between commit and
delivery, and pasted line separators, on both engines. Nothing is lost, nothing is sent twice."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.mail import FileTransport, SmtpTransport
from registry.accounts.tables import User
from registry.audit.tables import AuditEntry
from registry.outbox.delivery import UNCERTAIN, deliver
from registry.outbox.tables import OutboxMessage
from tests.applications.helpers import draft, open_call
from tests.conftest import PASSWORD, free_port, http_client, login, post_form

PROJECT = Path(__file__).resolve().parents[2]
LATER = timedelta(hours=7)  # past the longest backoff


class Server:
    """A real SMTP server (aiosmtpd) that answers what the test tells it to."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list = []
        self.answers: list[str] = []  # the next DATA answers, then "250"
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp():
    server = Server(free_port())
    server.start()
    yield server
    server.stop()


async def rows() -> list[dict]:
    return await OutboxMessage.select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.template,
                                      OutboxMessage.state, OutboxMessage.attempts).order_by(OutboxMessage.id)


async def register(client, email: str = "zoe@example.org"):
    return await post_form(client, "/register", "/register", {
        "name": "Zoé", "email": email, "password": PASSWORD, "password_confirm": PASSWORD})


async def test_pasted_line_separators_never_reach_a_header_and_the_receipt_leaves_once(
        settings, smtp, app_factory, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    application = await draft(owner)
    await OutboxMessage.delete(force=True)
    application.title = "Titre\u2028collé\x0bdepuis\x85un\rtraitement\ttexte\u2029"
    await application.save()
    app = app_factory(dataclasses.replace(settings, smtp_url=smtp.url))
    async with http_client(app) as client:
        answer = await client.post(f"/api/v1/applications/{application.id}/submit", headers=await api_token(owner))
    assert answer.status_code == 200 and answer.json()["state"] == "submitted"
    [message] = smtp.messages
    assert message["Subject"] == "Accusé de réception : candidature soumise — Titre collé depuis un traitement texte"
    assert message["To"] == "owner@example.org"
    assert await rows() == [{"id": (await rows())[0]["id"], "recipient": "owner@example.org",
                             "template": "application_submitted", "state": "sent", "attempts": 1}]
    assert await AuditEntry.count().where(AuditEntry.action == "application.submit") == 1
    assert (await deliver(SmtpTransport(smtp.url, sender="x@example.org"), now=datetime.now(UTC) + LATER)).sent == 0
    assert len(smtp.messages) == 1


async def test_smtp_refusing_for_a_while_delays_the_mail_and_sends_it_once(settings, smtp, app_factory):
    smtp.answers = ["451 4.3.0 Try again later", "452 4.3.1 Insufficient storage"]
    app = app_factory(dataclasses.replace(settings, smtp_url=smtp.url))
    async with http_client(app) as client:
        page = await register(client)
    assert page.status_code == 200 and "zoe@example.org" in page.text
    assert await User.count().where(User.email == "zoe@example.org") == 1
    [row] = await OutboxMessage.objects()
    assert (row.state, row.attempts, row.template, row.secret) == ("queued", 1, "verify_email", True)
    assert "451" in row.last_error and row.next_attempt_at > datetime.now(UTC)
    transport = app.state.mailer.transport
    # Not due yet: nothing is tried.
    assert (await deliver(transport)).summary == "0 sent, 0 to retry, 0 failed"
    assert (await deliver(transport, now=datetime.now(UTC) + LATER)).summary == "0 sent, 1 to retry, 0 failed"
    assert (await deliver(transport, now=datetime.now(UTC) + LATER)).summary == "1 sent, 0 to retry, 0 failed"
    assert (await deliver(transport, now=datetime.now(UTC) + 2 * LATER)).summary == "0 sent, 0 to retry, 0 failed"
    [message] = smtp.messages
    assert message["Subject"] == "Confirmez votre adresse électronique"
    assert "/verify?token=" in message.get_body(preferencelist=("plain",)).get_content()
    [row] = await OutboxMessage.objects()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")


async def test_smtp_down_then_back(settings, app_factory):
    server = Server(free_port())  # nobody listens yet
    app = app_factory(dataclasses.replace(settings, smtp_url=server.url))
    async with http_client(app) as client:
        assert (await register(client)).status_code == 200
    [row] = await OutboxMessage.objects()
    assert (row.state, row.attempts) == ("queued", 1)
    assert row.last_error.startswith("serveur SMTP injoignable : ConnectionRefusedError")
    server.start()
    try:
        report = await deliver(app.state.mailer.transport, now=datetime.now(UTC) + LATER)
        again = await deliver(app.state.mailer.transport, now=datetime.now(UTC) + 2 * LATER)
    finally:
        server.stop()
    assert (report.sent, again.sent) == (1, 0)
    assert [m["To"] for m in server.messages] == ["zoe@example.org"]


async def test_permanent_refusal_fails_at_once_and_an_admin_retry_sends_it(settings, smtp, app_factory, make_user):
    await make_user("admin", email="admin@example.org")
    smtp.answers = ["554 5.7.1 Rejected"]
    app = app_factory(dataclasses.replace(settings, smtp_url=smtp.url))
    async with http_client(app) as client:
        await register(client)
        [row] = await OutboxMessage.objects()
        assert (row.state, row.attempts, row.last_error) == ("failed", 1, "SMTP 554 : 5.7.1 Rejected")
        await login(client, "admin@example.org")
        page = await client.get("/manage/outbox?show=failed")
        assert "SMTP 554 : 5.7.1 Rejected" in page.text and "En échec : 1" in page.text
        done = await post_form(client, f"/manage/outbox/{row.id}", f"/manage/outbox/{row.id}/retry", {})
    assert "Le courriel est remis dans la file d’envoi." in done.text
    [row] = await OutboxMessage.objects()
    assert (row.state, row.attempts) == ("sent", 2)
    assert [m["To"] for m in smtp.messages] == ["zoe@example.org"]
    assert await AuditEntry.count().where(AuditEntry.action == "outbox.retry") == 1


async def test_an_interrupted_smtp_delivery_is_never_sent_again_by_itself(settings, smtp, app_factory):
    app = app_factory(dataclasses.replace(settings, smtp_url=smtp.url))
    async with http_client(app) as client:
        await register(client)
    [row] = await OutboxMessage.objects()
    # As if the sender died after the server took the mail and before the row said so.
    await OutboxMessage.update({OutboxMessage.state: "sending",
                                OutboxMessage.last_attempt_at: datetime.now(UTC) - timedelta(hours=1)}).where(
        OutboxMessage.id == row.id)
    report = await deliver(app.state.mailer.transport)
    [row] = await OutboxMessage.objects()
    assert (report.sent, row.state, row.last_error) == (0, "failed", UNCERTAIN)
    assert len(smtp.messages) == 1


CRASHING_WRITER = textwrap.dedent("""
    import asyncio, os, signal
    from piccolo.engine import engine_finder
    from app.mail import MailComposer
    from app.web.templating import build_environment
    from registry.audit.log import record_event
    from registry.db import engine_from_environment, use_engine, write_transaction
    from registry.outbox import service as outbox

    class Crash:
        async def deliver_now(self, ids):
            os.kill(os.getpid(), signal.SIGKILL)  # the process dies between commit and delivery

    async def main():
        engine = engine_from_environment()
        use_engine(engine)
        outbox.configure(composer=MailComposer(build_environment()), deliverer=Crash())
        async with write_transaction(engine_finder()):
            await record_event("test.change", actor="crash@example.org")
            await outbox.queue_mail(to="crash@example.org", template="reminder_7d", language="fr",
                                    context={"name": "Crash", "title": "T", "call_title": "C",
                                             "closes_at": None, "link": "/x"})
        print("not reached")

    asyncio.run(main())
""")


async def test_a_crash_between_commit_and_delivery_loses_nothing_and_sends_once(settings):
    result = subprocess.run([sys.executable, "-c", CRASHING_WRITER], cwd=PROJECT, env=dict(os.environ),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert "not reached" not in result.stdout
    [row] = await OutboxMessage.objects()
    assert (row.recipient, row.state, row.attempts) == ("crash@example.org", "queued", 0)
    assert await AuditEntry.count().where(AuditEntry.action == "test.change") == 1
    transport = FileTransport(settings.var_dir / "outbox", sender="ami@example.org")
    assert (await deliver(transport)).sent == 1
    # A sender that died after writing the file: the next pass finds it and writes nothing new.
    await OutboxMessage.update({OutboxMessage.state: "sending",
                                OutboxMessage.last_attempt_at: datetime.now(UTC) - timedelta(hours=1)}).where(
        OutboxMessage.id == row.id)
    assert (await deliver(transport)).sent == 1
    files = list((settings.var_dir / "outbox").glob("*.eml"))
    assert len(files) == 1 and "To: crash@example.org" in files[0].read_text()


async def test_a_change_that_fails_leaves_no_mail(settings, app_factory, make_user):
    await make_user("applicant", email="zoe@example.org")
    app = app_factory(settings)
    async with http_client(app) as client:
        page = await register(client)  # the address is taken: nothing is saved, nothing queued
    assert page.status_code == 422 and "Un compte existe déjà avec cette adresse." in page.text
    assert await OutboxMessage.count() == 0
    assert not (settings.var_dir / "outbox").exists()


async def test_no_page_a_manager_reaches_shows_another_accounts_secret_link(client, make_user):
    await make_user("manager", email="m@example.org")
    await make_user("admin", email="admin@example.org")
    await register(client, "zoe@example.org")
    await post_form(client, "/password/forgot", "/password/forgot", {"email": "admin@example.org"})
    assert await OutboxMessage.count().where(OutboxMessage.secret.eq(True)) == 2
    await login(client, "m@example.org")
    seen: set[str] = set()
    queue = ["/manage/", "/manage/outbox", "/account"]
    while queue and len(seen) < 300:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        answer = await client.get(path)
        assert answer.status_code < 500, path
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        assert "token=" not in answer.text, path
        for link in re.findall(r'href="(/[^"#]*)"', answer.text):
            if link.startswith(("/manage", "/account")) and link not in seen:
                queue.append(link)
    assert any(p.startswith("/manage/outbox/") for p in seen)
