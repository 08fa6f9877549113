"""Manager pages over real HTTP: confirmation steps of irreversible moves, true counts, ranking aids."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from registry.applications.tables import Application, ApplicationVersion
from registry.audit.tables import AuditEntry
from registry.calls.tables import Call
from registry.outbox.tables import OutboxMessage
from registry.reviews.tables import Decision
from tests.conftest import login, post_form


async def _version(application: Application, number: int = 1) -> None:
    content = {"title": application.title, "public_title": application.public_title,
               "public_summary": application.public_summary, "description": application.description,
               "requested_amount": application.requested_amount, "repositories": [], "licence": "MIT",
               "organisation": {"name": "CHU Exemple", "siren": "", "ror": ""}, "labels": [],
               "co_applicants": [], "attachments": []}
    await ApplicationVersion(application=application.id, number=number, submitted_at=datetime.now(UTC),
                             content=json.dumps(content), sha256="0" * 64).save()


async def _open_call_with_drafts(world) -> tuple[Application, Application]:
    """The call is published and still open for 45 days; besides the world's two submitted
    applications, one draft never submitted and one reopened after a submission."""
    now = datetime.now(UTC)
    await Call.update({Call.status: "published", Call.opens_at: now - timedelta(days=10),
                       Call.closes_at: now + timedelta(days=45)}).where(Call.id == world.call.id)
    never = Application(call=world.call.id, owner=world.applicant.id, state="draft", title="Jamais soumis",
                        requested_amount=10_000)
    await never.save()
    reopened = Application(call=world.call.id, owner=world.applicant.id, state="draft", title="Rouvert",
                           public_title="Rouvert public", requested_amount=20_000)
    await reopened.save()
    await _version(reopened)
    for application in world.applications:
        await _version(application)
    return never, reopened


async def test_start_review_before_deadline_asks_first_then_acts(client, make_world) -> None:
    world = await make_world(status="published", applications=2)
    _never, reopened = await _open_call_with_drafts(world)
    await login(client, world.manager.email)
    detail = await client.get("/manage/calls/ami-test")
    assert "Lancer l’évaluation" in detail.text
    asked = await post_form(client, "/manage/calls/ami-test", "/manage/calls/ami-test/move", {"to": "in_review"})
    assert asked.status_code == 200 and "<h1 id=\"confirm-title\" tabindex=\"-1\">Lancer l’évaluation ?</h1>" in asked.text
    assert "L’appel est encore ouvert jusqu’au" in asked.text and "les candidats ne pourront plus déposer" in asked.text
    assert "3 candidatures soumises seront évaluées." in asked.text
    assert "1 brouillon rouvert après dépôt reviendra à sa dernière version soumise." in asked.text
    assert "1 brouillon jamais soumis ne sera pas évalué." in asked.text
    assert '<input type="hidden" name="to" value="in_review">' in asked.text
    assert '<input type="hidden" name="confirm" value="1">' in asked.text and 'name="_csrf_token"' in asked.text
    assert 'href="/manage/calls/ami-test"' in asked.text
    # Nothing changed yet.
    assert (await Call.objects().get(Call.id == world.call.id)).status == "published"
    assert not await AuditEntry.exists().where(AuditEntry.action == "call.start_review")
    done = await post_form(client, "/manage/calls/ami-test", "/manage/calls/ami-test/move",
                           {"to": "in_review", "confirm": "1"})
    assert "L&#39;état de l&#39;appel a été changé." in done.text or "L'état de l'appel a été changé." in done.text
    assert (await Call.objects().get(Call.id == world.call.id)).status == "in_review"
    entry = await AuditEntry.objects().get(AuditEntry.action == "call.start_review")
    assert json.loads(entry.data) == {"slug": "ami-test", "from": "published", "to": "in_review"}
    assert (await Application.objects().get(Application.id == reopened.id)).state == "submitted"
    # The dashboard counts the applications by their true state now that the call is in review.
    dashboard = await client.get("/manage")
    row = dashboard.text.split('id="dashboard-call-ami-test"')[1].split("</tr>")[0]
    cells = dict(re.findall(r'<td class="count-([a-z-]+)">(\d+)</td>', row))
    assert cells == {"drafts": "1", "submitted": "3", "in-review": "3", "decided": "0", "funded": "0"}
    assert "en évaluation" in row and "3 candidatures sans évaluateur" in row
    listing = await client.get("/manage/calls?lang=en")
    assert "under review" in listing.text and "en évaluation" not in listing.text


async def test_publish_and_archive_ask_first_in_english(client, make_world) -> None:
    world = await make_world(status="draft", applications=0)
    await login(client, world.manager.email)
    asked = await post_form(client, "/manage/calls/ami-test?lang=en", "/manage/calls/ami-test/move",
                            {"to": "published"})
    assert "Publish the call?" in asked.text and "its page becomes public" in asked.text
    assert "Submissions close:" in asked.text and ">Publish the call</button>" in asked.text
    assert (await Call.objects().get(Call.id == world.call.id)).status == "draft"
    await post_form(client, "/manage/calls/ami-test", "/manage/calls/ami-test/move",
                    {"to": "published", "confirm": "1"})
    assert (await Call.objects().get(Call.id == world.call.id)).status == "published"
    assert await AuditEntry.exists().where(AuditEntry.action == "call.publish")


async def _reviewed(world, *, conflict_on: int | None = None) -> None:
    """Every live assignment of the first application reviewed; the second one with one review missing."""
    from registry.reviews.assigning import assign_call_automatically
    from registry.reviews.reviewing import declare, save_review

    created = await assign_call_automatically("ami-test", actor=world.manager_actor)
    seen: set[int] = set()
    for assignment in created:
        index = next(i for i, r in enumerate(world.reviewers) if r.id == assignment.reviewer)
        actor = world.reviewer_actor(index)
        if assignment.application == conflict_on and assignment.application not in seen:
            seen.add(assignment.application)
            await declare(assignment.id, actor=actor, conflict=True, kind="financial", note="Actionnaire",
                          attest_confidentiality=True)
            continue
        await declare(assignment.id, actor=actor, conflict=False, attest_confidentiality=True)
        if assignment.application == world.applications[1].id and assignment.application not in seen:
            seen.add(assignment.application)  # left without its review
            continue
        grade = 4 if assignment.application == world.applications[0].id else 3
        await save_review(assignment.id, actor=actor, scores={"Qualité scientifique": grade, "Impact": grade,
                                                                "Ouverture": 4},
                          comment_applicant="Pour vous.", comment_committee="", confidence=3, submit=True)


async def test_ranking_running_total_missing_reviews_and_conflicts(client, make_world) -> None:
    world = await make_world(applications=3, reviewers=4, budget=90_000)
    # A declared conflict (financial) on one reviewer of the third application.
    await _reviewed(world, conflict_on=world.applications[2].id)
    await login(client, world.manager.email)
    page = await client.get("/manage/reviews/calls/ami-test/ranking")
    rows = page.text.split('<table id="ranking">')[1].split("</table>")[0]
    order = re.findall(r'<th scope="row">n° (\d+) — ', rows)
    assert order[0] == str(world.applications[0].id)
    totals = re.findall(r'<td class="cumulative">([^<]*)', rows)
    assert [t.replace("\u202f", " ").replace("\xa0", " ").strip() for t in totals] == [
        "50 000 €", "100 000 €", "150 000 €"]
    # The budget line sits just before the second application, where 90 000 € is exceeded.
    before, after = rows.split('id="budget-line"')
    assert re.findall(r'<th scope="row">n° (\d+) — ', before) == order[:1]
    assert "Budget dépassé à partir d’ici" in after
    second = rows.split(f"n° {world.applications[1].id} — ")[1].split("</tr>")[0]
    assert "1 / 2" in second and "1 évaluation manquante" in second
    first = rows.split(f"n° {world.applications[0].id} — ")[1].split("</tr>")[0]
    assert "évaluation manquante" not in first
    third_row = rows.split(f"n° {world.applications[2].id} — ")[1].split("</tr>")[0]
    assert "Conflit d’intérêts : intérêt financier" in third_row and "financial" not in third_row
    assert "1 candidature n’a pas toutes ses évaluations : son rang peut encore changer." in page.text
    english = await client.get("/manage/reviews/calls/ami-test/ranking?lang=en")
    assert "Conflict of interest: financial interest" in english.text and "Cumulative requested" in english.text
    assert "1 review missing" in english.text and "€100,000" in english.text


async def test_release_asks_with_counts_then_sends(client, make_world, settings) -> None:
    world = await make_world(applications=2, reviewers=2)
    for application, outcome, amount, reason in ((world.applications[0], "funded", 40_000, ""),
                                                 (world.applications[1], "rejected", None, "Impact insuffisant.")):
        await Decision(application=application.id, call=world.call.id, outcome=outcome, amount=amount,
                       reason=reason, prepared_by=world.manager.id).save()
    await login(client, world.manager.email)
    decisions = await client.get("/manage/reviews/calls/ami-test/decisions")
    assert "Publier toutes les décisions" in decisions.text
    assert "Décisions préparées : 2 sur 2 (1 financée, 1 refusée)." in decisions.text
    letters = await client.get("/manage/reviews/calls/ami-test/letters?lang=en")
    assert "2 letters (1 funded, 1 rejected) — 5 emails will be sent when the decisions are published." in letters.text
    # Each letter is previewed in its recipient's language (French here), whatever the manager reads.
    assert "Décision : votre candidature est retenue — Titre public 0" in letters.text
    asked = await post_form(client, "/manage/reviews/calls/ami-test/decisions?lang=fr",
                            "/manage/reviews/calls/ami-test/release", {})
    assert asked.status_code == 200
    # Owner and co-applicant each get a letter: 2 decisions, 4 mails.
    assert "2 décisions seront publiées et 5 courriels seront envoyés (1 financée, 1 refusée)." in asked.text
    assert "1 co-porteur sans compte sera invité par courriel à rejoindre l’équipe du projet." in asked.text
    assert "1 projet financé sera créé dans le registre public." in asked.text
    assert "Montant total accordé : 40" in asked.text
    assert await OutboxMessage.count() == 0
    assert await Decision.count().where(Decision.state == "prepared") == 2
    assert (await Call.objects().get(Call.id == world.call.id)).status == "in_review"
    english = await post_form(client, "/manage/reviews/calls/ami-test/decisions?lang=en",
                              "/manage/reviews/calls/ami-test/release", {})
    assert "2 decisions will be published and 5 emails will be sent (1 funded, 1 rejected)." in english.text
    done = await post_form(client, "/manage/reviews/calls/ami-test/decisions?lang=fr",
                           "/manage/reviews/calls/ami-test/release", {"confirm": "1"})
    assert "Les décisions sont publiées" in done.text
    assert await OutboxMessage.count() == 5  # 4 letters and the co-applicant's team invitation
    assert sorted(r["template"] for r in await OutboxMessage.select(OutboxMessage.template)) == [
        "decision_funded", "decision_funded", "decision_rejected", "decision_rejected", "team_invitation"]
    assert await AuditEntry.count().where(AuditEntry.action == "decision.released") == 2
    assert (await Call.objects().get(Call.id == world.call.id)).status == "decided"
    dashboard = await client.get("/manage")
    row = dashboard.text.split('id="dashboard-call-ami-test"')[1].split("</tr>")[0]
    assert dict(re.findall(r'<td class="count-([a-z-]+)">(\d+)</td>', row)) == {
        "drafts": "0", "submitted": "2", "in-review": "0", "decided": "2", "funded": "1"}
    outbox = await client.get("/manage/outbox?lang=en")
    assert "decision: funded" in outbox.text and "decision_funded" not in outbox.text
