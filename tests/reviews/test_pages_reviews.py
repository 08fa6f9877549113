"""Reviewer and manager pages over real HTTP, with CSRF, and the blind-mode leak checks."""

from __future__ import annotations

import re

from registry.reviews.tables import Assignment, Review
from tests.conftest import login, post_form
from tests.reviews.conftest import clear_outbox, outbox_messages

SECRETS = ("Camille Porteuse", "porteuse@chu-exemple.fr", "CHU Exemple", "coporteur@chu-exemple.fr")


async def _assign_all(world, mailer=None):
    from registry.reviews.assigning import assign_call_automatically

    return await assign_call_automatically("ami-test", actor=world.manager_actor, mailer=mailer)


async def test_reviewer_journey_through_forms(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2)
    [first, _] = await _assign_all(world)
    reviewer = next(r for r in world.reviewers if r.id == first.reviewer)
    await login(client, reviewer.email)
    index = await client.get("/reviews/")
    assert "Titre public 0" in index.text and "en attente de déclaration" in index.text
    url = f"/reviews/assignments/{first.id}"
    page = await client.get(url)
    assert "Déclaration d’intérêts" in page.text and "Projet secret 0" not in page.text
    # The attestation box must be ticked: redisplayed with the message next to the field.
    refused = await post_form(client, url, f"{url}/declaration", {"conflict": "no"})
    assert refused.status_code == 422
    assert 'id="error-confidentiality">Vous devez vous engager à la confidentialité.' in refused.text
    accepted = await post_form(client, url, f"{url}/declaration", {"conflict": "no", "confidentiality": "on"})
    assert accepted.status_code == 200 and "Absence de conflit déclarée" in accepted.text
    assert "Projet secret 0" in accepted.text and "Camille Porteuse" in accepted.text
    draft = await post_form(client, url, f"{url}/review", {
        "score-0": "3", "score-1": "na", "score-2": "", "comment_applicant": "Bon projet.",
        "comment_committee": "Solide.", "confidence": "", "action": "save"})
    assert "Brouillon d’évaluation enregistré." in draft.text
    # 3/4 = 75 on the only applicable criterion
    assert "<strong>75</strong>" in draft.text
    incomplete = await post_form(client, url, f"{url}/review", {
        "score-0": "3", "score-1": "na", "comment_applicant": "Bon projet.", "confidence": "4", "action": "submit"})
    assert incomplete.status_code == 422
    assert 'id="error-score-2"' in incomplete.text and "Bon projet." in incomplete.text
    fields = {"score-0": "3", "score-1": "na", "score-2": "4", "comment_applicant": "Bon projet.",
              "comment_committee": "Solide.", "confidence": "4", "action": "submit"}
    # Handing in is irreversible: first a summary of the scores, nothing stored yet.
    summary = await post_form(client, url, f"{url}/review", fields)
    assert summary.status_code == 200 and "Récapitulatif de votre évaluation" in summary.text
    assert 'name="confirm" value="1"' in summary.text and "3 / 4" in summary.text
    assert (await Review.objects().first()).state == "draft"
    done = await post_form(client, url, f"{url}/review", {**fields, "confirm": "1"})
    assert "Évaluation remise. Elle est désormais verrouillée." in done.text
    review = await Review.objects().first()
    assert (review.state, review.scores if isinstance(review.scores, dict) else __import__("json").loads(
        review.scores)) == ("submitted", {"Qualité scientifique": 3.0, "Impact": None, "Ouverture": 4.0})
    # The other reviewer's assignment is not found for this reviewer.
    other = await Assignment.objects().where(Assignment.reviewer != reviewer.id).first()
    assert (await client.get(f"/reviews/assignments/{other.id}")).status_code == 404


