"""Creating, editing, publishing and moving calls; every change is validated here and audited."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.audit.log import record_event
from registry.calls.paris import parse_call_time
from registry.calls.questions import questions_changed, questions_of, validate_questions
from registry.calls.state import TRANSITIONS, call_state
from registry.calls.tables import Call, Criterion
from registry.db import write_transaction
from registry.errors import Conflict, FieldError, InvalidInput, NotFound

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VISIBILITIES = ("never", "after_own", "always")


@dataclass
class CriterionInput:
    name: str
    weight: Any
    scale_max: Any = 4
    description: str = ""
    eliminatory_below: Any = None
    description_en: str = ""
    # [{"score", "label", "label_en"?}] or, from the call editor, lines "score — label" (see parse_anchor_lines).
    anchors: Any = None
    anchors_en: Any = None


@dataclass
class CallInput:
    slug: str
    title_fr: str
    opens_at: Any
    closes_at: Any
    description_fr: str = ""
    title_en: str = ""
    description_en: str = ""
    eligibility_fr: str = ""
    eligibility_en: str = ""
    budget_total: Any = 0
    amount_min: Any = 0
    amount_max: Any = 0
    licence_policy: list[str] = field(default_factory=list)
    blind: bool = False
    reviews_per_application: Any = 2
    reviews_visibility: str = "after_own"
    criteria: list[CriterionInput] = field(default_factory=list)
    reviews_due_at: Any = None
    # The call's questions (registry/calls/questions.py); None keeps the current ones.
    questions: Any = None
    # After the first submission a change to the questions needs this: it stores a new version.
    new_version: bool = False


def _whole(value: Any, name: str, errors: list[FieldError], *, minimum: int = 0) -> int:
    text = str(value).strip().replace(" ", "").replace("\u202f", "") if value is not None else ""
    try:
        number = int(text)
    except ValueError:
        errors.append(FieldError(name, "Indiquez un nombre entier."))
        return 0
    if number < minimum:
        errors.append(FieldError(name, f"La valeur doit être au moins {minimum}."))
    return number


def _number_or_none(value: Any, name: str, errors: list[FieldError]) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        errors.append(FieldError(name, "Indiquez un nombre (ou laissez vide)."))
        return None
    if number < 0:
        errors.append(FieldError(name, "Le seuil ne peut pas être négatif."))
    return number


def _clean_policy(ids: list[str], errors: list[FieldError]) -> list[str]:
    from registry.licences import InvalidExpression, normalise_expression

    cleaned: list[str] = []
    for raw in ids:
        if not raw.strip():
            continue
        try:
            cleaned.append(normalise_expression(raw))
        except InvalidExpression:
            errors.append(FieldError("licence_policy", f"Identifiant SPDX inconnu : « {raw} »."))
    return sorted(set(cleaned))


def validate_call(data: CallInput) -> dict[str, Any]:
    """All field errors at once, or the clean values (UTC times, whole euros, criteria rows)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    slug = data.slug.strip().lower()
    if not SLUG.match(slug) or len(slug) > 80:
        errors.append(FieldError("slug", "L'identifiant court ne contient que des minuscules, chiffres et tirets."))
    values["slug"] = slug
    title = data.title_fr.strip()
    if not title:
        errors.append(FieldError("title_fr", "Le titre en français est obligatoire."))
    values.update(title_fr=title, title_en=data.title_en.strip(), description_fr=data.description_fr.strip(),
                  description_en=data.description_en.strip(), eligibility_fr=data.eligibility_fr.strip(),
                  eligibility_en=data.eligibility_en.strip())
    for name in ("budget_total", "amount_min", "amount_max"):
        values[name] = _whole(getattr(data, name), name, errors)
    if not any(e.field in {"amount_min", "amount_max"} for e in errors):
        if values["amount_max"] < values["amount_min"]:
            errors.append(FieldError("amount_max", "Le montant maximum doit être supérieur ou égal au minimum."))
        elif values["budget_total"] and values["amount_max"] > values["budget_total"]:
            errors.append(FieldError("amount_max", "Le montant maximum ne peut pas dépasser le budget total."))
    for name in ("opens_at", "closes_at"):
        try:
            values[name] = parse_call_time(getattr(data, name), field=name)
        except InvalidInput as error:
            errors.extend(error.errors)
    if "opens_at" in values and "closes_at" in values and values["closes_at"] <= values["opens_at"]:
        errors.append(FieldError("closes_at", "La clôture doit être postérieure à l'ouverture."))
    values["licence_policy"] = _clean_policy(list(data.licence_policy), errors)
    values["blind"] = bool(data.blind)
    values["reviews_per_application"] = _whole(data.reviews_per_application, "reviews_per_application",
                                               errors, minimum=1)
    if data.reviews_visibility not in VISIBILITIES:
        errors.append(FieldError("reviews_visibility", "Choix de visibilité des évaluations inconnu."))
    values["reviews_visibility"] = data.reviews_visibility
    values["reviews_due_at"] = None
    if data.reviews_due_at is not None and str(data.reviews_due_at).strip():
        try:
            values["reviews_due_at"] = parse_call_time(data.reviews_due_at, field="reviews_due_at")
        except InvalidInput as error:
            errors.extend(error.errors)
        if values["reviews_due_at"] is not None and "closes_at" in values \
                and values["reviews_due_at"] <= values["closes_at"]:
            errors.append(FieldError("reviews_due_at", "L'échéance des évaluations doit suivre la clôture."))
    values["criteria"] = _validate_criteria(data.criteria, errors)
    if data.questions is not None:
        try:
            values["questions"] = validate_questions(data.questions)
        except InvalidInput as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidInput(errors[0].message if len(errors) == 1 else
                           "Le formulaire contient des erreurs : " + " ".join(e.message for e in errors), errors)
    return values


