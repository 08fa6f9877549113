"""The review API end to end over real HTTP: assign, declare, review, rank, decide, release."""

from __future__ import annotations

import json

from registry.audit.tables import AuditEntry
from registry.projects.tables import Project, ProjectLabel, Repository
from registry.reviews.tables import Assignment, Review
from tests.reviews.conftest import clear_outbox, outbox_messages

QS, IMPACT, OPEN = "Qualité scientifique", "Impact", "Ouverture"


async def _setup(make_world, api_token, **options):
    world = await make_world(**options)
    manager = await api_token(world.manager)
    reviewers = [await api_token(r) for r in world.reviewers]
    applicant = await api_token(world.applicant)
    return world, manager, reviewers, applicant


async def test_manual_assignment_created(client, make_world, api_token, settings) -> None:
    world, manager, reviewers, _ = await _setup(make_world, api_token)
    application = world.applications[0]
    response = await client.post(f"/api/v1/applications/{application.id}/assignments",
                                 json={"reviewer": "EVAL0@labo0.fr"}, headers=manager)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"id": body["id"], "application_id": application.id, "state": "assigned",
                    "public_title": "Titre public 0", "call": "ami-test", "due_at": None, "declared_at": None,
                    "reason": "Attribution manuelle par un gestionnaire.", "automatic": False,
                    "reviewer": "eval0@labo0.fr", "late": False}
    again = await client.post(f"/api/v1/applications/{application.id}/assignments",
                              json={"reviewer": "eval0@labo0.fr"}, headers=manager)
    assert (again.status_code, again.json()["errors"]) == (422, [
        {"field": "reviewer", "message": "Cet évaluateur est déjà affecté à cette candidature."}])
    messages = outbox_messages(settings)
    assert [(to, subject) for to, subject, _ in messages] == [
        ("eval0@labo0.fr", "Nouvelles candidatures à évaluer (1)")]
    assert "Titre public 0" in messages[0][2] and "Projet secret" not in messages[0][2]


async def test_manual_assignment_refuses_conflicts(client, make_world, api_token, make_user) -> None:
    world, manager, _, _ = await _setup(make_world, api_token)
    same_org = await make_user("reviewer", email="collegue@chu-exemple.fr", organisation="chu exemple")
    co = await make_user("reviewer", email="coporteur@chu-exemple.fr", organisation="Ailleurs")
    await make_user("applicant", email="pas-evaluateur@x.fr")
    url = f"/api/v1/applications/{world.applications[0].id}/assignments"
    cases = [(same_org.email, "Affectation impossible : même organisation que le porteur."),
             (co.email, "Affectation impossible : co-porteur de la candidature."),
             ("pas-evaluateur@x.fr", "Cette adresse n'est pas celle d'un évaluateur.")]
    for email, message in cases:
        response = await client.post(url, json={"reviewer": email}, headers=manager)
        assert (response.status_code, response.json()) == (422, {
            "detail": message, "errors": [{"field": "reviewer", "message": message}]})
    assert await Assignment.count() == 0


async def test_auto_assignment_balanced_and_digest(client, make_world, api_token, settings) -> None:
    world, manager, _, _ = await _setup(make_world, api_token, reviewers=3, applications=3, per_application=2)
    response = await client.post("/api/v1/calls/ami-test/assignments/auto", headers=manager)
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert len(items) == 6
    loads = {}
    for item in items:
        loads[item["reviewer"]] = loads.get(item["reviewer"], 0) + 1
        assert item["automatic"] is True and item["reason"].startswith("Attribution automatique")
    assert sorted(loads.values()) == [2, 2, 2]
    subjects = sorted((to, subject) for to, subject, _ in outbox_messages(settings))
    assert subjects == [(f"eval{i}@labo{i}.fr", "Nouvelles candidatures à évaluer (2)") for i in range(3)]
    again = await client.post("/api/v1/calls/ami-test/assignments/auto", headers=manager)
    assert again.json() == {"items": [], "total": 0}


async def test_auto_assignment_not_enough_reviewers(client, make_world, api_token) -> None:
    world, manager, _, _ = await _setup(make_world, api_token, reviewers=1, applications=1, per_application=2)
    response = await client.post("/api/v1/calls/ami-test/assignments/auto", headers=manager)
    detail = (f"Pas assez d'évaluateurs éligibles (sans conflit) pour : n° {world.applications[0].id} "
              "« Titre public 0 » (il manque 1).")
    assert (response.status_code, response.json()) == (422, {
        "detail": detail, "errors": [{"field": "reviewers", "message": detail}]})
    assert await Assignment.count() == 0


