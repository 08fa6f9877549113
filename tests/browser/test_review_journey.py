"""Issue 4 in Chromium, reviewer side: the assignment shows only the public title until the reviewer declares
no conflict; then every criterion is scored (one "not applicable"), both comments written, and the review locks."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from registry.reviews.access import as_json
from registry.reviews.assigning import assign_reviewer
from registry.reviews.tables import Assignment, Review
from tests.browser.conftest import log_in, table_rows

pytestmark = pytest.mark.browser

ATTESTATION = ("Je déclare n’avoir aucun conflit d’intérêts avec cette candidature et je m’engage à garder "
               "confidentiels le dossier et les évaluations.")
FOR_APPLICANT = "Méthode claire ; prévoir un jeu de test synthétique."
FOR_COMMITTEE = "Équipe solide, calendrier un peu optimiste."


async def test_reviewer_declares_scores_and_submits(live_server, context, make_world):
    base_url, _settings = live_server
    world = await make_world(reviewers=2, applications=2)
    reviewer = world.reviewers[0]
    application = world.applications[0]
    assignment = await assign_reviewer(application.id, reviewer.email, actor=world.manager_actor)
    page = await context.new_page()
    await log_in(page, base_url, reviewer.email)

    # The list of assignments names the application by its public title only.
    await page.get_by_role("link", name="Évaluations").click()
    await expect(page.locator("h1")).to_have_text("Mes évaluations")
    assert await table_rows(page.get_by_role("table", name="Candidatures attribuées (1)")) == [
        ["Titre public 0", "AMI test", "en attente de déclaration", "non commencée", "—"]]
    await page.get_by_role("link", name="Titre public 0").click()
    assert page.url == f"{base_url}/reviews/assignments/{assignment.id}"

    # Before the declaration: the public title and the declaration forms, nothing of the file itself.
    main = page.locator("main")
    await expect(page.locator("h1")).to_have_text("Titre public 0")
    await expect(main.locator(".subtitle")).to_have_text("AMI test · état de l’attribution : en attente de déclaration")
    await expect(page.get_by_role("heading", name="Déclaration d’intérêts")).to_be_visible()
    html = await page.content()
    # The parties are shown (to judge a conflict of interests), not the project itself.
    await expect(main.locator("dl.parties")).to_contain_text("CHU Exemple")
    for secret in ("Projet secret 0", "Description détaillée.", "Résumé grand public.",
                   "https://github.com/chu-exemple/outil"):
        assert secret not in html
    await expect(page.get_by_role("heading", name="Dossier")).to_have_count(0)

    await page.get_by_label(ATTESTATION).check()
    await page.get_by_role("button", name="Déclarer l’absence de conflit").click()
    await expect(page.locator("[role=status]").first).to_have_text(
        "Absence de conflit déclarée : le dossier complet est accessible.")
    await expect(main.locator(".subtitle")).to_have_text("AMI test · état de l’attribution : sans conflit déclaré")
    dossier = page.get_by_role("region", name="Dossier")
    await expect(dossier.locator("dl")).to_contain_text("Projet secret 0")
    await expect(dossier.locator(".description")).to_have_text("Description détaillée.")

    # Scores: criteria are labelled with their weight and scale; "Impact" is not applicable.
    await page.get_by_role("group", name="Qualité scientifique (poids 40 %, note de 0 à 4)").get_by_label(
        "3", exact=True).check()
    await page.get_by_role("group", name="Impact (poids 30 %, note de 0 à 4)").get_by_label("non applicable").check()
    await page.get_by_role("group", name="Ouverture (poids 30 %, note de 0 à 5)").get_by_label("4", exact=True).check()
    await page.get_by_label("Commentaire pour le porteur (transmis avec la décision)").fill(FOR_APPLICANT)
    await page.get_by_label("Commentaire pour le comité (jamais transmis au porteur)").fill(FOR_COMMITTEE)
    await page.get_by_label("Degré de confiance dans votre évaluation (1 à 5)").select_option("4")
    await page.get_by_role("button", name="Remettre l’évaluation (définitif)").click()
    await expect(page.locator("h1")).to_have_text("Remettre l’évaluation")  # the confirmation step
    await page.get_by_role("button", name="Confirmer la remise").click()

    # Locked: the page says so, shows what was given, and the form is gone.
    await expect(page.locator("[role=status]").first).to_have_text(
        "Évaluation remise. Elle est désormais verrouillée.")
    await expect(main.locator(".subtitle")).to_have_text("AMI test · état de l’attribution : évaluation remise")
    mine = page.get_by_role("region", name="Mon évaluation")
    # Weighted over the applicable criteria only: (40 × 3/4 + 30 × 4/5) / 70 × 100 = 77.14.
    await expect(mine.locator("p").first).to_have_text("Note globale (sur 100) : 77,14")
    await expect(mine).to_contain_text("Elle est verrouillée.")
    assert await table_rows(mine.get_by_role("table", name="Mes notes")) == [
        ["Qualité scientifique", "3 / 4", ""], ["Impact", "non applicable", ""], ["Ouverture", "4 / 5", ""]]
    await expect(mine).to_contain_text(FOR_APPLICANT)
    await expect(mine).to_contain_text(FOR_COMMITTEE)
    await expect(page.locator(f"form[action='/reviews/assignments/{assignment.id}/review']")).to_have_count(0)
    await expect(page.get_by_role("combobox")).to_have_count(0)
    await expect(page.get_by_role("button", name="Remettre l’évaluation (définitif)")).to_have_count(0)

    review = await Review.select(Review.state, Review.scores, Review.confidence).where(
        Review.assignment == assignment.id).first()
    assert (review["state"], as_json(review["scores"], {}), review["confidence"]) == (
        "submitted", {"Qualité scientifique": 3.0, "Impact": None, "Ouverture": 4.0}, 4)
    assert await Assignment.select(Assignment.state, Assignment.confidentiality_attested).where(
        Assignment.id == assignment.id).first() == {"state": "reviewed", "confidentiality_attested": True}

    await page.get_by_role("link", name="← Mes évaluations").click()
    assert await table_rows(page.get_by_role("table", name="Candidatures attribuées (1)")) == [
        ["Titre public 0", "AMI test", "évaluation remise", "remise", "—"]]
    await page.close()
