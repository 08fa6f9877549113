"""Demo FAQ: two entries on each open demo call, one open enquiry by the demo applicant, and a
correction request thread (request, reply, resubmission) on one of the demo applicant's submitted
applications (written directly, without mails; idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.accounts.tables import User
from registry.calls.state import call_state
from registry.calls.tables import Call
from registry.enquiries.tables import CorrectionMessage, CorrectionRequest, Enquiry, FaqEntry

APPLICANT = "candidate@demo.ami.fr"
MANAGER = "gestionnaire@demo.ami.fr"

ENTRIES = [
    ("Un établissement de santé privé peut-il candidater ?",
     "Oui : tout établissement de santé, public ou privé, ainsi que les laboratoires et associations, peut "
     "déposer une candidature, seul ou avec des partenaires."),
    ("Le code doit-il être publié avant la décision ?",
     "Non. Le code financé est publié sous l’une des licences autorisées au plus tard à la fin du projet ; "
     "un dépôt public dès le début est recommandé."),
]
ENQUIRY = "Peut-on inclure des frais de calcul sur un hébergeur certifié HDS dans le budget ?"


async def load_demo_enquiries() -> None:
    manager = await User.select(User.id).where(User.email == MANAGER).first()
    applicant = await User.select(User.id).where(User.email == APPLICANT).first()
    now = datetime.now(UTC)
    calls = [c for c in await Call.objects().where(Call.status != "draft").order_by(Call.id)
             if call_state(c, now) == "open"]
    for call in calls:
        if await FaqEntry.exists().where(FaqEntry.call == call.id):
            continue
        for position, (question, answer) in enumerate(ENTRIES):
            await FaqEntry(call=call.id, question=question, answer=answer,
                           published_by=manager["id"] if manager else None,
                           published_at=now - timedelta(days=3 - position)).save()
        if applicant:
            await Enquiry(call=call.id, author=applicant["id"], question=ENQUIRY, state="open",
                          created_at=now - timedelta(hours=5)).save()
    await _demo_correction(manager, applicant, now)


CORRECTION = ("Le budget détaillé ne distingue pas les frais d’hébergement HDS des frais de personnel : "
              "merci de joindre un budget ventilé et de préciser la durée de l’hébergement.")
CORRECTION_REPLY = "C’est fait : le budget ventilé est joint, l’hébergement HDS est prévu sur 18 mois."


async def _demo_correction(manager, applicant, now: datetime) -> None:
    """A closed (resubmitted) thread: the application keeps its state, its latest version is the answer."""
    from registry.applications.tables import Application, ApplicationVersion

    if not applicant or await CorrectionRequest.exists():
        return
    application = await Application.objects().where(
        (Application.owner == applicant["id"]) & Application.state.is_in(["submitted", "under_review"])).order_by(
        Application.id).first()
    if application is None:
        return
    version = await ApplicationVersion.select(ApplicationVersion.number).where(
        ApplicationVersion.application == application.id).order_by(ApplicationVersion.number, ascending=False).first()
    asked = now - timedelta(days=6)
    correction = CorrectionRequest(application=application.id, requested_by=manager["id"] if manager else None,
                                   message=CORRECTION, due_on=(asked + timedelta(days=10)).date(),
                                   visible_to_reviewers=True, return_state=application.state, state="resubmitted",
                                   created_at=asked, closed_at=now - timedelta(days=2))
    await correction.save()
    await CorrectionMessage(correction=correction.id, author=applicant["id"], kind="reply", message=CORRECTION_REPLY,
                            created_at=now - timedelta(days=2, hours=1)).save()
    await CorrectionMessage(correction=correction.id, author=applicant["id"], kind="resubmitted",
                            version=version["number"] if version else None, created_at=now - timedelta(days=2)).save()
