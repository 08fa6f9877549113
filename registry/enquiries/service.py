"""Enquiries and FAQ transitions: one function each, their effects in one transaction.

Enquiry states: open → answered (when a FAQ entry that answers it is published).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor, is_staff
from registry.accounts.tables import User
from registry.audit.log import record_event
from registry.calls.service import call_by_slug
from registry.calls.tables import Call
from registry.db import write_transaction
from registry.enquiries.tables import Enquiry, FaqEntry
from registry.errors import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from registry.outbox.service import queue_mail

MAX_QUESTION = 2_000
MAX_ANSWER = 20_000


def _text(value: Any, field: str, limit: int, errors: list[FieldError]) -> str:
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(field, N_("Ce champ est un texte.")))
        return ""
    clean = (value or "").strip()
    if not clean:
        errors.append(FieldError(field, N_("Ce champ est obligatoire.")))
    elif len(clean) > limit:
        errors.append(FieldError(field, N_("Texte trop long.")))
    return clean


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors[0].message, errors)


async def public_call(slug: str) -> Call:
    call = await call_by_slug(slug)
    if call.status == "draft":
        raise NotFound(N_("Appel introuvable."))
    return call


async def ask(slug: str, *, actor: Actor, question: Any) -> Enquiry:
    """An applicant asks a private question about a published call.

    Effects, in one transaction: 1. the enquiry row, state `open`; 2. an audit entry `enquiry.asked`."""
    errors: list[FieldError] = []
    clean = _text(question, "question", MAX_QUESTION, errors)
    _raise(errors)
    call = await public_call(slug)
    from registry.calls.state import call_state

    if call_state(call, datetime.now(UTC)) not in ("open", "upcoming"):
        raise Conflict(N_("Cet appel est clos : il n’accepte plus de questions."))
    async with write_transaction(engine_finder()):
        enquiry = Enquiry(call=call.id, author=actor.id, question=clean, state="open",
                          created_at=datetime.now(UTC))
        await enquiry.save()
        await record_event("enquiry.asked", actor_id=actor.id, actor=actor.email, object_type="enquiry",
                           object_id=enquiry.id, data={"call": call.slug})
    return enquiry


async def enquiries_of(call_id: int, *, actor: Actor) -> list[dict[str, Any]]:
    """The call's enquiries: all of them for managers, the actor's own otherwise."""
    query = Enquiry.select(Enquiry.all_columns(), Enquiry.author.name.as_alias("author_name"),
                           Enquiry.author.email.as_alias("author_email")).where(Enquiry.call == call_id)
    if not is_staff(actor):
        query = query.where(Enquiry.author == actor.id)
    return await query.order_by(Enquiry.created_at)


async def faq_of(call_id: int) -> list[dict[str, Any]]:
    """The call's published (not withdrawn) FAQ entries, oldest first."""
    return await FaqEntry.select().where(FaqEntry.call == call_id, FaqEntry.withdrawn_at.is_null()).order_by(
        FaqEntry.published_at).order_by(FaqEntry.id)


async def _draft_owners(call_id: int, *, include_submitted: bool) -> list[dict[str, Any]]:
    from registry.applications.tables import Application

    states = ["draft", "submitted", "under_review"] if include_submitted else ["draft"]
    owner_ids = [r["owner"] for r in await Application.select(Application.owner).where(
        Application.call == call_id, Application.state.is_in(states))]
    if not owner_ids:
        return []
    return await User.select(User.id, User.email, User.name, User.locale).where(
        User.id.is_in(list(dict.fromkeys(owner_ids))), User.is_active.eq(True))