def _validate_criteria(rows: list[CriterionInput], errors: list[FieldError]) -> list[dict[str, Any]]:
    criteria: list[dict[str, Any]] = []
    names: set[str] = set()
    for index, row in enumerate(rows):
        prefix = f"criteria.{index}"
        name = row.name.strip()
        if not name:
            errors.append(FieldError(f"{prefix}.name", "Chaque critère a un nom."))
        elif name.lower() in names:
            errors.append(FieldError(f"{prefix}.name", f"Le critère « {name} » apparaît deux fois."))
        names.add(name.lower())
        weight = _whole(row.weight, f"{prefix}.weight", errors, minimum=1)
        scale = _whole(row.scale_max, f"{prefix}.scale_max", errors, minimum=1)
        threshold = _number_or_none(row.eliminatory_below, f"{prefix}.eliminatory_below", errors)
        if threshold is not None and threshold > scale:
            errors.append(FieldError(f"{prefix}.eliminatory_below",
                                     f"Le seuil éliminatoire dépasse l'échelle (0 à {scale})."))
        anchors = _validate_anchors(row, scale, f"{prefix}.anchors", errors)
        criteria.append({"position": index, "name": name, "description": row.description.strip(),
                         "description_en": (row.description_en or "").strip(), "anchors": anchors,
                         "weight": weight, "scale_max": scale, "eliminatory_below": threshold})
    if not criteria:
        errors.append(FieldError("criteria", "Ajoutez au moins un critère d'évaluation."))
    else:
        total = sum(c["weight"] for c in criteria)
        if total != 100:
            errors.append(FieldError("criteria", f"Les poids des critères doivent totaliser 100 % "
                                                 f"(total actuel : {total} %)."))
    return criteria


ANCHOR_LINE = re.compile(r"^\s*(\d+)\s*(?:[—–:=-]\s*)?(.*?)\s*$")


def parse_anchor_lines(text: str, field_name: str, errors: list[FieldError]) -> list[dict[str, Any]]:
    """The call editor's anchors: one "score — label" per line (blank lines ignored)."""
    anchors = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = ANCHOR_LINE.match(line)
        if match is None or not match.group(2):
            text = line.strip()
            message = f"Ligne « {text} » : écrivez « note — libellé », par exemple « 3 — satisfaisant »."
            errors.append(FieldError(field_name, message))
            continue
        anchors.append({"score": int(match.group(1)), "label": match.group(2)})
    return anchors