async def _assign(client, manager, application_id: int, email: str) -> int:
    response = await client.post(f"/api/v1/applications/{application_id}/assignments", json={"reviewer": email},
                                 headers=manager)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_reviewer_sees_public_title_until_declaration(client, make_world, api_token) -> None:
    world, manager, reviewers, _ = await _setup(make_world, api_token)
    assignment_id = await _assign(client, manager, world.applications[0].id, "eval0@labo0.fr")
    before = (await client.get(f"/api/v1/assignments/{assignment_id}", headers=reviewers[0])).json()
    assert (before["application"], before["applicant"], before["review"], before["criteria"]) == (None, None, None, [])
    assert before["assignment"]["public_title"] == "Titre public 0"
    assert "Projet secret" not in json.dumps(before)
    early = await client.put(f"/api/v1/assignments/{assignment_id}/review", json={"scores": {QS: 3}},
                             headers=reviewers[0])
    assert (early.status_code, early.json()["detail"]) == (409, "Déclarez d'abord l'absence de conflit d'intérêts.")
    declared = await client.post(f"/api/v1/assignments/{assignment_id}/declaration", json={"conflict": False},
                                 headers=reviewers[0])
    assert declared.json()["state"] == "no_conflict"
    after = (await client.get(f"/api/v1/assignments/{assignment_id}", headers=reviewers[0])).json()
    assert after["application"]["title"] == "Projet secret 0"
    assert after["applicant"] == {"name": "Camille Porteuse", "email": "porteuse@chu-exemple.fr",
                                  "organisation": "CHU Exemple", "co_applicants": ["coporteur@chu-exemple.fr"]}
    assert [c["name"] for c in after["criteria"]] == [QS, IMPACT, OPEN]


async def test_conflict_releases_assignment_and_alerts_managers(client, make_world, api_token, settings) -> None:
    world, manager, reviewers, _ = await _setup(make_world, api_token)
    assignment_id = await _assign(client, manager, world.applications[0].id, "eval1@labo1.fr")
    clear_outbox(settings)
    bad = await client.post(f"/api/v1/assignments/{assignment_id}/declaration",
                            json={"conflict": True, "kind": "rival"}, headers=reviewers[1])
    assert (bad.status_code, bad.json()["errors"]) == (422, [
        {"field": "kind", "message": "Choisissez la nature du conflit d'intérêts."}])
    response = await client.post(f"/api/v1/assignments/{assignment_id}/declaration",
                                 json={"conflict": True, "kind": "collaborator", "note": "Co-auteur en 2024"},
                                 headers=reviewers[1])
    assert response.json()["state"] == "conflict"
    review = await client.put(f"/api/v1/assignments/{assignment_id}/review", json={"scores": {QS: 3}},
                              headers=reviewers[1])
    assert (review.status_code, review.json()["detail"]) == (
        409, "Vous avez déclaré un conflit d'intérêts : cette évaluation vous est fermée.")
    detail = (await client.get(f"/api/v1/assignments/{assignment_id}", headers=reviewers[1])).json()
    assert detail["application"] is None
    [(to, subject, body)] = outbox_messages(settings)
    assert (to, subject) == ("gestion@hdh.fr",
                             f"Conflit d’intérêts déclaré — candidature n° {world.applications[0].id}")
    assert "collaboration (récente ou en cours)" in body and "Co-auteur en 2024" in body
    # The same reviewer can never be assigned again, nor picked automatically.
    again = await client.post(f"/api/v1/applications/{world.applications[0].id}/assignments",
                              json={"reviewer": "eval1@labo1.fr"}, headers=manager)
    assert again.json()["detail"] == "Affectation impossible : conflit d'intérêts déclaré."
    entry = await AuditEntry.select().where(AuditEntry.action == "assignment.declare_conflict").first()
    assert json.loads(entry["data"]) == {"from": "assigned", "to": "conflict", "kind": "collaborator",
                                         "note": "Co-auteur en 2024"}


async def _review(client, headers, assignment_id, scores, submit=True, confidence=4, comment="Pour le porteur."):
    return await client.put(f"/api/v1/assignments/{assignment_id}/review", headers=headers, json={
        "scores": scores, "comment_applicant": comment, "comment_committee": "Entre nous.",
        "confidence": confidence, "submit": submit})


