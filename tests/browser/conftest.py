"""Browser journeys: a live server whose mails go to a real SMTP server, and page helpers."""

from __future__ import annotations

import dataclasses
import logging
import re
from email.message import EmailMessage

import pytest

from tests.conftest import PASSWORD, serving
from tests.reviews.conftest import make_world  # noqa: F401 - the call-in-review builder, shared as a fixture

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


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