async def test_conflict_through_form(client, make_world, settings) -> None:
    world = await make_world(applications=1, reviewers=2)
    [first, _] = await _assign_all(world)
    reviewer = next(r for r in world.reviewers if r.id == first.reviewer)
    await login(client, reviewer.email)
    url = f"/reviews/assignments/{first.id}"
    clear_outbox(settings)
    declaration = {"conflict": "yes", "kind": "financial", "note": "Actionnaire"}
    asked = await post_form(client, url, f"{url}/declaration", declaration)
    assert asked.status_code == 200 and "Vous ne pourrez plus évaluer ce dossier ; le gestionnaire sera prévenu." in asked.text
    assert "intérêt financier" in asked.text and outbox_messages(settings) == []
    assert (await Assignment.objects().where(Assignment.id == first.id).first()).state == "assigned"
    response = await post_form(client, url, f"{url}/declaration", {**declaration, "confirm": "1"})
    assert "Conflit d’intérêts déclaré" in response.text and "ne vous est plus accessible" in response.text
    assert [to for to, _, _ in outbox_messages(settings)] == ["gestion@hdh.fr"]


async def test_role_matrix_pages(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2)
    await _assign_all(world)
    manager_pages = ["/manage/reviews/reviewers", "/manage/reviews/calls/ami-test",
                     "/manage/reviews/calls/ami-test/ranking", "/manage/reviews/calls/ami-test/ranking.csv",
                     "/manage/reviews/calls/ami-test/decisions", "/manage/reviews/calls/ami-test/letters"]
    for url in [*manager_pages, "/reviews/"]:
        response = await client.get(url, follow_redirects=False)
        assert (response.status_code, response.headers["location"].split("?")[0]) == (303, "/login"), url
    await login(client, world.reviewers[0].email)
    for url in manager_pages:
        refused = await client.get(url)
        assert (refused.status_code, "Accès refusé" in refused.text) == (403, True), url
    await client.post("/logout", data={"_csrf_token": client.cookies.get("csrftoken", "")})
    client.cookies.clear()
    await login(client, world.applicant.email)
    assert (await client.get("/reviews/")).status_code == 403
    assert (await client.get(f"/decisions/{world.applications[0].id}")).status_code == 409


async def test_manager_pages_and_csv(client, make_world) -> None:
    from registry.reviews.reviewing import declare, save_review

    world = await make_world(applications=2, reviewers=2)
    created = await _assign_all(world)
    for assignment in created:
        actor = next(world.reviewer_actor(i) for i, r in enumerate(world.reviewers) if r.id == assignment.reviewer)
        await declare(assignment.id, actor=actor, conflict=False, attest_confidentiality=True)
        grade = 4 if assignment.application == world.applications[0].id else 1
        await save_review(assignment.id, actor=actor, scores={"Qualité scientifique": grade, "Impact": grade,
                                                                "Ouverture": None},
                          comment_applicant="Pour vous.", comment_committee="Confidentiel comité", confidence=3,
                          submit=True)
    await login(client, world.manager.email)
    page = await client.get("/manage/reviews/calls/ami-test")
    assert page.text.count("Attribution automatique") == 4
    ranking = await client.get("/manage/reviews/calls/ami-test/ranking?sort=score_mean&order=asc")
    rows = re.findall(r'<th scope="row">n° (\d+) — ', ranking.text)
    assert rows == [str(world.applications[1].id), str(world.applications[0].id)]
    assert "Éliminée</span>" not in ranking.text.split(f"n° {world.applications[0].id}")[1].split("</tr>")[0]
    csv = await client.get("/manage/reviews/calls/ami-test/ranking.csv")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ("rang;candidature;titre;titre grand public;montant demandé;évaluations;moyenne;médiane;"
                        "écart-type;minimum;maximum;éliminée;critères éliminatoires;désaccord;décision")
    # Application 0: 4/4 on both applicable criteria → 100 for each review; application 1: 1/4 → 25, QS 1 < 2.
    assert lines[1] == (f"1;{world.applications[0].id};Projet secret 0;Titre public 0;50000;2;100,00;100,00;0,00;"
                        "100,00;100,00;non;;non;")
    assert lines[2] == (f"2;{world.applications[1].id};Projet secret 1;Titre public 1;50000;2;25,00;25,00;0,00;"
                        "25,00;25,00;oui;Qualité scientifique;non;")
    decided = await post_form(client, "/manage/reviews/calls/ami-test/decisions",
                              f"/manage/reviews/applications/{world.applications[1].id}/decision",
                              {"outcome": "rejected", "amount": "", "reason": ""})
    assert decided.status_code == 422 and "Un refus doit être motivé" in decided.text
    for application, data in ((world.applications[0], {"outcome": "funded", "amount": "40000", "reason": ""}),
                              (world.applications[1], {"outcome": "rejected", "reason": "Impact insuffisant."})):
        response = await post_form(client, "/manage/reviews/calls/ami-test/decisions",
                                   f"/manage/reviews/applications/{application.id}/decision", data)
        assert "La décision est préparée." in response.text
    letters = await client.get("/manage/reviews/calls/ami-test/letters")
    assert "Décision : votre candidature est retenue — Titre public 0" in letters.text
    assert "Impact insuffisant." in letters.text and "Pour vous." in letters.text
    assert "Confidentiel comité" not in letters.text
    asked = await post_form(client, "/manage/reviews/calls/ami-test/decisions",
                            "/manage/reviews/calls/ami-test/release", {})
    assert "2 décisions seront publiées et 5 courriels seront envoyés (1 financée, 1 refusée)." in asked.text
    assert "1 co-porteur sans compte sera invité par courriel" in asked.text
    released = await post_form(client, "/manage/reviews/calls/ami-test/decisions",
                               "/manage/reviews/calls/ami-test/release", {"confirm": "1"})
    assert "Les décisions sont publiées ; les courriers sont dans la file d’envoi." in released.text


