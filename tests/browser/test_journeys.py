"""The product's five journeys in Chromium, in French and in English, by clicking through the pages only.

1. a manager creates a call with criteria in the editor and publishes it (confirmation page);
2. an applicant registers, confirms the address from the mail, starts a draft with an invalid amount, logs
   out, comes back to the kept title and the error, fixes it, checks the recap, attests, submits, and
   downloads the PDF receipt carrying the hash shown on the receipt page;
3. a reviewer declares no conflict, scores (one criterion not applicable), confirms the submission;
4. the manager assigns automatically, reads the ranking, decides, confirms the release (the page counts the
   mails), and the letters reach the SMTP server;
5. the public finds a call's transparency page from /calls.

Set-up outside the browser is limited to accounts, the call an applicant applies to and the call in review
(the `make_world` builder), and, in journey 4, the reviewers' scores through the domain functions.
Selectors are written in French; in English they are the catalogue's translations (`t`), and every English
page is checked for French left untranslated (`untranslated_french`).

With AMI_SCREENSHOTS=1 each step saves a full-page PNG, 1280 wide, to docs/screens/ (see its README).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from app.i18n import _catalog
from registry.demo import load_demo
from registry.reviews.assigning import assign_reviewer
from tests.app.test_english_pages import untranslated_french
from tests.browser.conftest import plain_body
from tests.browser.test_applicant_journey import CALL_TITLE, open_call
from tests.browser.test_decision_journey import REASON, submit_reviews
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
LANGS = ["fr", "en"]


def t(lang: str, french: str) -> str:
    """The text a reader of `lang` sees for this French message."""
    if lang == "fr":
        return french
    english = _catalog("en").get(french)
    english = english[0] if isinstance(english, tuple) else english
    return english or french


class Journey:
    """A page in one language, with the English check and the screenshots of each step."""

    def __init__(self, page, lang: str, base_url: str, prefix: str) -> None:
        self.page, self.lang, self.base_url, self.prefix = page, lang, base_url, prefix
        self.french_left: list[str] = []
        self.user_data: set[str] = set()  # French texts the test itself stored (names of criteria…)
        self.shots = os.environ.get("AMI_SCREENSHOTS") == "1"

    def t(self, french: str) -> str:
        return t(self.lang, french)

    async def step(self, name: str) -> None:
        """Checks the page shown (no French in English), and saves its screenshot when asked."""
        page = self.page
        await page.wait_for_load_state()
        assert await page.get_attribute("html", "lang") == self.lang, page.url
        if self.lang == "en":
            for found in untranslated_french(await page.content()):
                quoted = re.search(r"'(.*)'", found)
                if not (quoted and quoted.group(1).strip(" —:·") in self.user_data):
                    self.french_left.append(f"{name} ({page.url}): {found}")
        if self.shots:
            SCREENS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENS / f"{self.lang}-{self.prefix}-{name}.png"), full_page=True)

    async def log_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.page
        await page.goto(f"{self.base_url}/")
        await page.locator("header").get_by_role("link", name=self.t("Se connecter")).click()
        await page.get_by_label(self.t("Adresse électronique")).fill(email)
        await page.get_by_label(self.t("Mot de passe")).fill(password)
        await page.locator("main").get_by_role("button", name=self.t("Se connecter")).click()
        await expect(page.locator("[role=status]").first).to_have_text(self.t("Vous êtes connecté."))

    async def status(self, french: str) -> None:
        await expect(self.page.locator("[role=status]").first).to_contain_text(self.t(french))

    def done(self) -> None:
        assert not self.french_left, "French left in English pages:\n" + "\n".join(self.french_left)


@pytest.fixture
async def journey_context(browser):
    """A new context per journey, 1280 wide at scale 1 (the screenshots' size), Paris time."""
    contexts = []

    async def factory(base_url: str, lang: str, prefix: str) -> Journey:
        ctx = await browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB", timezone_id="Europe/Paris",
                                        viewport={"width": 1280, "height": 800}, device_scale_factor=1)
        ctx.set_default_timeout(10_000)
        await ctx.add_cookies([{"name": "ami_lang", "value": lang, "url": base_url}])
        contexts.append(ctx)
        return Journey(await ctx.new_page(), lang, base_url, prefix)

    yield factory
    for ctx in contexts:
        await ctx.close()


