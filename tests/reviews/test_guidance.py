"""Criterion guidance (descriptions, score anchors), per-criterion comments, due dates and their
reminders, the conflict-aware assignment choices and the progress tracker — over real HTTP and the
real outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from registry.calls.tables import Call, Criterion
from registry.outbox.tables import OutboxMessage
from registry.reviews.tables import Assignment, Review
from tests.conftest import login, post_form

SECRETS = ("Camille Porteuse", "porteuse@chu-exemple.fr", "CHU Exemple", "coporteur@chu-exemple.fr")
ANCHORS = [{"score": 1, "label": "insuffisant", "label_en": "insufficient"},
           {"score": 3, "label": "satisfaisant", "label_en": "satisfactory"},
           {"score": 4, "label": "excellent", "label_en": ""}]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def _assign_all(world):
    from registry.reviews.assigning import assign_call_automatically

    return await assign_call_automatically("ami-test", actor=world.manager_actor)


async def _guide(world) -> None:
    """The first criterion of the world's call gets a description (FR/EN) and anchors."""
    await Criterion.update({Criterion.description: "Rigueur de la méthode.",
                            Criterion.description_en: "Soundness of the method.",
                            Criterion.anchors: ANCHORS}).where(
        (Criterion.call == world.call.id) & (Criterion.position == 0))


async def _declared(client, world, assignment):
    reviewer = next(r for r in world.reviewers if r.id == assignment.reviewer)
    await login(client, reviewer.email)
    url = f"/reviews/assignments/{assignment.id}"
    response = await post_form(client, url, f"{url}/declaration", {"conflict": "no", "confidentiality": "on"})
    assert "Absence de conflit déclarée" in response.text
    return url


# --- the call editor and the calls API -------------------------------------------------------

FORM = {"slug": "ami-guide", "title_fr": "AMI guidé", "opens_at": "2030-01-10T09:00", "closes_at": "2030-03-31T12:00",
        "budget_total": "100000", "amount_min": "0", "amount_max": "50000", "reviews_per_application": "2",
        "reviews_visibility": "after_own", "reviews_due_at": "2030-04-30T18:00",
        "criterion_name": ["Impact", "Budget"], "criterion_weight": ["60", "40"], "criterion_scale_max": ["5", "4"],
        "criterion_eliminatory_below": ["", ""], "criterion_description": ["Effet attendu.", ""],
        "criterion_description_en": ["Expected effect.", ""],
        "criterion_anchors": ["1 — insuffisant\n3 — satisfaisant\n5 — excellent", ""],
        "criterion_anchors_en": ["1 — insufficient\n5 — excellent", ""]}


async def test_editor_stores_and_shows_anchors(client, make_user) -> None:
    manager = await make_user("manager")
    await login(client, manager.email)
    # An anchor beyond the scale: the form comes back with the message beside the field, nothing lost.
    bad = await post_form(client, "/manage/calls/new", "/manage/calls/new",
                          {**FORM, "criterion_anchors": ["1 — insuffisant\n9 — parfait", ""]})
    assert bad.status_code == 422
    assert 'id="error-criteria.0.anchors"' in bad.text and 'href="#field-criteria.0.anchors"' in bad.text
    assert "Le repère 9 sort de l&#39;échelle (0 à 5)." in bad.text and "9 — parfait" in bad.text
    assert not await Call.exists().where(Call.slug == "ami-guide")
    created = await post_form(client, "/manage/calls/new", "/manage/calls/new", FORM)
    assert created.status_code == 200, created.text
    call = await Call.objects().where(Call.slug == "ami-guide").first()
    assert call.reviews_due_at == datetime(2030, 4, 30, 16, 0, tzinfo=UTC)
    impact = await Criterion.objects().where((Criterion.call == call.id) & (Criterion.name == "Impact")).first()
    assert (impact.description, impact.description_en) == ("Effet attendu.", "Expected effect.")
    assert _json(impact.anchors) == [{"score": 1, "label": "insuffisant", "label_en": "insufficient"},
                                     {"score": 3, "label": "satisfaisant", "label_en": ""},
                                     {"score": 5, "label": "excellent", "label_en": "excellent"}]
    edit = await client.get("/manage/calls/ami-guide/edit")
    assert "1 — insuffisant\n3 — satisfaisant\n5 — excellent</textarea>" in edit.text
    assert 'value="2030-04-30T18:00"' in edit.text