async def test_blind_call_hides_identity_everywhere(app, client, make_world, api_token, settings) -> None:
    from registry.reviews.reviewing import declare

    world = await make_world(blind=True, applications=1, reviewers=2)
    clear_outbox(settings)
    created = await _assign_all(world, mailer=app.state.mailer)
    assignment = created[0]
    reviewer = next(r for r in world.reviewers if r.id == assignment.reviewer)
    actor = next(world.reviewer_actor(i) for i, r in enumerate(world.reviewers) if r.id == reviewer.id)
    await declare(assignment.id, actor=actor, conflict=False, attest_confidentiality=True)
    headers = await api_token(reviewer)
    documents = [(await client.get(f"/api/v1/assignments/{assignment.id}", headers=headers)).text,
                 (await client.get("/api/v1/assignments", headers=headers)).text]
    # The applications area's own API stays closed to reviewers of a blind call.
    direct = await client.get(f"/api/v1/applications/{world.applications[0].id}", headers=headers)
    assert direct.status_code == 404
    await login(client, reviewer.email)
    page = await client.get(f"/reviews/assignments/{assignment.id}")
    assert "Projet secret 0" in page.text and "masqué (appel à l’aveugle)" in page.text
    documents += [page.text, (await client.get("/reviews/")).text]
    documents += [f"{subject}\n{body}" for _, subject, body in outbox_messages(settings)]
    assert len(documents) == 6
    for document in documents:
        for secret in SECRETS:
            assert secret.lower() not in document.lower(), secret


async def test_open_call_shows_identity(client, make_world, api_token) -> None:
    from registry.reviews.reviewing import declare

    world = await make_world(blind=False, applications=1, reviewers=2)
    created = await _assign_all(world)
    reviewer_index = next(i for i, r in enumerate(world.reviewers) if r.id == created[0].reviewer)
    await declare(created[0].id, actor=world.reviewer_actor(reviewer_index), conflict=False,
                  attest_confidentiality=True)
    headers = await api_token(world.reviewers[reviewer_index])
    body = (await client.get(f"/api/v1/assignments/{created[0].id}", headers=headers)).json()
    assert body["applicant"]["organisation"] == "CHU Exemple"


async def test_public_sees_nothing_of_the_review(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2)
    created = await _assign_all(world)
    application_id = world.applications[0].id
    for url in (f"/api/v1/applications/{application_id}/reviews", "/api/v1/assignments",
                f"/api/v1/assignments/{created[0].id}", "/api/v1/calls/ami-test/ranking"):
        response = await client.get(url)
        assert (response.status_code, response.json()["detail"]) == (401, "Authentification requise."), url
    for url in (f"/decisions/{application_id}", f"/reviews/assignments/{created[0].id}"):
        response = await client.get(url, follow_redirects=False)
        assert (response.status_code, response.headers["location"].split("?")[0]) == (303, "/login"), url
