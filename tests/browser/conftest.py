"""Browser journeys: a live server whose mails go to a real SMTP server, and page helpers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import PASSWORD, free_port, serving
from tests.reviews.conftest import make_world  # noqa: F401 - the call-in-review builder, shared as a fixture

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


class Collector:
    """An aiosmtpd handler keeping every message that arrives, parsed with the modern email policy."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    async def wait_for(self, to: str, subject: str, within: float = 5.0) -> EmailMessage:
        """The message to `to` with this subject; the app sends before answering, so this rarely waits."""
        deadline = time.monotonic() + within
        while True:
            for message in self.messages:
                if message["To"] == to and message["Subject"] == subject:
                    return message
            if time.monotonic() > deadline:
                seen = [(m["To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no mail to {to} with subject {subject!r}; received: {seen}")
            await asyncio.sleep(0.05)


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, Collector]]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_live_server(settings, database, smtp_server):
    """(base_url, settings, collector): the live app sending its mails to a real local SMTP server."""
    url, collector = smtp_server
    with serving(dataclasses.replace(settings, smtp_url=url), database) as (base_url, live_settings):
        yield base_url, live_settings, collector


@pytest.fixture
async def context(browser):
    """A French browser context (clock shown as 14:05:07, Paris time)."""
    ctx = await browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    ctx.set_default_timeout(10_000)
    yield ctx
    await ctx.close()


def squash(text: str) -> str:
    """Collapses the narrow and non-breaking spaces of French number formats, and runs of blanks."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " ")).strip()


def plain_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def log_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Logs in through the login form, with its labels; checks the confirmation message."""
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Adresse électronique").fill(email)
    await page.get_by_label("Mot de passe").fill(password)
    await page.locator("main").get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{base_url}/account")
    assert await page.locator("[role=status]").first.inner_text() == "Vous êtes connecté."


async def table_rows(table) -> list[list[str]]:
    """The cells (th and td) of each body row, as the reader sees them, blanks squashed."""
    rows = []
    for row in await table.locator("tbody tr").all():
        rows.append([squash(text) for text in await row.locator("th, td").all_inner_texts()])
    return rows
