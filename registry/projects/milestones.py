"""Milestones of funded projects and their payment tranches, checked against harvested data.

Deliverable kinds: `release` (a release or tag whose version ≥ `min_version`, compared as versions), `licence`
(the project's detected licence is compliant), `activity` (a push or commit after `since`), `file` (the path is in
the default branch, as the last harvest listed it) and `manual` (a manager ticks it, with a note).

Statuses: pending → met (evidence found) | late (due date passed, no evidence); late → met | missed (a manager only:
there is no automatic grace period); pending/late → waived (a manager, with a reason). met, missed and waived are
final: **a met milestone never reverts**, whatever a later (failed, emptier) harvest shows.

Tranches: planned → due (when the milestone is met) → approved → paid (managers); their sum never exceeds the
project's amount granted (error on the field `tranche_amount`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

from packaging.version import InvalidVersion, Version

from registry.accounts.permissions import Actor
from registry.accounts.service import manager_recipients
from registry.audit.log import record_event
from registry.db import write_transaction
from registry.errors import N_, Conflict, InvalidInput, NotFound, invalid
from registry.outbox.service import queue_mail
from registry.projects.tables import Milestone, Project, Release, Repository

KINDS = ("release", "licence", "activity", "file", "manual")
STATUSES = ("pending", "met", "late", "missed", "waived")
FINAL = ("met", "missed", "waived")
TRANCHE_STATES = ("planned", "due", "approved", "paid")
KIND_LABELS = {"release": N_("Version publiée"), "licence": N_("Licence conforme"),
               "activity": N_("Activité du dépôt"), "file": N_("Fichier présent"), "manual": N_("Validation manuelle")}
STATUS_LABELS = {"pending": N_("En attente"), "met": N_("Atteint"), "late": N_("En retard"),
                 "missed": N_("Manqué"), "waived": N_("Levé")}
TRANCHE_LABELS = {"planned": N_("Prévue"), "due": N_("Exigible"), "approved": N_("Approuvée"), "paid": N_("Payée")}
_NUMBERS = re.compile(r"\d+")


def parse_version(text: str) -> Version | None:
    """A tag or version as a comparable version: PEP 440 after a leading "v" is dropped; otherwise its numbers
    ("release-2_3" → 2.3); None when it has none. Never compared as strings: 1.10 > 1.9."""
    cleaned = (text or "").strip()
    cleaned = re.sub(r"^(?:[A-Za-z_-]*?[-_/])?[vV](?=\d)", "", cleaned)
    try:
        return Version(cleaned)
    except InvalidVersion:
        numbers = _NUMBERS.findall(cleaned)
        return Version(".".join(str(int(n)) for n in numbers[:6])) if numbers else None


def _today() -> date:
    return datetime.now(UTC).date()


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---- validation -------------------------------------------------------------------------------------------


def _parse_day(value: Any, field: str, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            raise invalid(field, N_("Indiquez une date (AAAA-MM-JJ)."))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(field, N_("Date invalide : attendu AAAA-MM-JJ.")) from None


def clean_input(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """`{title, due_on, deliverable: {kind, min_version?, path?, since?}, tranche_amount?}` → column values.

    Raises InvalidInput naming every field at fault (title, due_on, deliverable.kind, deliverable.min_version,
    deliverable.path, deliverable.since, tranche_amount)."""
    errors: list[InvalidInput] = []
    values: dict[str, Any] = {}

    def attempt(function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except InvalidInput as error:
            errors.append(error)
            return None

    if not partial or "title" in data:
        title = str(data.get("title") or "").strip()
        if not title:
            errors.append(invalid("title", N_("Indiquez l’intitulé du jalon.")))
        elif len(title) > 300:
            errors.append(invalid("title", N_("L’intitulé dépasse 300 caractères.")))
        values["title"] = title
    if not partial or "due_on" in data:
        values["due_on"] = attempt(_parse_day, data.get("due_on"), "due_on", required=True)
    if not partial or "deliverable" in data:
        deliverable = data.get("deliverable")
        if not isinstance(deliverable, dict):
            deliverable = {}
        kind = str(deliverable.get("kind") or "").strip()
        values.update(kind=kind, min_version="", path="", since=None)
        if kind not in KINDS:
            errors.append(invalid("deliverable.kind", N_("Type de livrable inconnu : release, licence, activity, "
                                                         "file ou manual.")))
        elif kind == "release":
            version = str(deliverable.get("min_version") or "").strip()
            if not version or parse_version(version) is None or len(version) > 100:
                errors.append(invalid("deliverable.min_version",
                                      N_("Indiquez la version minimale attendue (par exemple 1.0).")))
            values["min_version"] = version
        elif kind == "file":
            path = str(deliverable.get("path") or "").strip().lstrip("/")
            if not path or len(path) > 500 or ".." in path.split("/"):
                errors.append(invalid("deliverable.path",
                                      N_("Indiquez le chemin du fichier attendu (par exemple CITATION.cff).")))
            values["path"] = path
        elif kind == "activity":
            values["since"] = attempt(_parse_day, deliverable.get("since"), "deliverable.since", required=True)
        values["deliverable"] = str(deliverable.get("text") or data.get("deliverable_text") or "")[:300]
    if not partial or "tranche_amount" in data:
        raw = data.get("tranche_amount")
        amount: int | None = None
        if raw not in (None, ""):
            try:
                amount = int(str(raw).replace(" ", "").replace("\u202f", ""))
            except ValueError:
                amount = -1
            if amount < 0 or amount > 10**9:
                errors.append(invalid("tranche_amount", N_("Montant invalide : un nombre entier d’euros, positif.")))
        values["tranche_amount"] = amount
    if errors:
        raise _Invalid(N_("Le jalon contient des erreurs."), [e for error in errors for e in error.errors],
                       values=values)
    return values


class _Invalid(InvalidInput):
    """Bad input, with the values that could be read (to check the tranche sum too)."""

    def __init__(self, detail: str, errors: list, *, values: dict[str, Any]) -> None:
        super().__init__(detail, errors)
        self.values = values


async def _check_tranches(project: dict[str, Any], amount: int | None, *, excluding: int | None) -> None:
    if amount is None:
        return
    query = Milestone.select(Milestone.tranche_amount).where(
        (Milestone.project == project["id"]) & Milestone.tranche_amount.is_not_null())
    if excluding is not None:
        query = query.where(Milestone.id != excluding)
    others = sum(row["tranche_amount"] for row in await query)
    if others + amount > (project["amount_granted"] or 0):
        raise invalid("tranche_amount", N_("La somme des tranches (%(total)s €) dépasserait le montant accordé "
                                           "(%(granted)s €).") % {"total": others + amount,
                                                                  "granted": project["amount_granted"] or 0})


async def _project(slug: str) -> dict[str, Any]:
    row = await Project.select(Project.id, Project.slug, Project.title, Project.public_title,
                               Project.amount_granted).where(Project.slug == slug).first()
    if row is None:
        raise NotFound(N_("Projet introuvable."))
    return row


async def get_milestone(milestone_id: int) -> dict[str, Any]:
    row = await Milestone.select(*Milestone.all_columns(), Milestone.project.slug.as_alias("project_slug"),
                                 Milestone.project.amount_granted.as_alias("amount_granted")).where(
        Milestone.id == milestone_id).first()
    if row is None:
        raise NotFound(N_("Jalon introuvable."))
    return _decoded(row)


def _actor(actor: Actor | None) -> dict[str, Any]:
    return {"actor_id": actor.id if actor else None, "actor": actor.email if actor else "harvest"}


# ---- manager actions ----------------------------------------------------------------------------------------


async def create_milestone(slug: str, data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A manager sets a milestone. Effects: tranche sum check, the row (tranche planned when an amount is given),
    audit `milestone.created`, then the project's milestones evaluated (which may make it met at once)."""
    try:
        values = clean_input(data)
    except _Invalid as error:
        project = await _project(slug)
        if "tranche_amount" not in {e.field for e in error.errors}:
            try:
                await _check_tranches(project, error.values.get("tranche_amount"), excluding=None)
            except InvalidInput as tranche:
                error.errors.extend(tranche.errors)
        raise
    async with write_transaction(Milestone._meta.db):
        project = await _project(slug)
        await _check_tranches(project, values["tranche_amount"], excluding=None)
        position = await Milestone.count().where(Milestone.project == project["id"])
        row = Milestone(project=project["id"], status="pending", position=position, evidence={},
                        tranche_state="planned" if values["tranche_amount"] is not None else "", **values)
        await row.save()
        await record_event("milestone.created", **_actor(actor), object_type="milestone", object_id=row.id,
                           data={"project": slug, "kind": values["kind"], "tranche_amount": values["tranche_amount"]})
        await evaluate(project["id"])
    return await get_milestone(row.id)


