"""Enquiries (private questions about a call) and the call's public FAQ."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from app.web.guards import requires_login, requires_staff
from registry.calls.paris import iso
from registry.enquiries import service


class EnquiryIn(msgspec.Struct):
    question: Any = None


class EnquiryOut(msgspec.Struct):
    id: int
    question: str
    state: str
    created_at: str | None
    answered_at: str | None
    faq_entry: int | None


class FaqIn(msgspec.Struct):
    question: Any = None
    answer: Any = None
    enquiries: list[int] = []
    notify_submitted: bool = False


class FaqOut(msgspec.Struct):
    id: int
    question: str
    answer: str
    published_at: str | None
    updated_at: str | None


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value else None


def enquiry_out(row: Any) -> EnquiryOut:
    row = row if isinstance(row, dict) else row.to_dict()
    return EnquiryOut(id=row["id"], question=row["question"], state=row["state"],
                      created_at=_iso(row["created_at"]), answered_at=_iso(row["answered_at"]),
                      faq_entry=row["faq_entry"])


def faq_out(row: Any) -> FaqOut:
    row = row if isinstance(row, dict) else row.to_dict()
    return FaqOut(id=row["id"], question=row["question"], answer=row["answer"],
                  published_at=_iso(row["published_at"]), updated_at=_iso(row["updated_at"]))


class EnquiriesApi(Controller):
    path = "/api/v1"
    tags = ["appels"]

    @post("/calls/{slug:str}/enquiries", guards=[requires_login], status_code=201)
    async def ask(self, request: Request, slug: FromPath[str], data: JSONBody[EnquiryIn]) -> EnquiryOut:
        """Pose une question privée sur un appel publié (visible de son auteur et des gestionnaires)."""
        return enquiry_out(await service.ask(slug, actor=request.user, question=data.question))

    @get("/calls/{slug:str}/enquiries", guards=[requires_login])
    async def list_enquiries(self, request: Request, slug: FromPath[str]) -> list[EnquiryOut]:
        """Les questions de l'utilisateur sur l'appel ; toutes pour les gestionnaires."""
        call = await service.public_call(slug)
        return [enquiry_out(r) for r in await service.enquiries_of(call.id, actor=request.user)]

    @get("/calls/{slug:str}/faq")
    async def list_faq(self, slug: FromPath[str]) -> list[FaqOut]:
        """La foire aux questions publiée de l'appel."""
        call = await service.public_call(slug)
        return [faq_out(r) for r in await service.faq_of(call.id)]

    @post("/calls/{slug:str}/faq", guards=[requires_staff], status_code=201)
    async def publish(self, request: Request, slug: FromPath[str], data: JSONBody[FaqIn]) -> FaqOut:
        """Publie une entrée de FAQ (gestionnaire) ; les porteurs de brouillons sont prévenus par courriel."""
        entry = await service.publish_faq(slug, actor=request.user, question=data.question, answer=data.answer,
                                          enquiry_ids=data.enquiries, notify_submitted=data.notify_submitted,
                                          base_url=request.app.state.settings.base_url)
        return faq_out(entry)

    @patch("/faq/{entry_id:int}", guards=[requires_staff])
    async def edit(self, request: Request, entry_id: FromPath[int], data: JSONBody[FaqIn]) -> FaqOut:
        """Modifie une entrée de FAQ (gestionnaire, journalisé)."""
        return faq_out(await service.edit_faq(entry_id, actor=request.user, question=data.question,
                                              answer=data.answer))

    @delete("/faq/{entry_id:int}", guards=[requires_staff], status_code=200)
    async def withdraw(self, request: Request, entry_id: FromPath[int]) -> FaqOut:
        """Retire une entrée de FAQ (gestionnaire, journalisé)."""
        return faq_out(await service.withdraw_faq(entry_id, actor=request.user))