async def test_review_draft_submit_lock_reopen(client, make_world, api_token) -> None:
    world, manager, reviewers, _ = await _setup(make_world, api_token)
    assignment_id = await _assign(client, manager, world.applications[0].id, "eval0@labo0.fr")
    await client.post(f"/api/v1/assignments/{assignment_id}/declaration", json={"conflict": False},
                      headers=reviewers[0])
    draft = await _review(client, reviewers[0], assignment_id, {QS: 3}, submit=False, confidence=None)
    # 3/4 = 75 on the only applicable criterion
    assert draft.json() == {"assignment_id": assignment_id, "state": "draft", "scores": {QS: 3.0}, "score": 75.0,
                            "comment_applicant": "Pour le porteur.", "comment_committee": "Entre nous.",
                            "confidence": None, "submitted_at": None, "criterion_comments": {}}
    incomplete = await _review(client, reviewers[0], assignment_id, {QS: 3})
    assert incomplete.status_code == 422
    assert [e["field"] for e in incomplete.json()["errors"]] == [f"scores.{IMPACT}", f"scores.{OPEN}"]
    out_of_range = await _review(client, reviewers[0], assignment_id, {QS: 7, IMPACT: 1, OPEN: None})
    assert out_of_range.json()["errors"] == [{"field": f"scores.{QS}",
                                              "message": "La note doit être comprise entre 0 et 4."}]
    bad_confidence = await _review(client, reviewers[0], assignment_id, {QS: 3, IMPACT: 1, OPEN: None}, confidence=9)
    assert bad_confidence.json()["errors"] == [{"field": "confidence",
                                                "message": "Le degré de confiance est un entier de 1 à 5."}]
    submitted = await _review(client, reviewers[0], assignment_id, {QS: 3, IMPACT: 1, OPEN: None})
    # (40×75 + 30×25) / 70 = (3000 + 750) / 70 = 53.571… → 53.57
    assert (submitted.json()["state"], submitted.json()["score"]) == ("submitted", 53.57)
    locked = await _review(client, reviewers[0], assignment_id, {QS: 4, IMPACT: 4, OPEN: 5})
    assert (locked.status_code, locked.json()["detail"]) == (409, "Votre évaluation est remise et verrouillée.")
    changes = await AuditEntry.select(AuditEntry.data).where(AuditEntry.action == "review.scores_changed").order_by(
        AuditEntry.id)
    assert [json.loads(c["data"])["after"] for c in changes] == [{QS: 3.0}, {QS: 3.0, IMPACT: 1.0, OPEN: None}]
    # A manager reopens (logged); the reviewer edits and submits again.
    from registry.reviews.reviewing import reopen_review

    await reopen_review(assignment_id, actor=world.manager_actor, reason="Note d'impact à revoir")
    resubmitted = await _review(client, reviewers[0], assignment_id, {QS: 3, IMPACT: 3, OPEN: None})
    assert (resubmitted.json()["state"], resubmitted.json()["score"]) == ("submitted", 75.0)
    reopened = await Review.select(Review.reopened_count, Review.reopen_reason).first()
    assert reopened == {"reopened_count": 1, "reopen_reason": "Note d'impact à revoir"}


async def test_reviewers_see_only_their_assignments(client, make_world, api_token) -> None:
    world, manager, reviewers, _ = await _setup(make_world, api_token)
    mine = await _assign(client, manager, world.applications[0].id, "eval0@labo0.fr")
    theirs = await _assign(client, manager, world.applications[1].id, "eval1@labo1.fr")
    listing = (await client.get("/api/v1/assignments", headers=reviewers[0])).json()
    assert [item["id"] for item in listing["items"]] == [mine]
    assert (listing["total"], listing["page"], listing["per_page"]) == (1, 1, 20)
    assert "reason" not in json.dumps(listing) or listing["items"][0]["reason"] is None
    other = await client.get(f"/api/v1/assignments/{theirs}", headers=reviewers[0])
    assert (other.status_code, other.json()["detail"]) == (404, "Attribution introuvable.")
    declare = await client.post(f"/api/v1/assignments/{theirs}/declaration", json={"conflict": False},
                                headers=reviewers[0])
    assert declare.status_code == 404
    review = await _review(client, reviewers[0], theirs, {QS: 1})
    assert review.status_code == 404