async def update_milestone(milestone_id: int, data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A manager edits a milestone. Effects: tranche sum check, the row, audit `milestone.updated`, evaluation.
    A tranche already approved or paid keeps its amount (409 when changed)."""
    values = clean_input(data, partial=True)
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if "tranche_amount" in values:
            amount = values["tranche_amount"]
            if current["tranche_state"] in ("approved", "paid") and amount != current["tranche_amount"]:
                raise Conflict(N_("La tranche est déjà approuvée ou payée : son montant ne change plus."))
            await _check_tranches({"id": current["project"], "amount_granted": current["amount_granted"]}, amount,
                                  excluding=milestone_id)
            if amount is None:
                values["tranche_state"] = ""
            elif not current["tranche_state"]:
                values["tranche_state"] = "due" if current["status"] == "met" else "planned"
        if values:
            await Milestone.update({getattr(Milestone, k): v for k, v in values.items()}).where(
                Milestone.id == milestone_id)
        await record_event("milestone.updated", **_actor(actor), object_type="milestone", object_id=milestone_id,
                           data={"project": current["project_slug"], "fields": sorted(values)})
        await evaluate(current["project"])
    return await get_milestone(milestone_id)


async def delete_milestone(milestone_id: int, actor: Actor) -> None:
    """Effects: refused (409) when its tranche is approved or paid; the row, audit `milestone.deleted`."""
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if current["tranche_state"] in ("approved", "paid"):
            raise Conflict(N_("Ce jalon a une tranche approuvée ou payée : il ne peut pas être supprimé."))
        await Milestone.delete().where(Milestone.id == milestone_id)
        await record_event("milestone.deleted", **_actor(actor), object_type="milestone", object_id=milestone_id,
                           data={"project": current["project_slug"], "title": current["title"]})


async def tick_manual(milestone_id: int, note: str, actor: Actor) -> dict[str, Any]:
    """A manager ticks a manual milestone, with a note. Effects: as `mark_met` (evidence: the note, who, when)."""
    note = (note or "").strip()
    if not note:
        raise invalid("note", N_("Indiquez ce qui a été constaté."))
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if current["kind"] != "manual":
            raise Conflict(N_("Seul un jalon à validation manuelle se coche à la main."))
        if current["status"] in FINAL:
            raise Conflict(N_("Ce jalon est déjà clos."))
        await Milestone.update({Milestone.note: note[:2000]}).where(Milestone.id == milestone_id)
        await mark_met(current, {"note": note[:2000], "by": actor.name, "observed_at": datetime.now(UTC).isoformat()},
                       actor=actor)
    return await get_milestone(milestone_id)


async def waive(milestone_id: int, reason: str, actor: Actor) -> dict[str, Any]:
    """pending/late → waived, by a manager with a reason. Effects: status, audit `milestone.waived`; its planned
    tranche stays planned (it is not paid)."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", N_("Indiquez pourquoi ce jalon est levé."))
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if current["status"] in FINAL:
            raise Conflict(N_("Ce jalon est déjà clos."))
        await Milestone.update({Milestone.status: "waived", Milestone.waived_reason: reason[:2000]}).where(
            Milestone.id == milestone_id)
        await record_event("milestone.waived", **_actor(actor), object_type="milestone", object_id=milestone_id,
                           data={"project": current["project_slug"], "reason": reason[:2000]})
    return await get_milestone(milestone_id)


