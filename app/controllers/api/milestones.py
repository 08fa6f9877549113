"""Milestones and payment tranches of funded projects (managers); the public reads them in GET /projects/{slug}."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, delete, patch, post
from litestar.params import FromPath, JSONBody

from app.web.guards import requires_staff
from registry.projects import milestones as service


class TrancheOut(msgspec.Struct):
    amount: int
    state: str
    approved_at: datetime | None = None
    paid_at: datetime | None = None


class MilestoneOut(msgspec.Struct):
    id: int
    project: str
    title: str
    due_on: date | None
    status: str
    kind: str
    min_version: str
    path: str
    since: date | None
    evidence: dict[str, Any]
    met_at: datetime | None
    note: str
    waived_reason: str
    tranche: TrancheOut | None
    deliverable: str
    expected_version: str
    verified_at: datetime | None


class DeliverableIn(msgspec.Struct):
    kind: str | None = None
    min_version: str | None = None
    path: str | None = None
    since: str | None = None
    text: str | None = None


class MilestoneIn(msgspec.Struct):
    title: str | None = None
    due_on: str | None = None
    deliverable: DeliverableIn | None = None
    tranche_amount: Any = None


class MilestonePatch(msgspec.Struct, omit_defaults=True):
    title: str | msgspec.UnsetType = msgspec.UNSET
    due_on: str | msgspec.UnsetType = msgspec.UNSET
    deliverable: DeliverableIn | msgspec.UnsetType = msgspec.UNSET
    tranche_amount: Any = msgspec.UNSET


class NoteIn(msgspec.Struct):
    note: str = ""


class ReasonIn(msgspec.Struct):
    reason: str = ""


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def milestone_out(row: dict[str, Any]) -> MilestoneOut:
    evidence = row["evidence"]
    if isinstance(evidence, str):
        evidence = msgspec.json.decode(evidence or "{}")
    tranche = None
    if row["tranche_amount"] is not None:
        tranche = TrancheOut(amount=row["tranche_amount"], state=row["tranche_state"] or "planned",
                             approved_at=_when(row["tranche_approved_at"]), paid_at=_when(row["tranche_paid_at"]))
    return MilestoneOut(
        id=row["id"], project=row.get("project_slug", ""), title=row["title"], due_on=_day(row["due_on"]),
        status=row["status"], kind=row["kind"], min_version=row["min_version"], path=row["path"],
        since=_day(row["since"]), evidence=evidence or {}, met_at=_when(row["met_at"]), note=row["note"],
        waived_reason=row["waived_reason"], tranche=tranche, deliverable=row["deliverable"],
        expected_version=row["expected_version"], verified_at=_when(row["verified_at"]))


def _plain(data: msgspec.Struct) -> dict[str, Any]:
    return msgspec.to_builtins(data)


class MilestonesApi(Controller):
    path = "/api/v1"
    tags = ["suivi des projets"]
    guards = [requires_staff]

    @post("/projects/{slug:str}/milestones", status_code=201)
    async def create(self, request: Request, slug: FromPath[str], data: JSONBody[MilestoneIn]) -> MilestoneOut:
        """Fixe un jalon (gestionnaire) : `deliverable.kind` release (min_version), licence, activity (since),
        file (path) ou manual ; `tranche_amount` facultatif (somme des tranches ≤ montant accordé)."""
        body = _plain(data)
        return milestone_out(await service.create_milestone(slug, body, request.user))

    @patch("/milestones/{milestone_id:int}")
    async def update(self, request: Request, milestone_id: FromPath[int],
                     data: JSONBody[MilestonePatch]) -> MilestoneOut:
        """Modifie un jalon (champs donnés seulement) ; il est réévalué aussitôt."""
        return milestone_out(await service.update_milestone(milestone_id, _plain(data), request.user))

    @delete("/milestones/{milestone_id:int}", status_code=204)
    async def remove(self, request: Request, milestone_id: FromPath[int]) -> None:
        """Supprime un jalon (refusé, 409, si sa tranche est approuvée ou payée)."""
        await service.delete_milestone(milestone_id, request.user)

    @post("/milestones/{milestone_id:int}/tranche/approve", status_code=200)
    async def approve(self, request: Request, milestone_id: FromPath[int]) -> MilestoneOut:
        """Approuve une tranche exigible (jalon atteint)."""
        return milestone_out(await service.approve_tranche(milestone_id, request.user))

    @post("/milestones/{milestone_id:int}/tranche/pay", status_code=200)
    async def pay(self, request: Request, milestone_id: FromPath[int]) -> MilestoneOut:
        """Enregistre le paiement d'une tranche approuvée."""
        return milestone_out(await service.pay_tranche(milestone_id, request.user))

    @post("/milestones/{milestone_id:int}/tick", status_code=200)
    async def tick(self, request: Request, milestone_id: FromPath[int], data: JSONBody[NoteIn]) -> MilestoneOut:
        """Coche un jalon à validation manuelle, avec une note (`note`)."""
        return milestone_out(await service.tick_manual(milestone_id, data.note, request.user))

    @post("/milestones/{milestone_id:int}/waive", status_code=200)
    async def waive(self, request: Request, milestone_id: FromPath[int], data: JSONBody[ReasonIn]) -> MilestoneOut:
        """Lève un jalon ouvert, avec une raison (`reason`)."""
        return milestone_out(await service.waive(milestone_id, data.reason, request.user))

    @post("/milestones/{milestone_id:int}/missed", status_code=200)
    async def missed(self, request: Request, milestone_id: FromPath[int]) -> MilestoneOut:
        """Déclare manqué un jalon en retard."""
        return milestone_out(await service.mark_missed(milestone_id, request.user))

    @post("/projects/{slug:str}/milestones/evaluate", status_code=200)
    async def evaluate(self, slug: FromPath[str]) -> list[MilestoneOut]:
        """Réévalue aussitôt les jalons du projet d'après les données collectées."""
        return [milestone_out(row) for row in await service.evaluate_slug(slug)]