def _validate_anchors(row: CriterionInput, scale: int, field_name: str,
                      errors: list[FieldError]) -> list[dict[str, Any]]:
    """Score anchors: whole scores within 0..scale_max, once each, each with a French label
    (English optional). Accepts API dicts or the editor's text lines (anchors_en merged by score)."""
    raw = row.anchors
    if raw is None or raw == "":
        raw = []
    if isinstance(raw, str):
        raw = parse_anchor_lines(raw, field_name, errors)
        english = {a["score"]: a["label"] for a in parse_anchor_lines(row.anchors_en or "", f"{field_name}_en",
                                                                      errors)}
        for score in english:
            if score not in {a["score"] for a in raw}:
                errors.append(FieldError(f"{field_name}_en", f"Le niveau {score} n'a pas de libellé en français."))
        raw = [{**a, "label_en": english.get(a["score"], "")} for a in raw]
    if not isinstance(raw, list):
        errors.append(FieldError(field_name, "Les repères sont une liste {score, label}."))
        return []
    anchors: list[dict[str, Any]] = []
    seen: set[int] = set()
    for item in raw:
        score = item.get("score") if isinstance(item, dict) else None
        label = str(item.get("label") or "").strip() if isinstance(item, dict) else ""
        label_en = str(item.get("label_en") or "").strip() if isinstance(item, dict) else ""
        if isinstance(score, bool) or not isinstance(score, int):
            errors.append(FieldError(field_name, "Chaque repère a une note entière."))
            continue
        if not 0 <= score <= scale:
            errors.append(FieldError(field_name, f"Le repère {score} sort de l'échelle (0 à {scale})."))
            continue
        if score in seen:
            errors.append(FieldError(field_name, f"Le niveau {score} a deux repères."))
            continue
        if not label:
            errors.append(FieldError(field_name, f"Le repère {score} n'a pas de libellé."))
            continue
        seen.add(score)
        anchors.append({"score": score, "label": label[:200], "label_en": label_en[:200]})
    return sorted(anchors, key=lambda a: a["score"])


async def call_by_slug(slug: str) -> Call:
    call = await Call.objects().where(Call.slug == slug).first()
    if call is None:
        raise NotFound("Appel introuvable.")
    return call


async def criteria_of(call_id: int) -> list[Criterion]:
    return await Criterion.objects().where(Criterion.call == call_id).order_by(Criterion.position)


async def create_call(data: CallInput, *, actor: Actor) -> Call:
    values = validate_call(data)
    criteria = values.pop("criteria")
    async with write_transaction(engine_finder()):
        if await Call.exists().where(Call.slug == values["slug"]):
            raise InvalidInput("Cet identifiant court est déjà pris.",
                               [FieldError("slug", "Cet identifiant court est déjà pris.")])
        call = Call(**{"questions": [], **values}, status="draft", created_by=actor.id)
        await call.save()
        for row in criteria:
            await Criterion(call=call.id, **row).save()
        await record_event("call.created", actor_id=actor.id, actor=actor.email, object_type="call",
                           object_id=call.id, data={"slug": call.slug})
    return call


async def update_call(slug: str, data: CallInput, *, actor: Actor, now: datetime | None = None) -> Call:
    call = await call_by_slug(slug)
    state = call_state(call, now or datetime.now(UTC))
    if state not in {"draft", "upcoming", "open"}:
        raise Conflict("Cet appel ne peut plus être modifié (clos ou en évaluation).")
    values = validate_call(data)
    criteria = values.pop("criteria")
    questions = values.pop("questions", None)
    if state == "open":
        current = [(c.name, c.weight, c.scale_max, c.eliminatory_below) for c in await criteria_of(call.id)]
        wanted = [(c["name"], c["weight"], c["scale_max"], c["eliminatory_below"]) for c in criteria]
        if current != wanted:
            raise InvalidInput("Les critères ne changent plus une fois l'appel ouvert.",
                               [FieldError("criteria", "Les critères ne changent plus une fois l'appel ouvert.")])
    async with write_transaction(engine_finder()):
        if values["slug"] != call.slug and await Call.exists().where(Call.slug == values["slug"]):
            raise InvalidInput("Cet identifiant court est déjà pris.",
                               [FieldError("slug", "Cet identifiant court est déjà pris.")])
        for key, value in values.items():
            setattr(call, key, value)
        if questions is not None:
            await _apply_questions(call, questions, new_version=data.new_version, actor=actor)
        await call.save()
        await Criterion.delete().where(Criterion.call == call.id)
        for row in criteria:
            await Criterion(call=call.id, **row).save()
        await record_event("call.updated", actor_id=actor.id, actor=actor.email, object_type="call",
                           object_id=call.id, data={"slug": call.slug})
    return call


