from datetime import UTC, datetime, timedelta

from registry.applications.reminders import send_deadline_reminders
from registry.applications.submission import submit_application
from registry.applications.tables import ReminderSent
from registry.outbox.tables import OutboxMessage
from tests.applications.helpers import actor, draft, open_call

CLOSES = datetime(2027, 3, 15, 11, 0, tzinfo=UTC)  # 12:00 in Paris


async def queued() -> list[tuple[str, str]]:
    rows = await OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.template).order_by(OutboxMessage.id)
    return [(row["recipient"], row["template"]) for row in rows]


async def test_reminders_once_each_and_never_after_submission(db, make_user, app):
    manager = await make_user("manager")
    late = await make_user("applicant", email="late@example.org")
    early = await make_user("applicant", email="early@example.org")
    await open_call(manager, opens_at=CLOSES - timedelta(days=40), closes_at=CLOSES)
    await draft(late, now=CLOSES - timedelta(days=20), complete=False)
    done = await draft(early, now=CLOSES - timedelta(days=20))
    mailer = app.state.mailer
    assert await send_deadline_reminders(now=CLOSES - timedelta(days=8), mailer=mailer) == 0
    assert await send_deadline_reminders(now=CLOSES - timedelta(days=7), mailer=mailer) == 2
    assert await send_deadline_reminders(now=CLOSES - timedelta(days=6), mailer=mailer) == 0
    await submit_application(done.id, actor=await actor(early), now=CLOSES - timedelta(days=5))
    assert await send_deadline_reminders(now=CLOSES - timedelta(days=2), mailer=mailer) == 1
    assert await send_deadline_reminders(now=CLOSES - timedelta(days=1), mailer=mailer) == 0
    # 07:59 Paris on the day is not yet morning; 08:00 is.
    assert await send_deadline_reminders(now=datetime(2027, 3, 15, 6, 59, tzinfo=UTC), mailer=mailer) == 0
    assert await send_deadline_reminders(now=datetime(2027, 3, 15, 7, 0, tzinfo=UTC), mailer=mailer) == 1
    assert await send_deadline_reminders(now=datetime(2027, 3, 15, 10, 0, tzinfo=UTC), mailer=mailer) == 0
    assert await send_deadline_reminders(now=CLOSES, mailer=mailer) == 0
    assert await queued() == [("late@example.org", "reminder_7d"), ("early@example.org", "reminder_7d"),
                           ("late@example.org", "reminder_2d"), ("late@example.org", "reminder_morning")]
    assert await ReminderSent.count() == 4


async def test_reminder_job_that_was_down_sends_only_the_latest_due(db, make_user, settings, app_factory):

    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager, opens_at=CLOSES - timedelta(days=40), closes_at=CLOSES)
    await draft(owner, now=CLOSES - timedelta(days=20))
    mailer = app_factory(settings).state.mailer
    assert await send_deadline_reminders(now=CLOSES - timedelta(days=1), mailer=mailer) == 1
    [entry] = await OutboxMessage.objects().where(OutboxMessage.recipient == "owner@example.org")
    assert (entry.subject, entry.state, entry.attempts) == (
        "Rappel : il reste 2 jours pour soumettre votre candidature", "sent", 1)
    assert "est encore un brouillon" in entry.body and "/edit" in entry.body
    [eml] = (settings.var_dir / "outbox").glob("*.eml")
    assert "Subject: Rappel : il reste 2 jours" in eml.read_text()