@pytest.mark.parametrize("lang", LANGS)
async def test_1_manager_creates_and_publishes_a_call(live_server, journey_context, make_user, lang):
    base_url, _settings = live_server
    manager = await make_user("manager", email="gestion@hdh.fr")
    j = await journey_context(base_url, lang, "01-manager")
    page = j.page
    await j.log_in(manager.email)

    await page.get_by_role("link", name=j.t("Gestion"), exact=True).click()
    await page.get_by_role("link", name=j.t("Appels et candidatures")).click()
    await page.get_by_role("link", name=j.t("Créer un appel")).click()
    await expect(page.locator("h1")).to_have_text(j.t("Créer un appel"))
    await page.get_by_label(j.t("Identifiant court (adresse)")).fill("ami-2028")
    await page.get_by_label(j.t("Titre (français)")).fill("AMI Algorithmes 2028")
    await page.get_by_label(j.t("Titre (anglais, facultatif)")).fill("Open algorithms call 2028")
    await page.get_by_label(j.t("Description (français)"), exact=True).first.fill("Un appel pour des algorithmes.")
    await page.get_by_label(j.t("Budget total")).fill("500000")
    await page.get_by_label(j.t("Montant minimum par projet")).fill("10000")
    await page.get_by_label(j.t("Montant maximum par projet")).fill("100000")
    await page.locator("#field-opens_at").fill("2030-01-05T09:00")
    await page.locator("#field-closes_at").fill("2030-03-31T12:00")
    for index, (name, weight) in enumerate([("Valeur publique", "60"), ("Qualité scientifique", "40")]):
        await page.locator(f'[id="field-criteria.{index}.name"]').fill(name)
        await page.locator(f'[id="field-criteria.{index}.weight"]').fill(weight)
        await page.locator(f'[id="field-criteria.{index}.scale_max"]').fill("5")
    await j.step("new-call")
    await page.get_by_role("button", name=j.t("Enregistrer"), exact=True).click()
    await expect(page.locator("h1")).to_contain_text("2028")
    assert page.url == f"{base_url}/manage/calls/ami-2028"
    await j.step("call-saved")

    await page.get_by_role("button", name=j.t("Publier"), exact=True).click()
    await expect(page.locator("h1")).to_have_text(j.t("Publier l’appel ?"))
    await expect(page.locator("#confirm-what")).to_contain_text("2028")
    await j.step("publish-confirm")
    await page.get_by_role("button", name=j.t("Publier l’appel")).click()
    await j.status("L'état de l'appel a été changé.")
    assert page.url == f"{base_url}/manage/calls/ami-2028"
    await expect(page.locator("main .badge").first).to_have_text(j.t("à venir"))  # published, opening in 2030
    await j.step("call-published")

    # The call is public now, with its criteria.
    await page.get_by_role("link", name=j.t("Page publique")).click()
    assert page.url == f"{base_url}/calls/ami-2028"
    await expect(page.locator("h1")).to_have_text("AMI Algorithmes 2028" if lang == "fr" else "Open algorithms call 2028")
    await expect(page.locator("main")).to_contain_text("Valeur publique")
    j.done()


