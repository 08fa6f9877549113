"""Issue 15 in Chromium, in French and in English: a manager builds a call's own questions in the editor
(text, choice, yes/no, number) and publishes the call; an applicant answers them (a number out of range
first, refused beside the field, then fixed), submits, and finds the answers on the recap and the receipt."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from registry.applications.tables import ApplicationVersion
from registry.calls.service import CallInput, CriterionInput, create_call
from tests.applications.helpers import actor
from tests.browser.test_journeys import journey_context  # noqa: F401 - the per-language browser context

pytestmark = pytest.mark.browser

SLUG = "ami-questions"
TITLE = "AMI Questions propres 2027"
QUESTIONS = [  # (label FR, label EN, kind, extra fields)
    ("Sources de données utilisées", "Data sources used", "text", {}),
    ("Type d’organisme porteur", "Kind of lead organisation", "choice",
     {"choices": "CHU\nUniversité\nAssociation", "choices_en": "University hospital\nUniversity\nNon-profit"}),
    ("Autorisation CNIL obtenue", "CNIL authorisation obtained", "yes_no", {}),
    ("Nombre de centres participants", "Number of participating centres", "number", {"min": "1", "max": "20"}),
]
DRAFT = {
    "Titre du projet": "Pseudonymisation des comptes rendus d’imagerie",
    "Titre en langage clair": "Masquer les noms dans les comptes rendus",
    "Résumé en langage clair": "Un outil libre qui retire les noms des patients.",
    "Description détaillée": "Objectifs, données de l’entrepôt, méthode, calendrier.",
    "Montant demandé (euros)": "50000",
    "Dépôts prévus (un par ligne)": "https://github.com/chu-exemple/pseudo",
    "Licence envisagée (expression SPDX)": "EUPL-1.2",
    "Nom de l’organisme": "CHU Exemple",
    "SIREN": "732829320",
}


async def draft_call(manager) -> None:
    now = datetime.now(UTC)
    await create_call(CallInput(
        slug=SLUG, title_fr=TITLE, title_en="Own questions call 2027", opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10), budget_total=1_000_000, amount_min=10_000, amount_max=200_000,
        description_fr="Un appel avec ses propres questions.",
        criteria=[CriterionInput(name="Valeur publique", weight=100, scale_max=4)]), actor=await actor(manager))


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_manager_builds_questions_and_applicant_answers_them(live_server, journey_context, make_user,  # noqa: F811
                                                                    lang):
    base_url, _settings = live_server
    manager = await make_user("manager", email="gestion@hdh.fr")
    applicant = await make_user("applicant", email=f"ines.{lang}@chu-exemple.fr", name="Inès Moreau")
    await draft_call(manager)

    # The manager: from the call's editor to the builder, four questions, then publication.
    j = await journey_context(base_url, lang, "questions-manager")
    page = j.page
    j.user_data.update(q[0] for q in QUESTIONS)
    j.user_data.update({"CHU", "Université", "Association", TITLE})
    await j.log_in(manager.email)
    await page.goto(f"{base_url}/manage/calls/{SLUG}/edit")
    await page.get_by_role("link", name=j.t("Questions du formulaire de candidature (ajouter, modifier, ordonner)")
                           ).click()
    await expect(page.locator("h1")).to_have_text(j.t("Questions de l’appel"))
    for label, label_en, kind, extra in QUESTIONS:
        form = page.locator("#question-add")
        await form.get_by_label(j.t("Libellé (français)")).fill(label)
        await form.get_by_label(j.t("Libellé (anglais, facultatif)")).fill(label_en)
        await form.get_by_label(j.t("Type de réponse")).select_option(kind)
        await form.get_by_label(j.t("Réponse obligatoire pour déposer")).check()
        if "choices" in extra:
            await form.locator("#field-choices").fill(extra["choices"])
            await form.locator("#field-choices_en").fill(extra["choices_en"])
        for name in ("min", "max"):
            if name in extra:
                await form.locator(f"#field-{name}").fill(extra[name])
        await form.get_by_role("button", name=j.t("Ajouter la question")).click()
        await j.status("Les questions de l’appel ont été enregistrées.")
    await expect(page.locator("#questions-list li.question")).to_have_count(4)
    await expect(page.locator("#questions-preview")).to_contain_text(QUESTIONS[3][0] if lang == "fr"
                                                                     else QUESTIONS[3][1])
    await j.step("questions-built")
    await page.get_by_role("link", name=re.compile(re.escape(TITLE))).first.click()
    await page.get_by_role("button", name=j.t("Publier"), exact=True).click()
    await page.get_by_role("button", name=j.t("Publier l’appel")).click()
    await j.status("L'état de l'appel a été changé.")
    j.done()

    # The applicant: answers with a number out of range, sees the error beside it, fixes it, submits.
    a = await journey_context(base_url, lang, "questions-applicant")
    page = a.page
    await a.log_in(applicant.email)
    await page.goto(f"{base_url}/calls/{SLUG}")
    await page.get_by_role("link", name=a.t("Déposer une candidature")).click()
    await page.get_by_role("button", name=a.t("Commencer ma candidature")).click()
    application_id = int(re.search(r"/applications/(\d+)/edit$", page.url).group(1))
    for label, value in DRAFT.items():
        await page.get_by_label(a.t(label)).fill(value)

    def q(index: int) -> str:
        return QUESTIONS[index][0] if lang == "fr" else QUESTIONS[index][1]

    await page.get_by_label(q(0)).fill("SNDS et entrepôt de données de santé du CHU")
    await page.get_by_role("group", name=re.compile(re.escape(q(1)))).get_by_label(
        "Université" if lang == "fr" else "University", exact=True).check()
    await page.get_by_role("group", name=re.compile(re.escape(q(2)))).get_by_label(a.t("Oui")).check()
    centres = page.get_by_label(q(3))
    await centres.fill("250")
    await page.get_by_role("button", name=a.t("Enregistrer le brouillon")).click()
    await expect(centres).to_have_attribute("aria-invalid", "true")
    error = page.locator("[id='error-answers.nombre_de_centres_participants']")
    await expect(error).to_be_visible()
    await expect(centres).to_have_value("250")  # kept as typed
    await a.step("answer-invalid")
    await centres.fill("4")
    await page.get_by_role("button", name=a.t("Vérifier et déposer")).click()
    await page.wait_for_url(f"{base_url}/applications/{application_id}/recap")
    recap = page.locator("main")
    await expect(recap).to_contain_text("SNDS et entrepôt de données de santé du CHU")
    await expect(recap).to_contain_text(q(3))
    await a.step("recap")
    await page.locator("#field-attestation").check()
    await page.get_by_role("button", name=a.t("Déposer la candidature")).click()
    await page.wait_for_url(f"{base_url}/applications/{application_id}/receipt")
    await expect(page.locator("main")).to_contain_text("SNDS et entrepôt de données de santé du CHU")
    await a.step("receipt")

    version = await ApplicationVersion.select().where(ApplicationVersion.application == application_id).first()
    answers = json.loads(version["content"])["answers"]
    assert answers["nombre_de_centres_participants"] == 4
    assert answers["autorisation_cnil_obtenue"] is True
    assert answers["type_d_organisme_porteur"] == "Université"
    a.done()