async def test_role_matrix_on_manager_endpoints(client, make_world, api_token) -> None:
    world, manager, reviewers, applicant = await _setup(make_world, api_token)
    application_id = world.applications[0].id
    calls = [("post", f"/api/v1/applications/{application_id}/assignments", {"reviewer": "eval0@labo0.fr"}),
             ("post", "/api/v1/calls/ami-test/assignments/auto", None),
             ("get", "/api/v1/calls/ami-test/ranking", None),
             ("put", f"/api/v1/applications/{application_id}/decision", {"outcome": "rejected", "reason": "x"}),
             ("post", "/api/v1/calls/ami-test/decisions/release", None)]
    from registry.calls.tables import Call
    from registry.reviews.tables import Assignment, Decision

    for method, url, body in calls:
        kwargs = {"json": body} if body is not None else {}
        assert (await getattr(client, method)(url, **kwargs)).status_code == 401, url
        for headers in (reviewers[0], applicant):
            assert (await getattr(client, method)(url, headers=headers, **kwargs)).status_code == 403, url
    assert (await client.get("/api/v1/assignments", headers=applicant)).status_code == 403
    assert (await client.get("/api/v1/assignments")).status_code == 401
    # Refused means refused: nothing was assigned, decided or released.
    assert (await Assignment.count(), await Decision.count()) == (0, 0)
    assert (await Call.select(Call.status).where(Call.slug == "ami-test").first())["status"] == "in_review"


async def _full_review_round(client, world, manager, reviewers):
    """Two reviews per application; returns the assignment ids per application."""
    grades = {0: [{QS: 4, IMPACT: 4, OPEN: 5}, {QS: 3, IMPACT: 3, OPEN: None}],
              1: [{QS: 1, IMPACT: 2, OPEN: 1}, {QS: 2, IMPACT: 4, OPEN: 5}]}
    ids = {}
    for index, application in enumerate(world.applications):
        ids[index] = []
        for slot, reviewer in enumerate((0, 1)):
            email = world.reviewers[reviewer].email
            assignment_id = await _assign(client, manager, application.id, email)
            await client.post(f"/api/v1/assignments/{assignment_id}/declaration", json={"conflict": False},
                              headers=reviewers[reviewer])
            response = await _review(client, reviewers[reviewer], assignment_id, grades[index][slot],
                                     comment=f"Conseil {index}-{slot}")
            assert response.status_code == 200, response.text
            ids[index].append(assignment_id)
    return ids


async def test_ranking_values(client, make_world, api_token) -> None:
    world, manager, reviewers, _ = await _setup(make_world, api_token)
    await _full_review_round(client, world, manager, reviewers)
    ranking = (await client.get("/api/v1/calls/ami-test/ranking", headers=manager)).json()
    first, second = world.applications
    # Application 0: 100 and (40×75 + 30×75)/70 = 75 → mean 87.5, median 87.5, pstdev 12.5, spread 25 → flagged
    # Application 1: (40×25 + 30×50 + 30×20)/100 = 31; (40×50 + 30×100 + 30×100)/100 = 80
    #   → mean 55.5, median 55.5, pstdev 24.5; QS mean (1+2)/2 = 1.5 < 2.0 → eliminated; spread 49 → flagged
    assert ranking == {"call": "ami-test", "total": 2, "items": [
        {"rank": 1, "application_id": first.id, "public_title": "Titre public 0", "reviews": 2,
         "review_scores": [100.0, 75.0], "score_mean": 87.5, "score_median": 87.5, "score_stdev": 12.5,
         "score_min": 75.0, "score_max": 100.0, "eliminated": False, "eliminated_by": [], "disagreement": True},
        {"rank": 2, "application_id": second.id, "public_title": "Titre public 1", "reviews": 2,
         "review_scores": [31.0, 80.0], "score_mean": 55.5, "score_median": 55.5, "score_stdev": 24.5,
         "score_min": 31.0, "score_max": 80.0, "eliminated": True, "eliminated_by": [QS], "disagreement": True},
    ]}