@pytest.mark.parametrize("lang", LANGS)
async def test_2_applicant_registers_drafts_fixes_and_submits(smtp_live_server, journey_context, make_user, lang):
    base_url, _settings, mails = smtp_live_server
    await open_call(await make_user("manager", email="gestion@hdh.fr"))
    email, passphrase = f"ines.{lang}@chu-exemple.fr", "une phrase de passe solide 2027"
    j = await journey_context(base_url, lang, "02-applicant")
    page = j.page

    await page.goto(f"{base_url}/")
    await page.locator("header").get_by_role("link", name=j.t("Créer un compte")).click()
    await page.get_by_label(j.t("Nom et prénom")).fill("Inès Moreau")
    await page.get_by_label(j.t("Adresse électronique")).fill(email)
    await page.locator("#field-password").fill(passphrase)
    await page.locator("#field-password_confirm").fill(passphrase)
    await j.step("register")
    await page.get_by_role("button", name=j.t("Créer mon compte")).click()
    await expect(page.locator("h1")).to_have_text(j.t("Vérifiez votre messagerie"))
    welcome = await mails.wait_for(email, j.t("Confirmez votre adresse électronique"))
    link = re.search(r"(http://\S+/verify\?token=[\w-]+)", plain_body(welcome)).group(1)
    await page.goto(link)
    await j.status("Votre adresse est confirmée. Vous pouvez vous connecter.")
    await j.log_in(email, passphrase)

    # From the list of calls to a new draft, with an amount that is not one.
    await page.get_by_role("link", name=j.t("Appels"), exact=True).click()
    await page.get_by_role("link", name=CALL_TITLE).click()
    await j.step("call-page")
    await page.get_by_role("link", name=j.t("Déposer une candidature")).click()
    await page.get_by_role("button", name=j.t("Commencer ma candidature")).click()
    application_id = int(re.search(r"/applications/(\d+)/edit$", page.url).group(1))
    title = "Pseudonymisation des comptes rendus d’imagerie"
    await page.get_by_label(j.t("Titre du projet")).fill(title)
    await page.get_by_label(j.t("Titre en langage clair")).fill("Masquer les noms dans les comptes rendus")
    await page.get_by_label(j.t("Résumé en langage clair")).fill("Un outil libre qui retire les noms des patients.")
    await page.get_by_label(j.t("Montant demandé (euros)")).fill("cinquante mille")
    await page.get_by_role("button", name=j.t("Enregistrer le brouillon")).click()
    await expect(page.locator("#error-requested_amount")).to_be_visible()
    await j.step("draft-invalid-amount")

    # Leave, come back: the title is kept, the error is still beside the amount.
    await page.locator("header").get_by_role("button", name=j.t("Se déconnecter")).click()
    await j.log_in(email, passphrase)
    await page.get_by_role("link", name=j.t("Mes candidatures"), exact=True).click()
    await page.get_by_role("link", name=title).click()
    await page.locator("main").get_by_role("link", name=j.t("Modifier"), exact=True).click()
    assert page.url == f"{base_url}/applications/{application_id}/edit"
    await expect(page.get_by_label(j.t("Titre du projet"))).to_have_value(title)
    amount = page.get_by_label(j.t("Montant demandé (euros)"))
    await expect(page.locator("#error-requested_amount")).to_be_visible()
    await expect(amount).to_have_attribute("aria-invalid", "true")
    await j.step("draft-back")

    await amount.fill("50000")
    await page.get_by_label(j.t("Description détaillée")).fill("Objectifs, données de l’entrepôt, méthode, calendrier.")
    await page.get_by_label(j.t("Dépôts prévus (un par ligne)")).fill("https://github.com/chu-exemple/pseudo")
    await page.get_by_label(j.t("Licence envisagée (expression SPDX)")).fill("EUPL-1.2")
    await page.get_by_label(j.t("Nom de l’organisme")).fill("CHU Exemple")
    await page.get_by_label("SIREN").fill("732829320")
    await page.get_by_role("button", name=j.t("Vérifier et déposer")).click()
    await page.wait_for_url(f"{base_url}/applications/{application_id}/recap")
    await expect(page.locator("#recap-fields")).to_contain_text(title)
    await expect(page.locator("#recap-fields")).to_contain_text("50")
    await j.step("recap")

    # Without the attestation the deposit is refused, beside the checkbox; with it, the receipt.
    await page.get_by_role("button", name=j.t("Déposer la candidature")).click()
    await expect(page.locator("#error-attestation")).to_be_visible()
    await page.locator("#field-attestation").check()
    await page.get_by_role("button", name=j.t("Déposer la candidature")).click()
    await page.wait_for_url(f"{base_url}/applications/{application_id}/receipt")
    await expect(page.locator("h1")).to_have_text(j.t("Accusé de réception"))
    sha256 = (await page.locator("#receipt-sha256").inner_text()).strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)
    await j.step("receipt")

    async with page.expect_download() as info:
        await page.locator("#receipt-pdf-link").click()
    download = await info.value
    content = Path(await download.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages))
    assert sha256 in text, "the PDF receipt does not carry the hash shown on the page"
    assert download.suggested_filename.endswith(f"-{application_id}-v1.pdf")
    j.done()