async def publish_faq(slug: str, *, actor: Actor, question: Any, answer: Any, enquiry_ids: list[int] | None = None,
                      notify_submitted: bool = False, base_url: str = "") -> FaqEntry:
    """A manager publishes a FAQ entry on a call's page, possibly answering enquiries.

    Effects, in order, in one transaction:
    1. the FAQ entry row;
    2. the enquiries it answers move to `answered`, linked to it;
    3. an audit entry `faq.published`;
    4. a mail `faq_published` to each person with a draft on the call (and who submitted, when
       `notify_submitted`) and to each asker, once per person, in their language, in the outbox."""
    if not is_staff(actor):
        raise Forbidden(N_("Réservé à l'équipe du programme."))
    errors: list[FieldError] = []
    clean_q = _text(question, "question", MAX_QUESTION, errors)
    clean_a = _text(answer, "answer", MAX_ANSWER, errors)
    _raise(errors)
    call = await public_call(slug)
    ids = list(dict.fromkeys(int(i) for i in enquiry_ids or []))
    if any(not 1 <= i <= 2**31 - 1 for i in ids):
        raise InvalidInput(N_("Question introuvable."), [FieldError("enquiries", N_("Question introuvable."))])
    if ids:
        found = await Enquiry.select(Enquiry.id).where(Enquiry.id.is_in(ids), Enquiry.call == call.id)
        if len(found) != len(set(ids)):
            raise InvalidInput(N_("Question introuvable."), [FieldError("enquiries", N_("Question introuvable."))])
    now = datetime.now(UTC)
    async with write_transaction(engine_finder()):
        entry = FaqEntry(call=call.id, question=clean_q, answer=clean_a, published_by=actor.id, published_at=now)
        await entry.save()
        askers: list[dict[str, Any]] = []
        if ids:
            await Enquiry.update({Enquiry.state: "answered", Enquiry.faq_entry: entry.id,
                                  Enquiry.answered_at: now}).where(Enquiry.id.is_in(ids))
            author_ids = [r["author"] for r in await Enquiry.select(Enquiry.author).where(Enquiry.id.is_in(ids))]
            askers = await User.select(User.id, User.email, User.name, User.locale).where(
                User.id.is_in(list(dict.fromkeys(author_ids))))
        recipients: dict[int, dict[str, Any]] = {}
        for person in [*askers, *await _draft_owners(call.id, include_submitted=notify_submitted)]:
            recipients.setdefault(person["id"], person)
        for person in recipients.values():
            await queue_mail(to=person["email"], template="faq_published", language=person["locale"] or "fr",
                             object_type="faq_entry", object_id=entry.id, context={
                                 "name": person["name"], "call_title": call.title_fr, "question": clean_q,
                                 "link": f"{base_url}/calls/{call.slug}#faq"})
        await record_event("faq.published", actor_id=actor.id, actor=actor.email, object_type="faq_entry",
                           object_id=entry.id, data={"call": call.slug, "enquiries": ids,
                                                     "recipients": len(recipients)})
    return entry


async def entry_by_id(entry_id: int) -> FaqEntry:
    entry = await FaqEntry.objects().where(FaqEntry.id == entry_id).first()
    if entry is None:
        raise NotFound(N_("Entrée de FAQ introuvable."))
    return entry


async def edit_faq(entry_id: int, *, actor: Actor, question: Any, answer: Any) -> FaqEntry:
    """A manager edits a FAQ entry. Effects, in one transaction: 1. the entry, `updated_at` set
    (the call page shows « modifié le … »); 2. an audit entry `faq.edited` with the former text."""
    if not is_staff(actor):
        raise Forbidden(N_("Réservé à l'équipe du programme."))
    errors: list[FieldError] = []
    clean_q = _text(question, "question", MAX_QUESTION, errors)
    clean_a = _text(answer, "answer", MAX_ANSWER, errors)
    _raise(errors)
    entry = await entry_by_id(entry_id)
    if entry.withdrawn_at is not None:
        raise Conflict(N_("Cette entrée a été retirée."))
    before = {"question": entry.question, "answer": entry.answer}
    async with write_transaction(engine_finder()):
        entry.question, entry.answer, entry.updated_at = clean_q, clean_a, datetime.now(UTC)
        await entry.save()
        await record_event("faq.edited", actor_id=actor.id, actor=actor.email, object_type="faq_entry",
                           object_id=entry.id, data={"before": before})
    return entry


async def withdraw_faq(entry_id: int, *, actor: Actor) -> FaqEntry:
    """A manager withdraws a FAQ entry. Effects, in one transaction: 1. `withdrawn_at` set (hidden from
    the call page, kept); 2. an audit entry `faq.withdrawn`."""
    if not is_staff(actor):
        raise Forbidden(N_("Réservé à l'équipe du programme."))
    entry = await entry_by_id(entry_id)
    if entry.withdrawn_at is not None:
        raise Conflict(N_("Cette entrée a été retirée."))
    async with write_transaction(engine_finder()):
        entry.withdrawn_at = datetime.now(UTC)
        await entry.save()
        await record_event("faq.withdrawn", actor_id=actor.id, actor=actor.email, object_type="faq_entry",
                           object_id=entry.id, data={"question": entry.question})
    return entry
