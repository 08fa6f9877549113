from datetime import UTC, datetime, timedelta

import pytest

from registry.applications.state import STATES, TRANSITIONS, action_for, can_transition
from registry.applications.submission import submit_application
from registry.calls.paris import parse_call_time
from registry.errors import Conflict, InvalidInput
from tests.applications.helpers import actor, draft, open_call

ALLOWED = {("draft", "submitted"), ("draft", "withdrawn"), ("submitted", "draft"), ("submitted", "withdrawn"),
           ("withdrawn", "draft"), ("submitted", "under_review"), ("under_review", "funded"),
           ("under_review", "rejected"), ("submitted", "correction_requested"),
           ("under_review", "correction_requested"), ("correction_requested", "submitted"),
           ("correction_requested", "under_review")}


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("target", STATES)
def test_application_transition_pair(current, target):
    assert can_transition(current, target) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        assert action_for(current, target) == TRANSITIONS[(current, target)]
    else:
        with pytest.raises(Conflict):
            action_for(current, target)


async def _call_closing(make_user, closes_at):
    manager = await make_user("manager")
    owner = await make_user("applicant")
    await open_call(manager, opens_at=closes_at - timedelta(days=30), closes_at=closes_at)
    application = await draft(owner, now=closes_at - timedelta(days=1))
    return owner, application