@pytest.mark.parametrize("lang", LANGS)
async def test_3_reviewer_declares_scores_and_submits(live_server, journey_context, make_world, lang):
    base_url, _settings = live_server
    world = await make_world(reviewers=2, applications=2)
    reviewer = world.reviewers[0]
    assignment = await assign_reviewer(world.applications[0].id, reviewer.email, actor=world.manager_actor)
    j = await journey_context(base_url, lang, "03-reviewer")
    page = j.page
    j.user_data = {"Qualité scientifique", "Impact", "Ouverture"}  # the criteria of make_world's call
    await j.log_in(reviewer.email)

    await page.get_by_role("link", name=j.t("Évaluations"), exact=True).click()
    await expect(page.locator("h1")).to_have_text(j.t("Mes évaluations"))
    await j.step("assignments")
    await page.get_by_role("link", name="Titre public 0").click()
    assert page.url == f"{base_url}/reviews/assignments/{assignment.id}"
    await j.step("declaration")
    await page.locator("input[name=confidentiality]").check()
    await page.get_by_role("button", name=j.t("Déclarer l’absence de conflit")).click()
    if await page.locator("input[name=confirm]").count():  # a confirmation step, when the server asks for one
        await j.step("declaration-confirm")
        await page.locator("main form").last.get_by_role("button").first.click()
    await j.status("Absence de conflit déclarée : le dossier complet est accessible.")

    def criterion(name: str):
        return page.get_by_role("group", name=re.compile("^" + re.escape(name)))

    await criterion("Qualité scientifique").locator("input[value='3']").check()
    await criterion("Impact").get_by_label(j.t("non applicable")).check()
    await criterion("Ouverture").locator("input[value='4']").check()
    await page.get_by_label(j.t("Commentaire pour le porteur (transmis avec la décision)")).fill(
        "Méthode claire ; prévoir un jeu de test synthétique.")
    await page.get_by_label(j.t("Commentaire pour le comité (jamais transmis au porteur)")).fill("Équipe solide.")
    await page.get_by_label(j.t("Degré de confiance dans votre évaluation (1 à 5)")).select_option("4")
    await j.step("scores")
    await page.get_by_role("button", name=j.t("Remettre l’évaluation (définitif)")).click()

    await expect(page.locator("h1")).to_have_text(j.t("Remettre l’évaluation"))
    await expect(page.locator("main table")).to_contain_text(j.t("non applicable"))
    await j.step("submit-confirm")
    await page.get_by_role("button", name=j.t("Confirmer la remise")).click()
    await j.status("Évaluation remise. Elle est désormais verrouillée.")
    await expect(page.get_by_role("button", name=j.t("Remettre l’évaluation (définitif)"))).to_have_count(0)
    await j.step("submitted")
    j.done()