async def test_decisions_release_and_applicant_feedback(client, make_world, api_token, settings) -> None:
    world, manager, reviewers, applicant = await _setup(make_world, api_token, budget=60_000)
    ids = await _full_review_round(client, world, manager, reviewers)
    first, second = world.applications
    early = await client.get(f"/api/v1/applications/{first.id}/reviews", headers=applicant)
    assert (early.status_code, early.json()["detail"]) == (
        409, "Les évaluations sont communiquées avec la décision, qui n'est pas encore publiée.")
    too_much = await client.put(f"/api/v1/applications/{first.id}/decision", headers=manager,
                                json={"outcome": "funded", "amount": 50_001, "reason": ""})
    assert too_much.json()["errors"] == [{"field": "amount",
                                          "message": "Le montant accordé dépasse le montant demandé (50000 €)."}]
    unreasoned = await client.put(f"/api/v1/applications/{second.id}/decision", headers=manager,
                                  json={"outcome": "rejected"})
    assert unreasoned.json()["errors"] == [{"field": "reason",
                                            "message": "Un refus doit être motivé : rédigez la motivation."}]
    missing = await client.post("/api/v1/calls/ami-test/decisions/release", headers=manager)
    assert missing.status_code == 422
    funded = await client.put(f"/api/v1/applications/{first.id}/decision", headers=manager,
                              json={"outcome": "funded", "amount": 45_000, "reason": "Excellent dossier."})
    assert funded.json() == {"application_id": first.id, "outcome": "funded", "amount": 45_000,
                             "reason": "Excellent dossier.", "state": "prepared",
                             "budget": {"budget": 60_000, "funded_total": 45_000, "remaining": 15_000,
                                        "over_budget": False}, "warning": None}
    over = await client.put(f"/api/v1/applications/{second.id}/decision", headers=manager,
                            json={"outcome": "funded", "amount": 20_000, "reason": ""})
    assert (over.json()["budget"]["over_budget"], over.json()["warning"]) == (
        True, "Le total des financements dépasse le budget de l'appel.")
    await client.put(f"/api/v1/applications/{second.id}/decision", headers=manager,
                     json={"outcome": "rejected", "reason": "Critère éliminatoire non atteint."})
    clear_outbox(settings)
    released = await client.post("/api/v1/calls/ami-test/decisions/release", headers=manager)
    assert released.json() == {"released": 2, "funded": 1, "rejected": 1, "projects": ["titre-public-0"]}
    project = await Project.objects().where(Project.slug == "titre-public-0").first()
    assert (project.title, project.amount_granted, project.declared_licence, project.call, project.application_id) == (
        "Projet secret 0", 45_000, "MIT", world.call.id, first.id)
    repositories = await Repository.select(Repository.url, Repository.forge, Repository.host).where(
        Repository.project == project.id).order_by(Repository.id)
    assert repositories == [
        {"url": "https://github.com/chu-exemple/outil", "forge": "github", "host": "github.com"},
        {"url": "https://gitlab.com/hdh/outil", "forge": "gitlab", "host": "gitlab.com"},
        {"url": "https://git.example.org/outil.git", "forge": "git", "host": "git.example.org"}]
    assert await ProjectLabel.count().where(ProjectLabel.project == project.id) == 1
    letters = sorted(outbox_messages(settings))
    assert [(to, subject) for to, subject, _ in letters] == sorted([
        ("porteuse@chu-exemple.fr", "Décision : votre candidature est retenue — Titre public 0"),
        ("coporteur@chu-exemple.fr", "Décision : votre candidature est retenue — Titre public 0"),
        ("porteuse@chu-exemple.fr", "Décision : votre candidature n’est pas retenue — Titre public 1"),
        ("coporteur@chu-exemple.fr", "Décision : votre candidature n’est pas retenue — Titre public 1"),
        # The funded project's co-applicant has no account: invited to join its team.
        ("coporteur@chu-exemple.fr", "Invitation à rejoindre l’équipe d’un projet financé — Titre public 0")])
    for _, subject, body in letters:
        assert "Entre nous." not in body
        if "n’est pas" in subject:
            assert "Critère éliminatoire non atteint." in body and "Conseil 1-0" in body and "Conseil 1-1" in body
    # A retry (say, after a lost answer) gives the same result and sends no letter twice.
    retried = await client.post("/api/v1/calls/ami-test/decisions/release", headers=manager)
    assert retried.json() == released.json()
    assert sorted(outbox_messages(settings)) == letters
    assert await Project.count() == 1
    feedback = (await client.get(f"/api/v1/applications/{second.id}/reviews", headers=applicant)).json()
    assert feedback == {"application_id": second.id, "outcome": "rejected", "amount": None,
                        "reason": "Critère éliminatoire non atteint.", "released_at": feedback["released_at"],
                        "comments": ["Conseil 1-0", "Conseil 1-1"], "project": None}
    assert (await client.get(f"/api/v1/applications/{second.id}/reviews", headers=reviewers[0])).status_code == 404
    # After the release: no more reviews, declarations or decisions.
    late = await _review(client, reviewers[0], ids[0][0], {QS: 1, IMPACT: 1, OPEN: 1})
    assert late.status_code == 409
    assert set(await Review.select(Review.state).output(as_list=True)) == {"locked"}
    again = await client.put(f"/api/v1/applications/{first.id}/decision", headers=manager,
                             json={"outcome": "rejected", "reason": "x"})
    assert again.status_code == 409