async def test_api_anchors_round_trip_and_validation(client, make_user, api_token) -> None:
    manager = await make_user("manager")
    headers = await api_token(manager)
    body = {"slug": "ami-api", "title": "AMI API", "opens_at": "2030-01-10T09:00", "closes_at": "2030-03-31T12:00",
            "reviews_due_at": "2030-04-30T18:00",
            "criteria": [{"name": "Impact", "weight": 100, "scale_max": 4, "description": "Effet",
                          "description_en": "Effect", "anchors": [{"score": 4, "label": "excellent"},
                                                                  {"score": 0, "label": "nul", "label_en": "none"}]}]}
    created = await client.post("/api/v1/calls", json=body, headers=headers)
    assert created.status_code == 201, created.text
    [criterion] = created.json()["criteria"]
    assert criterion["anchors"] == [{"score": 0, "label": "nul", "label_en": "none"},
                                    {"score": 4, "label": "excellent", "label_en": ""}]
    assert (criterion["description_en"], created.json()["reviews_due_at"]) == ("Effect", "2030-04-30T18:00:00+02:00")
    # Old clients (no anchors, no due date) still work.
    plain = {**body, "slug": "ami-plain", "criteria": [{"name": "Impact", "weight": 100}]}
    plain.pop("reviews_due_at")
    old = await client.post("/api/v1/calls", json=plain, headers=headers)
    assert old.status_code == 201 and old.json()["criteria"][0]["anchors"] == []
    wrong = {**body, "slug": "ami-wrong", "criteria": [{**body["criteria"][0],
                                                        "anchors": [{"score": 7, "label": "trop"}]}]}
    refused = await client.post("/api/v1/calls", json=wrong, headers=headers)
    assert refused.status_code == 422
    assert {"field": "criteria.0.anchors", "message": "Le repère 7 sort de l'échelle (0 à 4)."} in \
        refused.json()["errors"]


# --- the reviewer's form ---------------------------------------------------------------------

async def test_scoring_form_shows_guidance_and_names_criteria(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2)
    await _guide(world)
    [first, _] = await _assign_all(world)
    url = await _declared(client, world, first)
    page = await client.get(url)
    assert "Rigueur de la méthode." in page.text
    assert "<strong>3</strong> — satisfaisant" in page.text and 'value="na"' in page.text
    english = await client.get(url + "?lang=en")
    assert "Soundness of the method." in english.text and "<strong>3</strong> — satisfactory" in english.text
    assert "<strong>4</strong> — excellent" in english.text  # no English label: the French one
    # Incomplete submission: each message names its criterion and links to it.
    incomplete = await post_form(client, url, f"{url}/review?lang=fr", {"score-0": "3", "comment_applicant": "Bien.",
                                                                "confidence": "3", "action": "submit"})
    assert incomplete.status_code == 422
    assert '<a href="#field-score-1">Notez le critère « Impact » ou indiquez « non applicable ».</a>' in incomplete.text
    assert '<a href="#field-score-2">Notez le critère « Ouverture »' in incomplete.text
    assert 'id="field-score-1"' in incomplete.text


