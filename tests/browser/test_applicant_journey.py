"""Issue 3 in Chromium: a newcomer registers, applies to an open call, autosaves, attaches a PDF, submits,
and gets the receipt on the page and by mail (through a real SMTP server) with the same hash and time."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from app.timefmt import format_when
from registry.applications.tables import Application, ApplicationVersion
from registry.calls.service import CallInput, CriterionInput, create_call, publish_call
from tests.applications.helpers import actor
from tests.browser.conftest import plain_body, table_rows

pytestmark = pytest.mark.browser

SLUG = "ami-algos-2027"
CALL_TITLE = "AMI Algorithmes ouverts 2027"
EMAIL = "ines.moreau@chu-exemple.fr"
PASSPHRASE = "une phrase de passe solide 2027"  # noqa: S105 - a test account
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DRAFT = {
    "Titre du projet": "Pseudonymisation des comptes rendus d’imagerie",
    "Titre en langage clair": "Masquer les noms dans les comptes rendus",
    "Résumé en langage clair": "Un outil libre qui retire les noms des patients des comptes rendus.",
    "Description détaillée": "Objectifs, données de l’entrepôt hospitalier, méthode, calendrier.",
    "Montant demandé (euros)": "50000",
    "Dépôts prévus (un par ligne)": "https://github.com/chu-exemple/pseudo",
    "Licence envisagée (expression SPDX)": "EUPL-1.2",
    "Nom de l’organisme": "CHU Exemple",
    "SIREN": "732829320",
}


async def open_call(manager) -> None:
    now = datetime.now(UTC)
    await create_call(CallInput(
        slug=SLUG, title_fr=CALL_TITLE, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10),
        budget_total=1_000_000, amount_min=10_000, amount_max=200_000, description_fr="Un appel pour des algorithmes.",
        criteria=[CriterionInput(name="Valeur publique", weight=60, scale_max=4),
                  CriterionInput(name="Qualité", weight=40, scale_max=4, eliminatory_below=1)]),
        actor=await actor(manager))
    await publish_call(SLUG, actor=await actor(manager))


async def test_applicant_registers_applies_autosaves_attaches_submits(smtp_live_server, context, make_user, tmp_path):
    base_url, _settings, mails = smtp_live_server
    await open_call(await make_user("manager", email="gestion@hdh.fr"))
    page = await context.new_page()

    # Register, then confirm the address from the mail that reached the SMTP server.
    await page.goto(f"{base_url}/register")
    await page.get_by_label("Nom et prénom").fill("Inès Moreau")
    await page.get_by_label("Adresse électronique").fill(EMAIL)
    await page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSPHRASE)
    await page.get_by_label("Confirmez le mot de passe").fill(PASSPHRASE)
    await page.get_by_role("button", name="Créer mon compte").click()
    await expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    welcome = await mails.wait_for(EMAIL, "Confirmez votre adresse électronique")
    link = re.search(r"(http://\S+/verify\?token=[\w-]+)", plain_body(welcome)).group(1)
    assert link.startswith(f"{base_url}/verify?token=")
    await page.goto(link)
    await expect(page.locator("[role=status]").first).to_have_text(
        "Votre adresse est confirmée. Vous pouvez vous connecter.")

    await page.get_by_label("Adresse électronique").fill(EMAIL)
    await page.get_by_label("Mot de passe").fill(PASSPHRASE)
    await page.locator("main").get_by_role("button", name="Se connecter").click()
    await expect(page.locator("[role=status]").first).to_have_text("Vous êtes connecté.")

    # From the public call page to a new draft.
    await page.get_by_role("link", name="Appels", exact=True).click()
    await page.get_by_role("link", name=CALL_TITLE).click()
    assert page.url == f"{base_url}/calls/{SLUG}"
    await expect(page.locator("h1")).to_have_text(CALL_TITLE)
    await expect(page.locator("#call-state")).to_have_text("ouvert")
    criteria = page.get_by_role("table", name=re.compile("^Critères et pondérations"))
    assert await table_rows(criteria) == [["Valeur publique", "", "60 %", "0–4", "—"],
                                          ["Qualité", "", "40 %", "0–4", "en dessous de 1"]]
    await page.get_by_role("link", name="Déposer une candidature").click()
    await expect(page.locator("h1")).to_have_text("Déposer une candidature")
    await page.get_by_role("button", name="Commencer ma candidature").click()
    await expect(page.locator("[role=status]").first).to_have_text(
        "Votre brouillon de candidature est créé. Il n'est pas encore soumis.")
    application_id = int(re.search(r"/applications/(\d+)/edit$", page.url).group(1))

    # Autosave: typing saves through the API after a pause, and the text survives a reload.
    for label, value in DRAFT.items():
        await page.get_by_label(label).fill(value)
    status = page.locator("#autosave-status")
    await expect(status).to_have_text(re.compile(r"^Brouillon enregistré automatiquement à \d{2}:\d{2}:\d{2}$"))
    stored = await Application.select(Application.title, Application.requested_amount, Application.org_siren).where(
        Application.id == application_id).first()
    assert stored == {"title": DRAFT["Titre du projet"], "requested_amount": 50_000, "org_siren": "732829320"}
    await page.reload()
    for label, value in DRAFT.items():
        await expect(page.get_by_label(label)).to_have_value(value)
    await expect(status).to_have_text("")  # nothing restored from the browser: the server had it all

    # A small valid PDF.
    pdf = tmp_path / "protocole.pdf"
    pdf.write_bytes(PDF)
    await page.get_by_label("Ajouter un PDF").set_input_files(pdf)
    await page.get_by_role("button", name="Joindre le fichier").click()
    await expect(page.locator("[role=status]").first).to_have_text("La pièce jointe a été ajoutée.")
    await expect(page.locator("#attachments li")).to_have_text(re.compile(rf"^protocole\.pdf \({len(PDF)}\u00a0octets\)"))

    # Submit: the recap, with the sworn statement, then the receipt page.
    await page.get_by_role("button", name="Vérifier et déposer").click()
    await page.wait_for_url(f"{base_url}/applications/{application_id}/recap")
    await page.get_by_role("checkbox", name=re.compile("atteste sur l.honneur")).check()
    await page.get_by_role("button", name="Déposer la candidature").click()
    await page.wait_for_url(f"{base_url}/applications/{application_id}/receipt")
    await expect(page.locator("h1")).to_have_text("Accusé de réception")
    await expect(page.locator("[role=status]").first).to_have_text(
        "Votre candidature est soumise. Un accusé de réception vous a été envoyé.")
    version = await ApplicationVersion.select().where(ApplicationVersion.application == application_id).first()
    assert version["sha256"] == hashlib.sha256(version["content"].encode("utf-8")).hexdigest()
    content = json.loads(version["content"])
    assert (content["title"], content["requested_amount"], content["owner"]) == (DRAFT["Titre du projet"], 50_000,
                                                                                   EMAIL)
    assert content["attachments"] == [{"filename": "protocole.pdf", "sha256": hashlib.sha256(PDF).hexdigest(),
                                       "size": len(PDF)}]
    await expect(page.locator("#receipt-sha256")).to_have_text(version["sha256"])
    await expect(page.locator("#receipt-version")).to_have_text("1")
    assert await page.locator("#receipt-time").inner_text() == format_when(version["submitted_at"], "fr",
                                                                             fmt="full")

    # The receipt mail: same hash, same time (Paris, to the second).
    subject = f"Accusé de réception : candidature soumise — {DRAFT['Titre du projet']}"
    body = plain_body(await mails.wait_for(EMAIL, subject))
    paris = format_when(version["submitted_at"], "fr", fmt="full")
    lines = body.splitlines()
    assert lines[0] == "Bonjour Inès Moreau,"
    assert (f"Votre candidature « {DRAFT['Titre du projet']} » à l’appel « {CALL_TITLE} » a bien été soumise."
            in lines)
    assert "Version : 1" in lines
    assert f"Date et heure de soumission (heure de Paris) : {paris}" in lines
    assert f"Empreinte SHA-256 du contenu soumis : {version['sha256']}" in lines
    assert f"Accusé de réception en ligne : {base_url}/applications/{application_id}/receipt" in lines
    await page.close()