async def call_has_submissions(call_id: int) -> bool:
    from registry.applications.tables import ApplicationVersion

    return bool(await ApplicationVersion.exists().where(ApplicationVersion.application.call == call_id))


async def _apply_questions(call: Call, questions: list[dict[str, Any]], *, new_version: bool,
                           actor: Actor) -> bool:
    """Sets the questions on `call` (not saved); True when they changed. Inside a transaction."""
    current = questions_of(call.questions)
    if not questions_changed(current, questions):
        return False
    version = call.questions_version or 1
    if await call_has_submissions(call.id):
        if not new_version:
            raise Conflict("Les questions sont figées depuis le premier dépôt : enregistrez-les comme "
                           "nouvelle version.", [FieldError("questions", "Les questions sont figées depuis le "
                                                            "premier dépôt : enregistrez-les comme nouvelle version.")])
        history = questions_of(call.question_versions)
        history.append({"version": version, "questions": current, "replaced_at": datetime.now(UTC).isoformat()})
        call.question_versions = history
        call.questions_version = version + 1
    call.questions = questions
    await record_event("call.questions_changed", actor_id=actor.id, actor=actor.email, object_type="call",
                       object_id=call.id, data={"slug": call.slug, "version": call.questions_version,
                                                "count": len(questions)})
    return True


async def set_questions(slug: str, raw: Any, *, actor: Actor, new_version: bool = False) -> Call:
    """The question builder's save: validates, then stores the questions.

    Effects, in one transaction: the questions are replaced while no application was submitted;
    afterwards a change raises Conflict unless `new_version`, which keeps the current list in
    `question_versions` and bumps `questions_version`; an audit entry `call.questions_changed`.
    Submitted applications keep the version they answered. No mail."""
    questions = validate_questions(raw)
    async with write_transaction(engine_finder()):
        call = await call_by_slug(slug)
        if call.status not in {"draft", "published"} or call_state(call, datetime.now(UTC)) == "closed":
            raise Conflict("Cet appel ne peut plus être modifié (clos ou en évaluation).")
        if await _apply_questions(call, questions, new_version=new_version, actor=actor):
            await call.save()
    return call


async def move_call(slug: str, target: str, *, actor: Actor) -> Call:
    """The call aggregate's transition: the only way a call's stored status changes.

    Effects, in order, in one transaction (a fault in any step leaves the call as it was):
    1. the move is checked against the table (draft → published → in_review → decided);
    2. the status is saved (and `published_at` on publication);
    3. an audit entry `call.<action>` records from and to;
    4. on the move to review, every reopened application goes back to its last submitted version,
       text, labels, co-applicants and attachments, each with its own audit entry
       (registry.applications.service.restore_latest_submissions).
    No mail is sent by a call's move: reviewers hear of their assignments, applicants of decisions."""
    from registry.applications.service import restore_latest_submissions

    async with write_transaction(engine_finder()):
        call = await call_by_slug(slug)
        if (call.status, target) not in TRANSITIONS:
            raise Conflict(f"Transition impossible : « {call.status} » vers « {target} ».")
        previous = call.status
        call.status = target
        if target == "published":
            call.published_at = datetime.now(UTC)
        await call.save()
        await record_event(f"call.{TRANSITIONS[(previous, target)]}", actor_id=actor.id, actor=actor.email,
                           object_type="call", object_id=call.id,
                           data={"slug": call.slug, "from": previous, "to": target})
        if target == "in_review":
            await restore_latest_submissions(call.id)
    return call


async def publish_call(slug: str, *, actor: Actor) -> Call:
    return await move_call(slug, "published", actor=actor)
