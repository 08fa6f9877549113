"""Requests for changes after submission: the round trip (request → edits → resubmission after the
call's close, a new receipt, the old one kept, the thread, mails through a real SMTP server), the due
date (edits refused, expiry back to the last submitted version), reviewers' visibility, permissions,
and the pages in both languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.applications.helpers import actor, draft, open_call
from tests.conftest import csrf_from, http_client, login
from tests.enquiries.test_faq import inbox  # noqa: F401 - the real SMTP server fixture

pytestmark = pytest.mark.asyncio


async def _submitted(make_user, *, slug: str = "ami-corr"):
    """A submitted application on a call that has closed since (corrections reopen it anyway)."""
    from registry.applications.submission import submit_application
    from registry.calls.tables import Call

    manager = await make_user("manager", email="gestion@hdh.fr", name="Luc Gestionnaire")
    owner = await make_user("applicant", email="porteur@chu.fr", name="Camille Porteuse")
    await open_call(manager, slug=slug)
    application = await draft(owner, slug)
    await submit_application(application.id, actor=await actor(owner))
    await Call.update({Call.closes_at: datetime.now(UTC) - timedelta(hours=1)}).where(Call.slug == slug)
    return manager, owner, application


def _due(days: int = 7) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def test_round_trip_request_edit_resubmit(settings, app_factory, api_token, make_user, inbox):  # noqa: F811
    from registry.applications.tables import Application, ApplicationVersion

    url, box = inbox
    manager, owner, application = await _submitted(make_user)
    first = await ApplicationVersion.objects().where(ApplicationVersion.application == application.id).first()
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    staff, applicant = await api_token(manager), await api_token(owner)
    async with http_client(app) as api:
        # Editing a submitted application is refused before any request.
        refused = await api.patch(f"/api/v1/applications/{application.id}", headers=applicant,
                                  json={"title": "Trop tôt"})
        assert refused.status_code == 409 and "detail" in refused.json()
        created = await api.post(f"/api/v1/applications/{application.id}/corrections", headers=staff,
                                 json={"message": "Joignez le budget ventilé.", "due_on": _due(),
                                       "visible_to_reviewers": False})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["state"] == "open" and body["due_on"] == _due() and body["message"] == "Joignez le budget ventilé."
        assert (await Application.objects().get(Application.id == application.id)).state == "correction_requested"
        await box.settle(1)
        assert any("Correction demandée" in s for s in box.to("porteur@chu.fr"))

        # The applicant edits (after the call's close) and replies in the thread.
        edited = await api.patch(f"/api/v1/applications/{application.id}", headers=applicant,
                                 json={"title": "Pseudonymisation, budget ventilé"})
        assert edited.status_code == 200 and edited.json()["title"] == "Pseudonymisation, budget ventilé"
        reply = await api.post(f"/api/v1/corrections/{body['id']}/replies", headers=applicant,
                               json={"message": "Budget joint."})
        assert reply.status_code == 201 and reply.json()["kind"] == "reply"
        await box.settle(2)
        assert any("Nouveau message" in s for s in box.to("gestion@hdh.fr"))

    # Resubmission through the recap page: a new receipt, the first kept.
    async with http_client(app) as browser:
        await login(browser, "porteur@chu.fr")
        recap = await browser.get(f"/applications/{application.id}/recap")
        assert recap.status_code == 200 and 'id="recap-form"' in recap.text and "correction-banner" in recap.text
        done = await browser.post(f"/applications/{application.id}/submit",
                                  data={"attestation": "on", "_csrf_token": csrf_from(recap.text)})
        assert done.status_code == 200 and f"/applications/{application.id}/receipt" in str(done.url)
    versions = await ApplicationVersion.objects().where(
        ApplicationVersion.application == application.id).order_by(ApplicationVersion.number)
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].sha256 == first.sha256 and versions[1].sha256 != first.sha256
    assert '"title":"Pseudonymisation, budget ventilé"' in versions[1].content
    assert (await Application.objects().get(Application.id == application.id)).state == "submitted"
    await box.settle(4)
    assert any("soumise de nouveau" in s for s in box.to("gestion@hdh.fr"))
    async with http_client(app) as api:
        thread = (await api.get(f"/api/v1/applications/{application.id}/corrections", headers=applicant)).json()
        assert [c["state"] for c in thread] == ["resubmitted"]
        assert [(i["kind"], i["message"], i["version"]) for i in thread[0]["items"]] == [
            ("reply", "Budget joint.", None), ("resubmitted", "", 2)]
        closed = await api.post(f"/api/v1/corrections/{body['id']}/replies", headers=applicant,
                                json={"message": "Encore ?"})
        assert closed.status_code == 409 and "detail" in closed.json()


async def test_past_due_edits_refused_and_expiry_restores(make_user):
    from registry.applications.service import update_application
    from registry.applications.submission import submit_application
    from registry.applications.tables import Application
    from registry.enquiries.corrections import deadline_of, expire_corrections, request_correction, thread_of
    from registry.errors import Conflict
    from tests.applications.helpers import POLICY, complete_input

    manager, owner, application = await _submitted(make_user)
    staff = await actor(manager)
    correction = await request_correction(application.id, actor=staff, message="Précisez la durée.",
                                          due_on=date.today().isoformat())
    deadline = deadline_of(correction.due_on)
    applicant = await actor(owner)
    await update_application(application.id, complete_input(title="Modifiée en cours"), actor=applicant,
                             policy=POLICY, now=deadline - timedelta(seconds=1))
    with pytest.raises(Conflict):
        await update_application(application.id, complete_input(title="Trop tard"), actor=applicant,
                                 policy=POLICY, now=deadline + timedelta(seconds=1))
    with pytest.raises(Conflict):
        await submit_application(application.id, actor=applicant, now=deadline + timedelta(seconds=1))
    assert await expire_corrections(now=deadline - timedelta(seconds=1)) == 0
    assert await expire_corrections(now=deadline + timedelta(seconds=1)) == 1
    restored = await Application.objects().get(Application.id == application.id)
    assert restored.state == "submitted" and restored.title == "Pseudonymisation de comptes rendus"
    [thread] = await thread_of(application.id, actor=applicant)
    assert thread["state"] == "expired" and [i["kind"] for i in thread["items"]] == ["expired"]


async def test_under_review_returns_to_under_review_on_resubmission(make_user):
    from registry.applications.submission import submit_application
    from registry.applications.tables import Application
    from registry.audit.tables import AuditEntry
    from registry.enquiries.corrections import request_correction

    manager, owner, application = await _submitted(make_user)
    await Application.update({Application.state: "under_review"}).where(Application.id == application.id)
    await request_correction(application.id, actor=await actor(manager), message="Un détail.", due_on=_due(2))
    receipt = await submit_application(application.id, actor=await actor(owner))
    assert receipt.version == 2
    assert (await Application.objects().get(Application.id == application.id)).state == "under_review"
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.object_id == str(application.id)).order_by(AuditEntry.id)]
    assert actions[-4:] == ["application.request_correction", "correction.requested", "application.submit",
                            "correction.resubmitted"]


async def test_permissions_validation_and_reviewer_visibility(client, api_token, make_user):
    from registry.calls.tables import Call
    from registry.enquiries.tables import CorrectionRequest
    from registry.reviews.tables import Assignment

    manager, owner, application = await _submitted(make_user)
    other = await make_user("applicant", email="autre@chu.fr")
    reviewer = await make_user("reviewer", email="eval@chu.fr")
    call = await Call.objects().get(Call.slug == "ami-corr")
    await Assignment(application=application.id, call=call.id, reviewer=reviewer.id, state="no_conflict").save()
    staff, mine, theirs, rev = (await api_token(manager), await api_token(owner), await api_token(other),
                                await api_token(reviewer))
    path = f"/api/v1/applications/{application.id}/corrections"
    bad = await client.post(path, headers=staff, json={"message": " ", "due_on": "demain"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"message", "due_on"}
    past = await client.post(path, headers=staff, json={"message": "x", "due_on": "2000-01-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "due_on"
    by_applicant = await client.post(path, headers=mine, json={"message": "x", "due_on": _due()})
    assert by_applicant.status_code == 403 and "detail" in by_applicant.json()
    created = await client.post(path, headers=staff, json={"message": "Pièce manquante.", "due_on": _due()})
    assert created.status_code == 201
    again = await client.post(path, headers=staff, json={"message": "Encore", "due_on": _due()})
    assert again.status_code == 409 and "detail" in again.json()
    hidden = await client.get(path, headers=theirs)
    assert hidden.status_code == 404 and "detail" in hidden.json()
    stranger_reply = await client.post(f"/api/v1/corrections/{created.json()['id']}/replies", headers=theirs,
                                       json={"message": "Je m’invite."})
    assert stranger_reply.status_code == 404
    empty_reply = await client.post(f"/api/v1/corrections/{created.json()['id']}/replies", headers=mine,
                                    json={"message": ""})
    assert empty_reply.status_code == 422 and empty_reply.json()["errors"][0]["field"] == "message"
    assert (await client.get(path, headers=rev)).json() == []
    await CorrectionRequest.update({CorrectionRequest.visible_to_reviewers: True}).where(
        CorrectionRequest.id == created.json()["id"])
    seen = (await client.get(path, headers=rev)).json()
    assert [c["message"] for c in seen] == ["Pièce manquante."]
    assert [c["message"] for c in (await client.get(path, headers=mine)).json()] == ["Pièce manquante."]
    assignment = await Assignment.objects().get(Assignment.reviewer == reviewer.id)
    await login(client, "eval@chu.fr")
    page = await client.get(f"/reviews/assignments/{assignment.id}")
    assert page.status_code == 200 and "Pièce manquante." in page.text and 'class="correction-reply"' not in page.text


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_pages_request_confirm_banner_reply(settings, app_factory, make_user, lang):
    manager, owner, application = await _submitted(make_user)
    app = app_factory(settings)
    page = f"/applications/{application.id}?lang={lang}"
    action = f"/manage/applications/{application.id}/corrections"
    async with http_client(app) as staff:
        await login(staff, "gestion@hdh.fr")
        shown = await staff.get(page)
        assert 'id="correction-request-form"' in shown.text
        token = csrf_from(shown.text)
        invalid = await staff.post(action, data={"message": "", "due_on": "", "_csrf_token": token})
        assert invalid.status_code == 422
        assert 'href="#field-correction-request-message"' in invalid.text and 'aria-invalid="true"' in invalid.text
        confirm = await staff.post(action, data={"message": "Budget ventilé, s’il vous plaît.", "due_on": _due(),
                                                 "visible_to_reviewers": "1", "_csrf_token": token})
        assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
        assert "Budget ventilé, s’il vous plaît." in confirm.text
        done = await staff.post(action, data={"message": "Budget ventilé, s’il vous plaît.", "due_on": _due(),
                                              "visible_to_reviewers": "1", "confirm": "1", "_csrf_token": token})
        assert done.status_code == 200 and 'id="correction-request-form"' not in done.text
    async with http_client(app) as applicant:
        await login(applicant, "porteur@chu.fr")
        mine = await applicant.get(page)
        expected = "Correction requested by" if lang == "en" else "Correction demandée avant le"
        assert 'id="correction-banner"' in mine.text and expected in mine.text
        assert "Budget ventilé, s’il vous plaît." in mine.text
        if lang == "en":
            assert "Demandes de correction" not in mine.text and "Correction requests" in mine.text
        edit = await applicant.get(f"/applications/{application.id}/edit?lang={lang}")
        assert 'id="correction-banner"' in edit.text and 'id="submit-application"' in edit.text
        reply_url = re.search(r'<form method="post" action="(/corrections/\d+/replies)"', mine.text).group(1)
        empty = await applicant.post(reply_url, data={"message": " ", "_csrf_token": csrf_from(mine.text)})
        assert empty.status_code == 422 and 'href="#field-correction-reply-message"' in empty.text
        sent = await applicant.post(reply_url, data={"message": "Le budget est joint.",
                                                     "_csrf_token": csrf_from(mine.text)})
        assert sent.status_code == 200 and "Le budget est joint." in sent.text


async def test_demo_has_a_correction_thread(full_demo, client):
    from registry.enquiries.tables import CorrectionMessage, CorrectionRequest

    [correction] = await CorrectionRequest.objects()
    assert correction.state == "resubmitted" and correction.visible_to_reviewers
    kinds = [m["kind"] for m in await CorrectionMessage.select(CorrectionMessage.kind).where(
        CorrectionMessage.correction == correction.id).order_by(CorrectionMessage.id)]
    assert kinds == ["reply", "resubmitted"]