async def test_criterion_comments_stored_and_shown_to_managers(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2)
    [first, _] = await _assign_all(world)
    url = await _declared(client, world, first)
    fields = {"score-0": "3", "score-1": "2", "score-2": "5", "comment-0": "Méthode solide mais peu détaillée.",
              "comment-2": "", "comment_applicant": "Bon projet.", "comment_committee": "Solide.",
              "confidence": "4", "action": "save"}
    saved = await post_form(client, url, f"{url}/review", fields)
    assert "Brouillon d’évaluation enregistré." in saved.text  # a draft needs no confirmation
    assert "Méthode solide mais peu détaillée.</textarea>" in saved.text
    review = await Review.objects().first()
    assert _json(review.criterion_comments) == {"Qualité scientifique": "Méthode solide mais peu détaillée."}
    asked = await post_form(client, url, f"{url}/review", {**fields, "action": "submit"})
    assert "Récapitulatif de votre évaluation" in asked.text
    assert (await Review.objects().first()).state == "draft"
    back = await post_form(client, url, f"{url}/review", {**fields, "action": "edit", "confirm": "1"})
    assert back.status_code == 200 and (await Review.objects().first()).state == "draft"
    done = await post_form(client, url, f"{url}/review", {**fields, "action": "submit", "confirm": "1"})
    assert "Évaluation remise" in done.text and (await Review.objects().first()).state == "submitted"
    await login(client, world.manager.email)
    manager_page = await client.get("/manage/reviews/calls/ami-test")
    assert "Méthode solide mais peu détaillée." in manager_page.text and "Solide." in manager_page.text


async def test_api_criterion_comments(client, make_world, api_token) -> None:
    world = await make_world(applications=1, reviewers=2)
    [first, _] = await _assign_all(world)
    reviewer = next(r for r in world.reviewers if r.id == first.reviewer)
    headers = await api_token(reviewer)
    declared = await client.post(f"/api/v1/assignments/{first.id}/declaration", json={"conflict": False},
                                 headers=headers)
    assert declared.status_code == 200
    body = {"scores": {"Impact": 2}, "criterion_comments": {"Impact": "Public restreint."}}
    saved = await client.put(f"/api/v1/assignments/{first.id}/review", json=body, headers=headers)
    assert saved.status_code == 200 and saved.json()["criterion_comments"] == {"Impact": "Public restreint."}
    detail = (await client.get(f"/api/v1/assignments/{first.id}", headers=headers)).json()
    assert detail["review"]["criterion_comments"] == {"Impact": "Public restreint."}
    unknown = await client.put(f"/api/v1/assignments/{first.id}/review",
                               json={"scores": {}, "criterion_comments": {"Beauté": "?"}}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "criterion_comments.Beauté", "message": "Critère inconnu : « Beauté »."}]
    assert _json((await Review.objects().first()).criterion_comments) == {"Impact": "Public restreint."}


# --- the declaration page --------------------------------------------------------------------

async def test_declaration_page_shows_parties_unless_blind(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2)
    [first, _] = await _assign_all(world)
    reviewer = next(r for r in world.reviewers if r.id == first.reviewer)
    await login(client, reviewer.email)
    page = (await client.get(f"/reviews/assignments/{first.id}")).text
    assert all(secret in page for secret in SECRETS)
    assert "Projet secret 0" not in page  # the content itself waits for the declaration


async def test_blind_declaration_page_shows_no_identity(client, make_world) -> None:
    world = await make_world(applications=1, reviewers=2, blind=True)
    [first, _] = await _assign_all(world)
    reviewer = next(r for r in world.reviewers if r.id == first.reviewer)
    await login(client, reviewer.email)
    url = f"/reviews/assignments/{first.id}"
    page = (await client.get(url)).text
    assert "Appel à l’aveugle" in page and not any(secret in page for secret in SECRETS)
    asked = await post_form(client, url, f"{url}/declaration", {"conflict": "yes", "kind": "other", "note": "Ami"})
    assert not any(secret in asked.text for secret in SECRETS)
    # Bad input before the confirmation: the form comes back, nothing stored.
    missing = await post_form(client, url, f"{url}/declaration", {"conflict": "yes", "kind": "other"})
    assert missing.status_code == 422 and "Précisez la nature du conflit." in missing.text
    assert (await Assignment.objects().where(Assignment.id == first.id).first()).state == "assigned"


# --- assignments: conflicted reviewers, labels, reasons, tracker ------------------------------