async def mark_missed(milestone_id: int, actor: Actor) -> dict[str, Any]:
    """late → missed, by a manager only. Effects: status, audit `milestone.missed`."""
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if current["status"] != "late":
            raise Conflict(N_("Seul un jalon en retard peut être déclaré manqué."))
        await Milestone.update({Milestone.status: "missed"}).where(Milestone.id == milestone_id)
        await record_event("milestone.missed", **_actor(actor), object_type="milestone", object_id=milestone_id,
                           data={"project": current["project_slug"]})
    return await get_milestone(milestone_id)


async def approve_tranche(milestone_id: int, actor: Actor) -> dict[str, Any]:
    """due → approved, by a manager. Effects: state, approved_at/by, audit `tranche.approved`."""
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if current["tranche_state"] != "due":
            raise Conflict(N_("Seule une tranche exigible (jalon atteint) peut être approuvée."))
        await Milestone.update({Milestone.tranche_state: "approved", Milestone.tranche_approved_at: datetime.now(UTC),
                                Milestone.tranche_approved_by: actor.id}).where(Milestone.id == milestone_id)
        await record_event("tranche.approved", **_actor(actor), object_type="milestone", object_id=milestone_id,
                           data={"project": current["project_slug"], "amount": current["tranche_amount"]})
    return await get_milestone(milestone_id)