@pytest.mark.parametrize("naive, utc", [
    # Last Sunday of March 2027: 02:00-03:00 does not exist; 03:30 CEST is 01:30 UTC.
    (datetime(2027, 3, 28, 3, 30), datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    (datetime(2027, 3, 28, 1, 30), datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
    # Last Sunday of October 2027: 02:30 happens twice; the first (CEST) is taken.
    (datetime(2027, 10, 31, 2, 30), datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    (datetime(2027, 10, 31, 3, 30), datetime(2027, 10, 31, 2, 30, tzinfo=UTC)),
])
def test_paris_wall_time_across_dst(naive, utc):
    assert parse_call_time(naive.isoformat(), field="closes_at") == utc


def test_paris_time_in_spring_gap_is_refused():
    with pytest.raises(InvalidInput) as caught:
        parse_call_time("2027-03-28T02:30", field="closes_at")
    assert caught.value.errors[0].field == "closes_at"
    assert "n'existe pas à Paris" in caught.value.errors[0].message


@pytest.mark.parametrize("closes_local", ["2027-03-28T03:30", "2027-10-31T02:30", "2027-06-30T23:59"])
async def test_submit_one_second_before_is_accepted_and_one_after_refused(db, make_user, closes_local):
    closes_at = parse_call_time(closes_local, field="closes_at")
    owner, application = await _call_closing(make_user, closes_at)
    with pytest.raises(Conflict) as caught:
        await submit_application(application.id, actor=await actor(owner), now=closes_at + timedelta(seconds=1))
    assert caught.value.detail.startswith("L'appel est clos : la date limite de dépôt est passée")
    with pytest.raises(Conflict):
        await submit_application(application.id, actor=await actor(owner), now=closes_at)
    receipt = await submit_application(application.id, actor=await actor(owner),
                                       now=closes_at - timedelta(seconds=1))
    assert receipt.submitted_at == closes_at - timedelta(seconds=1)
    assert receipt.version == 1


async def test_api_submit_after_deadline_is_refused_with_clear_detail(client, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant")
    now = datetime.now(UTC)
    await open_call(manager, opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=3))
    application = await draft(owner)
    from registry.calls.tables import Call

    await Call.update({Call.closes_at: now - timedelta(seconds=1)}).where(Call.slug == "ami-test")
    response = await client.post(f"/api/v1/applications/{application.id}/submit", headers=await api_token(owner))
    assert response.status_code == 409
    assert response.json()["detail"].startswith("L'appel est clos : la date limite de dépôt est passée")


async def test_reopen_and_resubmit_keeps_every_version(db, make_user):
    from registry.applications.service import reopen_application, update_application, withdraw_application
    from registry.applications.submission import versions_of
    from tests.applications.helpers import POLICY, complete_input

    manager = await make_user("manager")
    owner = await make_user("applicant")
    await open_call(manager)
    application = await draft(owner)
    who = await actor(owner)
    first = await submit_application(application.id, actor=who)
    await reopen_application(application.id, actor=who)
    await update_application(application.id, complete_input(title="Nouveau titre"), actor=who, policy=POLICY)
    second = await submit_application(application.id, actor=who)
    assert [v["number"] for v in await versions_of(application.id)] == [2, 1]
    assert first.sha256 != second.sha256 and '"title":"Nouveau titre"' in second.content
    withdrawn = await withdraw_application(application.id, actor=who)
    assert withdrawn.state == "withdrawn"


async def test_review_starts_with_a_reopened_application_restored_to_what_was_submitted(db, make_user, tmp_path):
    from registry.applications.attachments import add_attachment, attachments_of, remove_attachment
    from registry.applications.service import (
        invite_co_applicant,
        remove_co_applicant,
        reopen_application,
        update_application,
    )
    from registry.applications.tables import Application, CoApplicant, DetachedAttachment
    from registry.audit.tables import AuditEntry
    from registry.calls.service import move_call
    from tests.applications.helpers import POLICY, complete_input

    manager = await make_user("manager")
    owner = await make_user("applicant")
    closes = datetime.now(UTC) + timedelta(days=1)
    await open_call(manager, closes_at=closes)
    application = await draft(owner)
    who = await actor(owner)
    await invite_co_applicant(application.id, "kept@example.org", actor=who)
    dropped = await invite_co_applicant(application.id, "dropped@example.org", actor=who)

    async def attach(name: str, body: bytes):
        return await add_attachment(application.id, filename=name, content=b"%PDF-1.4\n" + body, actor=who,
                                    var_dir=tmp_path, max_bytes=1_000_000)

    plan = await attach("plan.pdf", b"plan")
    budget = await attach("budget.pdf", b"budget")
    submitted = await submit_application(application.id, actor=who)
    await reopen_application(application.id, actor=who)
    await update_application(application.id, complete_input(title="Brouillon non soumis"), actor=who, policy=POLICY)
    await invite_co_applicant(application.id, "added-later@example.org", actor=who)
    await remove_co_applicant(application.id, dropped.id, actor=who)
    await remove_attachment(application.id, budget.id, actor=who)
    await attach("brouillon.pdf", b"unsubmitted")
    # The deadline passes with the application reopened; the manager starts the review.
    from registry.calls.tables import Call

    await Call.update({Call.closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(Call.slug == "ami-test")
    call = await move_call("ami-test", "in_review", actor=await actor(manager))
    assert call.status == "in_review"
    restored = await Application.objects().get(Application.id == application.id)
    assert (restored.state, restored.title) == ("submitted", "Pseudonymisation de comptes rendus")
    assert sorted(r["email"] for r in await CoApplicant.select(CoApplicant.email).where(
        CoApplicant.application == application.id)) == ["dropped@example.org", "kept@example.org"]
    files = await attachments_of(application.id)
    assert sorted(f["filename"] for f in files) == ["budget.pdf", "plan.pdf"]
    assert sorted(f["sha256"] for f in files) == sorted([plan.sha256, budget.sha256])
    assert '"filename":"budget.pdf"' in submitted.content
    # The unsubmitted file is kept aside, not destroyed; the restored one is readable again.
    aside = await DetachedAttachment.select(DetachedAttachment.filename, DetachedAttachment.stored_name)
    assert [row["filename"] for row in aside] == ["brouillon.pdf"]
    assert (tmp_path / "attachments" / aside[0]["stored_name"]).read_bytes() == b"%PDF-1.4\nunsubmitted"
    assert (tmp_path / "attachments" / budget.stored_name).read_bytes() == b"%PDF-1.4\nbudget"
    entries = await AuditEntry.select(AuditEntry.action, AuditEntry.data).order_by(AuditEntry.id)
    assert [r["action"] for r in entries][-2:] == ["call.start_review", "application.submit"]
    assert "restored_version" in str(entries[-1]["data"]) and "missing" not in str(entries[-1]["data"])


async def test_attachments_are_not_removed_after_the_deadline(db, make_user, tmp_path):
    from registry.applications.attachments import add_attachment, remove_attachment
    from registry.applications.tables import Attachment

    manager = await make_user("manager")
    owner = await make_user("applicant")
    closes = datetime.now(UTC) + timedelta(days=1)
    await open_call(manager, closes_at=closes)
    application = await draft(owner)
    who = await actor(owner)
    row = await add_attachment(application.id, filename="plan.pdf", content=b"%PDF-1.4\n%%EOF\n", actor=who,
                               var_dir=tmp_path, max_bytes=1_000_000)
    with pytest.raises(Conflict, match="L'appel est clos"):
        await remove_attachment(application.id, row.id, actor=who, now=closes + timedelta(seconds=1))
    assert await Attachment.count().where(Attachment.application == application.id) == 1
    await remove_attachment(application.id, row.id, actor=who, now=closes - timedelta(seconds=1))
    assert await Attachment.count().where(Attachment.application == application.id) == 0