async def test_conflicted_reviewer_not_offered_and_refused(client, make_world, make_user) -> None:
    from registry.reviews.reviewing import declare

    world = await make_world(applications=2, reviewers=3, per_application=1)
    colleague = await make_user("reviewer", email="collegue@chu-exemple.fr", name="Collègue Même",
                                organisation="CHU Exemple")
    created = await _assign_all(world)
    first = next(a for a in created if a.application == world.applications[0].id)
    await declare(first.id, actor=world.reviewer_actor(world.reviewers.index(
        next(r for r in world.reviewers if r.id == first.reviewer))), conflict=True, kind="same_institution")
    conflicted = next(r for r in world.reviewers if r.id == first.reviewer)
    await login(client, world.manager.email)
    page = (await client.get("/manage/reviews/calls/ami-test")).text
    application_id = world.applications[0].id
    select = page.split(f'id="reviewer-{application_id}"')[1].split("</select>")[0]
    assert f'value="{conflicted.email}"' not in select and f'value="{colleague.email}"' not in select
    assert "même établissement" in page and "same_institution" not in page
    english = (await client.get("/manage/reviews/calls/ami-test?lang=en")).text
    assert "same institution" in english and "Attribution automatique" not in english
    assert "Automatic assignment" in english
    for email in (conflicted.email, colleague.email):
        refused = await post_form(client, "/manage/reviews/calls/ami-test",
                                  f"/manage/reviews/applications/{application_id}/assign", {"reviewer": email})
        assert refused.status_code == 422 and "Affectation impossible" in refused.text
    assert await Assignment.count().where((Assignment.application == application_id)
                                          & Assignment.reviewer.is_in([conflicted.id, colleague.id])) == 1


async def test_progress_tracker_counts(client, make_world) -> None:
    from registry.reviews.views import review_progress, reviewer_progress

    world = await make_world(applications=2, reviewers=2)
    created = await _assign_all(world)
    app0 = world.applications[0].id
    late, on_time = [a for a in created if a.application == app0]
    await Assignment.update({Assignment.due_at: datetime.now(UTC) - timedelta(hours=1)}).where(
        Assignment.id == late.id)
    await Call.update({Call.reviews_due_at: datetime.now(UTC) + timedelta(days=5)}).where(Call.id == world.call.id)
    url = await _declared(client, world, on_time)
    await post_form(client, url, f"{url}/review", {"score-0": "3", "score-1": "2", "score-2": "5",
                                                   "comment_applicant": "Bien.", "confidence": "4",
                                                   "action": "submit", "confirm": "1"})
    progress = await review_progress(world.call.id)
    assert progress[app0] == {"assigned": 2, "submitted": 1, "conflicts": 0, "late": 1}
    assert progress[world.applications[1].id] == {"assigned": 2, "submitted": 0, "conflicts": 0, "late": 0}
    loads = {r["id"]: (r["load"], r["submitted"], r["late"]) for r in await reviewer_progress(world.call.id)}
    assert loads[late.reviewer] == (2, 0, 1) and loads[on_time.reviewer] == (2, 1, 0)
    await login(client, world.manager.email)
    page = (await client.get("/manage/reviews/calls/ami-test")).text
    assert "Suivi des évaluations" in page and "1 en retard" in page
    reviewer = next(r for r in world.reviewers if r.id == late.reviewer)
    await login(client, reviewer.email)
    mine = (await client.get("/reviews/")).text
    assert "En retard :" in mine and "était à rendre avant le" in mine


# --- due-date reminders through the outbox ----------------------------------------------------

