"""A person registers, confirms the address from the mail, logs in and sees the profile (Chromium)."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {"register": "Créer mon compte", "check": "Vérifiez votre messagerie", "login": "Se connecter",
           "verified": "Votre adresse est confirmée.", "profile": "Mon compte", "subject":
           "Confirmez votre adresse électronique", "logged_in": "Vous êtes connecté."},
    "en": {"register": "Create my account", "check": "Check your inbox", "login": "Log in",
           "verified": "Your address is confirmed.", "profile": "My account", "subject":
           "Confirm your email address", "logged_in": "You are logged in."},
}


def latest_mail(settings, to: str):
    parser = BytesParser(policy=policy.default)
    for path in sorted((Path(settings.var_dir) / "outbox").glob("*.eml"), reverse=True):
        message = parser.parsebytes(path.read_bytes())
        if message["To"] == to:
            return message
    raise AssertionError(f"no mail to {to}")


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_register_verify_login_profile(live_server, browser, lang):
    base_url, settings = live_server
    texts = TEXTS[lang]
    email = f"journey-{lang}@example.org"
    page = await browser.new_page()
    await page.goto(f"{base_url}/register?lang={lang}")
    assert await page.get_attribute("html", "lang") == lang
    await page.get_by_label("Nom et prénom" if lang == "fr" else "Full name").fill("Léa Petit")
    await page.fill("#field-email", email)
    await page.fill("#field-password", "journey passphrase 2027")
    await page.fill("#field-password_confirm", "journey passphrase 2027")
    await page.get_by_role("button", name=texts["register"]).click()
    await page.wait_for_load_state()
    assert texts["check"] in await page.locator("h1").inner_text()

    message = latest_mail(settings, email)
    assert message["Subject"] == texts["subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http://\S+/verify\?token=[\w-]+)", body).group(1)
    await page.goto(link)
    assert texts["verified"] in await page.locator("[role=status]").first.inner_text()

    await page.fill("#field-email", email)
    await page.fill("#field-password", "journey passphrase 2027")
    await page.locator("main").get_by_role("button", name=texts["login"]).click()
    await page.wait_for_load_state()
    assert texts["logged_in"] in await page.locator("[role=status]").first.inner_text()
    assert await page.locator("h1").inner_text() == texts["profile"]
    assert await page.locator("#profile-email").inner_text() == email
    await page.close()