async def pay_tranche(milestone_id: int, actor: Actor) -> dict[str, Any]:
    """approved → paid, by a manager. Effects: state, paid_at/by, audit `tranche.paid`."""
    async with write_transaction(Milestone._meta.db):
        current = await get_milestone(milestone_id)
        if current["tranche_state"] != "approved":
            raise Conflict(N_("Seule une tranche approuvée peut être payée."))
        await Milestone.update({Milestone.tranche_state: "paid", Milestone.tranche_paid_at: datetime.now(UTC),
                                Milestone.tranche_paid_by: actor.id}).where(Milestone.id == milestone_id)
        await record_event("tranche.paid", **_actor(actor), object_type="milestone", object_id=milestone_id,
                           data={"project": current["project_slug"], "amount": current["tranche_amount"]})
    return await get_milestone(milestone_id)


# ---- evaluation -------------------------------------------------------------------------------------------


async def mark_met(milestone: dict[str, Any], evidence: dict[str, Any], *, actor: Actor | None = None) -> None:
    """pending/late → met. Effects: status, evidence, met_at, audit `milestone.met`; its tranche planned → due
    with audit `tranche.due`; a mail to the programme managers (the outbox)."""
    now = datetime.now(UTC)
    async with write_transaction(Milestone._meta.db):
        changes: dict[Any, Any] = {Milestone.status: "met", Milestone.evidence: evidence, Milestone.met_at: now,
                                   Milestone.verified_at: now}
        tranche_due = milestone["tranche_state"] == "planned"
        if tranche_due:
            changes[Milestone.tranche_state] = "due"
        await Milestone.update(changes).where(
            (Milestone.id == milestone["id"]) & Milestone.status.is_in(["pending", "late"]))
        await record_event("milestone.met", **_actor(actor), object_type="milestone", object_id=milestone["id"],
                           data={"project": milestone.get("project_slug", ""), "evidence": evidence})
        if tranche_due:
            await record_event("tranche.due", **_actor(actor), object_type="milestone", object_id=milestone["id"],
                               data={"project": milestone.get("project_slug", ""),
                                     "amount": milestone["tranche_amount"]})
        project = await Project.select(Project.slug, Project.title, Project.public_title).where(
            Project.id == milestone["project"]).first()
        from registry.outbox.service import _configuration

        # A process without mail set up (a bare script) still records the milestone; the app, the CLI and the
        # scheduler configure the outbox.
        for manager in await manager_recipients() if _configuration.composer is not None else []:
            await queue_mail(to=manager["email"], template="milestone_met", language=manager["locale"] or "fr",
                             object_type="milestone", object_id=milestone["id"],
                             context={"name": manager["name"], "title": milestone["title"],
                                      "project_title": project["public_title"] or project["title"],
                                      "tranche_amount": milestone["tranche_amount"] if tranche_due else None,
                                      "link": f"/manage/projects/{project['slug']}"})


async def mark_late(milestone: dict[str, Any]) -> None:
    """pending → late (due date passed without evidence). Effects: status, audit `milestone.late`."""
    async with write_transaction(Milestone._meta.db):
        await Milestone.update({Milestone.status: "late", Milestone.verified_at: datetime.now(UTC)}).where(
            (Milestone.id == milestone["id"]) & (Milestone.status == "pending"))
        await record_event("milestone.late", actor="harvest", object_type="milestone", object_id=milestone["id"],
                           data={"project": milestone.get("project_slug", "")})