async def test_due_date_reminders_sent_once_each(client, app, make_world) -> None:
    from registry.reviews.reminders import send_review_reminders

    world = await make_world(applications=1, reviewers=2)
    created = await _assign_all(world)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    await Call.update({Call.reviews_due_at: due}).where(Call.id == world.call.id)
    mailer = app.state.mailer

    async def run(at: datetime) -> list[tuple[str, str]]:
        before = {m["id"] for m in await OutboxMessage.select(OutboxMessage.id)}
        await send_review_reminders(now=at, mailer=mailer, base_url="https://ami.example")
        return sorted((m["recipient"], m["subject"]) for m in await OutboxMessage.select(
            OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.subject) if m["id"] not in before)

    assert await run(due - timedelta(days=4)) == []
    emails = sorted(r.email for r in world.reviewers if r.id in {a.reviewer for a in created})
    three = await run(due - timedelta(days=2, hours=23))
    assert three == [(e, "Rappel : évaluation à rendre dans 3 jours — Titre public 0") for e in emails]
    assert await run(due - timedelta(days=2)) == []  # idempotent
    # One reviewer hands in their review: no more reminders for them.
    done = created[0]
    url = await _declared(client, world, done)
    await post_form(client, url, f"{url}/review", {"score-0": "3", "score-1": "2", "score-2": "5",
                                                   "comment_applicant": "Bien.", "confidence": "4",
                                                   "action": "submit", "confirm": "1"})
    still = next(r.email for r in world.reviewers if r.id == created[1].reviewer)
    one = await run(due - timedelta(hours=20))
    assert one == [(still, "Rappel : évaluation à rendre demain — Titre public 0")]
    assert await run(due - timedelta(hours=2)) == [] and await run(due + timedelta(hours=1)) == []
    [row] = await OutboxMessage.select(OutboxMessage.body).where(
        (OutboxMessage.recipient == still) & (OutboxMessage.template == "review_reminder")
        & OutboxMessage.subject.like("%demain%"))
    assert f"https://ami.example/reviews/assignments/{created[1].id}" in row["body"]
    assert not any(secret in row["body"] for secret in SECRETS)


async def test_late_job_sends_only_the_latest_reminder(app, make_world) -> None:
    from registry.reviews.reminders import send_review_reminders

    world = await make_world(applications=1, reviewers=2, per_application=1)
    [assignment] = await _assign_all(world)
    due = datetime.now(UTC) + timedelta(days=10)
    await Assignment.update({Assignment.due_at: due}).where(Assignment.id == assignment.id)
    assert await send_review_reminders(now=due - timedelta(hours=12), mailer=app.state.mailer) == 1
    assert await send_review_reminders(now=due - timedelta(hours=11), mailer=app.state.mailer) == 0
    subjects = [m["subject"] for m in await OutboxMessage.select(OutboxMessage.subject).where(
        OutboxMessage.template == "review_reminder")]
    assert subjects == ["Rappel : évaluation à rendre demain — Titre public 0"]


async def test_new_reviewer_and_manager_pages_are_translated(client, make_world) -> None:
    from tests.app.test_english_pages import untranslated_french

    world = await make_world(applications=1, reviewers=2)
    await _guide(world)
    await Call.update({Call.reviews_due_at: datetime.now(UTC) - timedelta(hours=1)}).where(Call.id == world.call.id)
    [first, second] = await _assign_all(world)
    reviewer = next(r for r in world.reviewers if r.id == first.reviewer)
    await login(client, reviewer.email)
    url = f"/reviews/assignments/{first.id}"
    client.cookies.set("lang", "en")
    pages = {"declaration": (await client.get(url + "?lang=en")).text, "list": (await client.get("/reviews/?lang=en")).text}
    pages["conflict confirmation"] = (await post_form(client, url + "?lang=en", f"{url}/declaration?lang=en", {
        "conflict": "yes", "kind": "personal", "note": ""})).text
    await post_form(client, url, f"{url}/declaration", {"conflict": "no", "confidentiality": "on"})
    fields = {"score-0": "3", "score-1": "2", "score-2": "na", "comment-1": "Court.", "comment_applicant": "Bien.",
              "confidence": "4", "action": "submit"}
    pages["form"] = (await client.get(url + "?lang=en")).text
    pages["errors"] = (await post_form(client, url + "?lang=en", f"{url}/review?lang=en",
                                       {**fields, "score-2": ""})).text
    pages["summary"] = (await post_form(client, url + "?lang=en", f"{url}/review?lang=en", fields)).text
    await login(client, world.manager.email)
    pages["assignments"] = (await client.get("/manage/reviews/calls/ami-test?lang=en")).text
    assert "Late" in pages["list"] and "Summary of your review" in pages["summary"]
    assert '<a href="#field-score-2">Score the criterion “' in pages["errors"]
    assert "You will no longer be able to review this application" in pages["conflict confirmation"]
    assert "Review tracking" in pages["assignments"]
    # Criterion names are the call's own data ("Ouverture" happens to be a catalogue word too).
    left = {name: [p for p in untranslated_french(html) if "Ouverture" not in p] for name, html in pages.items()}
    assert left == {name: [] for name in pages}
