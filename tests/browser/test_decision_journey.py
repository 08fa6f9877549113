"""Issue 4 in Chromium, manager side: automatic assignment, the ranking and its figures, decisions (one funded,
one rejected with its reason), letter previews, the batch release, the public registry and the letters by mail."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from registry.accounts.permissions import Actor
from registry.reviews.reviewing import declare, save_review
from registry.reviews.tables import Assignment
from tests.browser.conftest import log_in, plain_body, squash, table_rows

pytestmark = pytest.mark.browser

# Per application, the two reviews' scores. Application 1 comes first: (40×4/4 + 30×3/4 + 30×5/5) = 92.50 and
# (40×3/4 + 30×4/5) / 70 = 77.14 ("Impact" not applicable). Application 0: 47.00 and 23.50, and its mean
# "Qualité scientifique" (1.5) is under the eliminatory threshold of 2.
SCORES = {
    1: [{"Qualité scientifique": 4, "Impact": 3, "Ouverture": 5},
        {"Qualité scientifique": 3, "Impact": None, "Ouverture": 4}],
    0: [{"Qualité scientifique": 2, "Impact": 2, "Ouverture": 2},
        {"Qualité scientifique": 1, "Impact": 1, "Ouverture": 1}],
}
REASON = "Le projet ne démontre pas l’accès aux données ni la faisabilité du calendrier."
RECIPIENTS = ["porteuse@chu-exemple.fr", "coporteur@chu-exemple.fr"]


async def submit_reviews(world) -> None:
    """The reviewers' part, through the domain, to keep the journey short."""
    reviewers = {user.id: user for user in world.reviewers}
    for index, application in enumerate(world.applications):
        rows = await Assignment.select(Assignment.id, Assignment.reviewer).where(
            Assignment.application == application.id).order_by(Assignment.id)
        assert len(rows) == 2
        for row, scores in zip(rows, SCORES[index], strict=True):
            user = reviewers[row["reviewer"]]
            actor = Actor(id=user.id, email=user.email, name=user.name, roles=frozenset({"reviewer"}))
            await declare(row["id"], actor=actor, conflict=False, attest_confidentiality=True)
            await save_review(row["id"], actor=actor, scores=scores, comment_applicant=f"Avis {row['id']} au porteur.",
                              comment_committee=f"Avis {row['id']} au comité.", confidence=3, submit=True)