def find_evidence(milestone: dict[str, Any], *, project: dict[str, Any], repositories: list[dict[str, Any]],
                  releases: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The harvested fact that meets the deliverable, or None (pure: no database)."""
    kind = milestone["kind"]
    now = datetime.now(UTC).isoformat()
    if kind == "release":
        wanted = parse_version(milestone["min_version"])
        if wanted is None:
            return None
        candidates = [r for r in releases if (v := parse_version(r["tag"])) is not None and v >= wanted]
        if not candidates:
            return None
        far = datetime.max.replace(tzinfo=UTC)
        first = min(candidates, key=lambda r: (_aware(r["published_at"]) or far, r["tag"]))
        return {"tag": first["tag"], "url": first["url"], "commit": first["commit_sha"],
                "published_at": _aware(first["published_at"]).isoformat() if first["published_at"] else None,
                "observed_at": now}
    if kind == "licence":
        if project["licence_compliant"] is True or project["licence_compliant"] == 1:
            return {"licence": project["licence_expression"], "observed_at": now}
        return None
    if kind == "activity":
        since = milestone["since"]
        if since is None:
            return None
        since = _day(since)
        start = datetime.combine(since, time.min, tzinfo=UTC)
        for repo in sorted(repositories, key=lambda r: _aware(r["last_push_at"]) or start, reverse=True):
            pushed = _aware(repo["last_push_at"])
            if pushed and pushed >= start:
                return {"url": repo["url"], "commit": repo["head_sha"], "pushed_at": pushed.isoformat(),
                        "observed_at": now}
        return None
    if kind == "file":
        path = milestone["path"].strip("/")
        for repo in repositories:
            files = json.loads(repo["files"]) if isinstance(repo["files"], str) else repo["files"]
            files = files if isinstance(files, list) else []
            if path in files or path.lower() in {f.lower() for f in files}:
                return {"path": path, "url": repo["url"], "commit": repo["head_sha"], "observed_at": now}
        return None
    return None  # manual: only a manager ticks it


async def evaluate(project_id: int, *, today: date | None = None) -> dict[str, int]:
    """Recomputes the project's open milestones from what is stored: evidence → `mark_met`; due date passed
    without evidence → `mark_late`. Final statuses are never touched. Returns the counts of changes."""
    today = today or _today()
    changes = {"met": 0, "late": 0}
    async with write_transaction(Milestone._meta.db):
        milestones = await Milestone.select(*Milestone.all_columns(),
                                            Milestone.project.slug.as_alias("project_slug")).where(
            (Milestone.project == project_id) & Milestone.status.is_in(["pending", "late"]))
        if not milestones:
            return changes
        project = await Project.select(Project.licence_compliant, Project.licence_expression).where(
            Project.id == project_id).first()
        repositories = await Repository.select(Repository.id, Repository.url, Repository.last_push_at,
                                               Repository.head_sha, Repository.files).where(
            Repository.project == project_id)
        releases = await Release.select(Release.tag, Release.url, Release.commit_sha, Release.published_at).where(
            Release.repository.is_in([r["id"] for r in repositories] or [0]))
        for milestone in milestones:
            evidence = find_evidence(milestone, project=project, repositories=repositories, releases=releases)
            if evidence is not None:
                await mark_met(milestone, evidence)
                changes["met"] += 1
            elif milestone["status"] == "pending" and (due := _day(milestone["due_on"])) is not None and due < today:
                await mark_late(milestone)
                changes["late"] += 1
    return changes


async def evaluate_projects(project_ids: list[int] | set[int]) -> None:
    """After a harvest: every harvested project with open milestones (one query finds them), one transaction each."""
    if not project_ids:
        return
    rows = await Milestone.select(Milestone.project).where(Milestone.status.is_in(["pending", "late"])).distinct()
    for project_id in sorted({row["project"] for row in rows} & set(project_ids)):
        await evaluate(project_id)


async def evaluate_all() -> None:
    """Every project with open milestones (the late ones move without a harvest)."""
    rows = await Milestone.select(Milestone.project).where(Milestone.status.is_in(["pending", "late"])).distinct()
    for project_id in sorted({row["project"] for row in rows}):
        await evaluate(project_id)


async def project_milestones(project_id: int) -> list[dict[str, Any]]:
    """The project's milestones in order (position, then due date), with the project slug."""
    rows = await Milestone.select(*Milestone.all_columns(), Milestone.project.slug.as_alias("project_slug")).where(
        Milestone.project == project_id)
    return sorted([_decoded(r) for r in rows], key=lambda r: (r["position"], _day(r["due_on"]) or date.max, r["id"]))


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns come back as text on SQLite."""
    if isinstance(row.get("evidence"), str):
        row["evidence"] = json.loads(row["evidence"] or "{}")
    return row


async def evaluate_slug(slug: str) -> list[dict[str, Any]]:
    """"Recompute now" (page button and API): evaluation of one project, then its milestones."""
    project = await _project(slug)
    await evaluate(project["id"])
    return await project_milestones(project["id"])


async def funding_summary(project_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Per project: tranches paid (sum), milestones met and total, late and missed counts."""
    query = Milestone.select(Milestone.project, Milestone.status, Milestone.tranche_amount, Milestone.tranche_state)
    if project_ids is not None:
        query = query.where(Milestone.project.is_in(list(project_ids) or [0]))
    out: dict[int, dict[str, int]] = {}
    for row in await query:
        item = out.setdefault(row["project"], {"paid": 0, "met": 0, "total": 0, "late": 0, "missed": 0,
                                               "tranches": 0})
        item["total"] += 1
        if row["status"] in ("met", "late", "missed"):
            item[row["status"]] += 1
        if row["tranche_amount"] is not None:
            item["tranches"] += row["tranche_amount"]
            if row["tranche_state"] == "paid":
                item["paid"] += row["tranche_amount"]
    return out


# The labels the public project page shows (template names).
LABELS = {"milestone_kinds": KIND_LABELS, "milestone_statuses": STATUS_LABELS, "tranche_states": TRANCHE_LABELS}
