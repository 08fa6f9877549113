"""Requests for changes after submission (registry/enquiries/corrections.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from app.web.guards import requires_login, requires_staff
from registry.calls.paris import iso
from registry.enquiries import corrections


class CorrectionIn(msgspec.Struct):
    message: Any = None
    due_on: Any = None
    visible_to_reviewers: bool = False


class ReplyIn(msgspec.Struct):
    message: Any = None


class ItemOut(msgspec.Struct):
    id: int
    kind: str
    message: str
    author: str | None
    version: int | None
    created_at: str | None


class CorrectionOut(msgspec.Struct):
    id: int
    application: int
    state: str
    message: str
    due_on: str
    deadline: str | None
    visible_to_reviewers: bool
    requested_by: str | None
    created_at: str | None
    closed_at: str | None
    items: list[ItemOut] = []


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value else None


def correction_out(row: Any) -> CorrectionOut:
    row = row if isinstance(row, dict) else row.to_dict()
    due = row["due_on"]
    return CorrectionOut(
        id=row["id"], application=row["application"], state=row["state"], message=row["message"],
        due_on=due.isoformat() if isinstance(due, date) else str(due),
        deadline=_iso(corrections.deadline_of(due)), visible_to_reviewers=bool(row["visible_to_reviewers"]),
        requested_by=row.get("author_name"), created_at=_iso(row["created_at"]), closed_at=_iso(row["closed_at"]),
        items=[item_out(i) for i in row.get("items", [])])


def item_out(row: Any) -> ItemOut:
    row = row if isinstance(row, dict) else row.to_dict()
    return ItemOut(id=row["id"], kind=row["kind"], message=row["message"], author=row.get("author_name"),
                   version=row["version"], created_at=_iso(row["created_at"]))


class CorrectionsApi(Controller):
    path = "/api/v1"
    tags = ["candidatures"]

    @post("/applications/{application_id:int}/corrections", guards=[requires_staff], status_code=201)
    async def request_correction(self, request: Request, application_id: FromPath[int],
                                 data: JSONBody[CorrectionIn]) -> CorrectionOut:
        """Demande une correction d'une candidature soumise ou en évaluation (gestionnaire) : elle est rouverte
        pour ses porteurs jusqu'à la fin de `due_on` (heure de Paris)."""
        row = await corrections.request_correction(
            application_id, actor=request.user, message=data.message, due_on=data.due_on,
            visible_to_reviewers=data.visible_to_reviewers, base_url=request.app.state.settings.base_url)
        return correction_out(row)

    @get("/applications/{application_id:int}/corrections", guards=[requires_login])
    async def thread(self, request: Request, application_id: FromPath[int]) -> list[CorrectionOut]:
        """Les demandes de correction de la candidature et leurs échanges, dans l'ordre (porteurs, équipe ;
        évaluateurs affectés quand le gestionnaire l'a permis)."""
        return [correction_out(r) for r in await corrections.thread_of(application_id, actor=request.user)]

    @post("/corrections/{correction_id:int}/replies", guards=[requires_login], status_code=201)
    async def reply(self, request: Request, correction_id: FromPath[int], data: JSONBody[ReplyIn]) -> ItemOut:
        """Répond dans l'échange d'une demande de correction ouverte (porteur ou gestionnaire)."""
        row = await corrections.reply(correction_id, actor=request.user, message=data.message,
                                      base_url=request.app.state.settings.base_url)
        return item_out({**row.to_dict(), "author_name": request.user.name})