async def test_manager_assigns_ranks_decides_and_releases(smtp_live_server, context, make_world):
    base_url, _settings, mails = smtp_live_server
    world = await make_world(reviewers=3, applications=2, per_application=2)
    first, second = world.applications
    page = await context.new_page()
    await log_in(page, base_url, world.manager.email)

    # Automatic assignment: every application gets two reviewers, loads balanced (2, 1, 1).
    await page.goto(f"{base_url}/manage/reviews/calls/ami-test")
    await expect(page.locator("h1")).to_have_text("Attributions — AMI test")
    await expect(page.get_by_text("Aucun évaluateur attribué.")).to_have_count(2)
    await page.get_by_role("button", name="Compléter automatiquement les attributions").click()
    await expect(page.locator("[role=status]").first).to_have_text("Les attributions automatiques ont été faites.")
    for application in world.applications:
        section = page.get_by_role("region", name=f"n° {application.id} — {application.public_title}")
        states = [row[1] for row in await table_rows(section.get_by_role("table"))]
        assert states == ["en attente de déclaration"] * 2
    loads = {user.email: await Assignment.count().where(Assignment.reviewer == user.id) for user in world.reviewers}
    assert sorted(loads.values()) == [1, 1, 2]
    for email, load in loads.items():  # each reviewer is told once, by a real mail
        await mails.wait_for(email, f"Nouvelles candidatures à évaluer ({load})")

    await submit_reviews(world)

    # The ranking: order, figures and alerts.
    await page.get_by_role("link", name="Classement").click()
    await expect(page.locator("h1")).to_have_text("Classement — AMI test")
    assert await table_rows(page.get_by_role("table", name="Candidatures classées (2)")) == [
        ["1", f"n° {second.id} — Titre public 1", "2 / 2", "50 000 €", "50 000 €", "84,82", "84,82", "7,68", "77,14",
         "92,5", ""],
        ["2", f"n° {first.id} — Titre public 0", "2 / 2", "50 000 €", "—", "35,25", "35,25", "11,75", "23,5",
         "47", "Éliminée : Qualité scientifique"],
    ]

    # Decisions: one funded with an amount, one rejected with its reason.
    await page.get_by_role("link", name="Décisions").click()
    await expect(page.locator("h1")).to_have_text("Décisions — AMI test")
    funded = page.get_by_role("region", name=f"n° {second.id} — Titre public 1")
    await expect(funded.locator(".meta")).to_have_text("Demandé : 50 000 € · moyenne 84,82 (rang 1)")
    await funded.get_by_label("Financée").check()
    await funded.get_by_label("Montant accordé (euros)").fill("40000")
    await funded.get_by_role("button", name="Préparer la décision").click()
    await expect(page.locator("[role=status]").first).to_have_text("La décision est préparée.")
    rejected = page.get_by_role("region", name=f"n° {first.id} — Titre public 0")
    await rejected.get_by_label("Non retenue").check()
    await rejected.get_by_label("Motivation (obligatoire en cas de refus)").fill(REASON)
    await rejected.get_by_role("button", name="Préparer la décision").click()
    await expect(page.locator("[role=status]").first).to_have_text("La décision est préparée.")
    facts = [squash(text) for text in await page.locator("main dl.facts").locator("dt, dd").all_inner_texts()]
    assert facts == ["Budget de l’appel", "100 000 €", "Total accordé", "40 000 € (1)", "Reste", "60 000 €"]

    # Letter previews: both, to the owner and the co-applicant, never with the committee's comments.
    await page.get_by_role("link", name="Aperçu des courriers").click()
    await expect(page.locator("h1")).to_have_text("Aperçu des courriers de décision")
    letters = page.locator("article")
    await expect(letters.locator("h2")).to_have_text([
        "Décision : votre candidature n’est pas retenue — Titre public 0",
        "Décision : votre candidature est retenue — Titre public 1"])
    await expect(letters.locator(".meta")).to_have_text([f"Destinataires : {', '.join(RECIPIENTS)} — langue du courrier : français"] * 2)
    previews = [squash(text) for text in await letters.locator("pre").all_inner_texts()]
    assert f"Motifs de la décision : {REASON}" in previews[0]
    assert "Montant accordé : 40 000 € (montant demandé : 50 000 €)" in previews[1]
    assert all("au comité" not in text for text in previews)
    assert all("au porteur." in text for text in previews)

    # One batch release.
    await page.get_by_role("link", name="← Décisions").click()
    await page.get_by_role("button", name="Publier toutes les décisions").click()
    await expect(page.locator("#confirm-what")).to_contain_text("5 courriels seront envoyés")  # the confirmation step: 4 letters, 1 team invitation
    await page.locator("form.confirm-form").get_by_role("button").click()
    await expect(page.locator("[role=status]").first).to_have_text(
        "Les décisions sont publiées ; les courriers sont dans la file d’envoi.")
    await expect(funded.locator("p").last).to_have_text("Décision publiée : financée — 40 000 €")
    await expect(rejected.locator("p").last).to_have_text("Décision publiée : non retenue")
    await expect(page.get_by_role("button", name="Publier toutes les décisions")).to_have_count(0)

    # The funded project is public; the rejected one is not.
    await page.get_by_role("link", name="Projets financés").click()
    await expect(page.locator("#results-title")).to_have_text("1 projet")
    await expect(page.get_by_role("link", name="Titre public 1")).to_have_attribute("href", "/projects/titre-public-1")
    await expect(page.get_by_role("link", name="Titre public 0")).to_have_count(0)

    # The letters went through the SMTP server, to the owner and the co-applicant.
    for recipient in RECIPIENTS:
        letter = plain_body(await mails.wait_for(
            recipient, "Décision : votre candidature est retenue — Titre public 1"))
        assert letter.splitlines()[0] == "Bonjour Camille Porteuse,"
        assert "Montant accordé : 40 000 € (montant demandé : 50 000 €)" in squash(letter)
        refusal = plain_body(await mails.wait_for(
            recipient, "Décision : votre candidature n’est pas retenue — Titre public 0"))
        assert f"Motifs de la décision :\n{REASON}" in refusal.replace("\r\n", "\n")
        assert "au comité" not in letter + refusal
    await page.close()