@pytest.mark.parametrize("lang", LANGS)
async def test_4_manager_assigns_ranks_decides_and_releases(smtp_live_server, journey_context, make_world, lang):
    base_url, _settings, mails = smtp_live_server
    world = await make_world(reviewers=3, applications=2, per_application=2)
    first, second = world.applications
    j = await journey_context(base_url, lang, "04-manager")
    page = j.page
    j.user_data = {"Qualité scientifique", "Impact", "Ouverture"}  # the criteria of make_world's call
    await j.log_in(world.manager.email)

    await page.get_by_role("link", name=j.t("Gestion"), exact=True).click()
    await page.get_by_role("link", name=j.t("Appels et candidatures")).click()
    await page.get_by_role("link", name="AMI test", exact=True).click()
    await page.get_by_role("link", name=j.t("Évaluation : affectations")).click()
    await page.get_by_role("button", name=j.t("Compléter automatiquement les attributions")).click()
    await j.status("Les attributions automatiques ont été faites.")
    await j.step("assigned")

    await submit_reviews(world)  # the reviewers' part (journey 3 clicks through it)

    await page.get_by_role("link", name=j.t("Classement"), exact=True).click()
    ranking = page.get_by_role("table").first
    await expect(ranking.locator("tbody tr")).to_have_count(2)
    await expect(ranking.locator("tbody tr").first).to_contain_text("Titre public 1")
    await j.step("ranking")

    await page.get_by_role("link", name=j.t("Décisions"), exact=True).click()
    funded = page.get_by_role("region", name=f"{j.t('n°')} {second.id} — Titre public 1")
    await funded.get_by_label(j.t("Financée")).check()
    await funded.get_by_label(j.t("Montant accordé (euros)")).fill("40000")
    await funded.get_by_role("button", name=j.t("Préparer la décision")).click()
    await j.status("La décision est préparée.")
    rejected = page.get_by_role("region", name=f"{j.t('n°')} {first.id} — Titre public 0")
    await rejected.get_by_label(j.t("Non retenue")).check()
    await rejected.get_by_label(j.t("Motivation (obligatoire en cas de refus)")).fill(REASON)
    await rejected.get_by_role("button", name=j.t("Préparer la décision")).click()
    await j.status("La décision est préparée.")
    await j.step("decisions")

    # The release is confirmed on a page that says how many mails leave: 2 letters × (owner + co-applicant),
    # and the funded project's co-applicant, who has no account, is invited to join its team.
    await page.get_by_role("button", name=j.t("Publier toutes les décisions")).click()
    what = page.locator("#confirm-what")
    await expect(what).to_contain_text("2 décisions seront publiées et 5 courriels seront envoyés" if lang == "fr"
                                       else "2 decisions will be published and 5 emails will be sent")
    await j.step("release-confirm")
    await page.locator("form.confirm-form").get_by_role("button").click()
    await j.status("Les décisions sont publiées ; les courriers sont dans la file d’envoi.")
    await expect(page.get_by_role("button", name=j.t("Publier toutes les décisions"))).to_have_count(0)
    await j.step("released")

    await mails.wait_for("porteuse@chu-exemple.fr", "Décision : votre candidature est retenue — Titre public 1")
    j.done()


@pytest.mark.parametrize("lang", LANGS)
async def test_5_public_finds_a_transparency_page_from_the_calls(live_server, journey_context, lang):
    base_url, _settings = live_server
    await load_demo()
    j = await journey_context(base_url, lang, "05-public")
    page = j.page
    await page.goto(f"{base_url}/")
    await page.get_by_role("link", name=j.t("Appels"), exact=True).click()
    await expect(page.locator("h1")).to_be_visible()
    await j.step("calls")
    link = page.get_by_role("link", name=j.t("Transparence : projets financés, montants et critères")).first
    href = await link.get_attribute("href")
    await link.click()
    assert page.url == f"{base_url}{href}" and href.endswith("/transparency")
    await expect(page.locator("h1")).to_be_visible()
    await expect(page.locator("main table").first).to_be_visible()
    await j.step("transparency")
    j.done()

