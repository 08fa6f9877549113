"""Calls API: public reads once published, manager writes (same rules as the pages)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.web.guards import requires_staff
from registry.accounts.permissions import is_staff
from registry.calls import queries, service
from registry.calls.jsonfield import json_list
from registry.calls.paris import iso
from registry.calls.questions import questions_of
from registry.calls.service import CallInput, CriterionInput
from registry.calls.state import call_state
from registry.errors import NotFound, invalid


class AnchorIn(msgspec.Struct):
    score: int
    label: str
    label_en: str = ""


class CriterionIn(msgspec.Struct):
    name: str
    weight: int
    scale_max: int = 4
    description: str = ""
    eliminatory_below: float | None = None
    description_en: str = ""
    anchors: list[AnchorIn] = []


class CallIn(msgspec.Struct):
    slug: str
    title: str
    opens_at: str
    closes_at: str
    criteria: list[CriterionIn]
    description: str = ""
    title_en: str = ""
    description_en: str = ""
    eligibility: str = ""
    eligibility_en: str = ""
    budget_total: int = 0
    amount_min: int = 0
    amount_max: int = 0
    licence_policy: list[str] = []
    blind: bool = False
    reviews_per_application: int = 2
    reviews_visibility: str = "after_own"
    reviews_due_at: str | None = None
    # The call's questions (registry/calls/questions.py); absent keeps the current ones.
    questions: list[Any] | None = None
    # Required to change questions once an application was submitted: stores a new version.
    new_version: bool = False


class AnchorOut(msgspec.Struct):
    score: int
    label: str
    label_en: str


class CriterionOut(msgspec.Struct):
    name: str
    description: str
    weight: int
    scale_max: int
    eliminatory_below: float | None
    description_en: str = ""
    anchors: list[AnchorOut] = []


class CallOut(msgspec.Struct):
    slug: str
    title: str
    title_en: str
    description: str
    description_en: str
    eligibility: str
    eligibility_en: str
    state: str
    budget_total: int
    amount_min: int
    amount_max: int
    opens_at: str
    closes_at: str
    licence_policy: list[str]
    blind: bool
    reviews_per_application: int
    reviews_visibility: str
    criteria: list[CriterionOut]
    published_at: str | None = None
    reviews_due_at: str | None = None
    questions: list[dict[str, Any]] = []
    questions_version: int = 1
    # The published FAQ [{id, question, answer, published_at, updated_at}] (one call's read only).
    faq: list[dict[str, Any]] = []


class QuestionsPatch(msgspec.Struct):
    questions: list[Any] | None = None
    new_version: bool = False


class CallPage(msgspec.Struct):
    items: list[CallOut]
    total: int
    page: int
    per_page: int


class TransitionIn(msgspec.Struct):
    to: str


def call_input(data: JSONBody[CallIn]) -> CallInput:
    return CallInput(
        slug=data.slug, title_fr=data.title, title_en=data.title_en, description_fr=data.description,
        description_en=data.description_en, eligibility_fr=data.eligibility, eligibility_en=data.eligibility_en,
        budget_total=data.budget_total, amount_min=data.amount_min, amount_max=data.amount_max,
        opens_at=data.opens_at, closes_at=data.closes_at, licence_policy=list(data.licence_policy),
        blind=data.blind, reviews_per_application=data.reviews_per_application,
        reviews_visibility=data.reviews_visibility,
        criteria=[CriterionInput(name=c.name, weight=c.weight, scale_max=c.scale_max, description=c.description,
                                 eliminatory_below=c.eliminatory_below, description_en=c.description_en,
                                 anchors=[msgspec.structs.asdict(a) for a in c.anchors]) for c in data.criteria],
        reviews_due_at=data.reviews_due_at, questions=data.questions, new_version=data.new_version)


def effective_policy(call: Any) -> list[str]:
    from registry.licences import AUTHORISED

    policy = call["licence_policy"] if isinstance(call, dict) else call.licence_policy
    return sorted(json_list(policy) or AUTHORISED)


async def call_out(call: Any) -> CallOut:
    row = call if isinstance(call, dict) else call.to_dict()
    criteria = await queries.criteria_rows(row["id"])
    return CallOut(
        slug=row["slug"], title=row["title_fr"], title_en=row["title_en"], description=row["description_fr"],
        description_en=row["description_en"], eligibility=row["eligibility_fr"], eligibility_en=row["eligibility_en"],
        state=call_state(row), budget_total=row["budget_total"], amount_min=row["amount_min"],
        amount_max=row["amount_max"], opens_at=iso(row["opens_at"]) or "", closes_at=iso(row["closes_at"]) or "",
        licence_policy=effective_policy(row), blind=row["blind"],
        reviews_per_application=row["reviews_per_application"], reviews_visibility=row["reviews_visibility"],
        published_at=iso(row["published_at"]), reviews_due_at=iso(row.get("reviews_due_at")),
        questions=questions_of(row.get("questions")), questions_version=row.get("questions_version") or 1,
        criteria=[CriterionOut(name=c["name"], description=c["description"], weight=c["weight"],
                               scale_max=c["scale_max"], eliminatory_below=c["eliminatory_below"],
                               description_en=c.get("description_en") or "",
                               anchors=[AnchorOut(score=a["score"], label=a["label"], label_en=a.get("label_en", ""))
                                        for a in json_list(c.get("anchors"))])
                  for c in criteria])


MAX_PAGE = 100_000  # as the registry's listings: an OFFSET beyond 64 bits is a database error


def check_paging(page: int, per_page: int) -> None:
    if page < 1:
        raise invalid("page", "La page commence à 1.")
    if page > MAX_PAGE:
        raise invalid("page", "La page ne dépasse pas 100 000.")
    if not 1 <= per_page <= 100:
        raise invalid("per_page", "per_page doit être compris entre 1 et 100.")


async def visible_call(request: Request, slug: str) -> Any:
    call = await service.call_by_slug(slug)
    if call.status == "draft" and not is_staff(request.user):
        raise NotFound("Appel introuvable.")
    return call


class CallsApi(Controller):
    path = "/api/v1/calls"
    tags = ["appels"]

    @get("/", summary="List calls")
    async def list_calls(self, request: Request, page: FromQuery[int] = 1, per_page: FromQuery[int] = 20,
                         phase: Annotated[str | None, QueryParameter(name="state")] = None) -> CallPage:
        """Published calls (drafts too for staff), newest deadline first."""
        check_paging(page, per_page)
        rows, total = await queries.list_calls(include_drafts=is_staff(request.user),
                                               states=(phase,) if phase else (), page=page, per_page=per_page)
        return CallPage(items=[await call_out(row) for row in rows], total=total, page=page, per_page=per_page)

    @get("/{slug:str}", summary="One call with its criteria")
    async def get_call(self, request: Request, slug: FromPath[str]) -> CallOut:
        from app.controllers.api.enquiries import faq_out
        from registry.enquiries.service import faq_of

        call = await visible_call(request, slug)
        out = await call_out(call)
        out.faq = [msgspec.structs.asdict(faq_out(row)) for row in await faq_of(call.id)]
        return out

    @post("/", guards=[requires_staff], status_code=201, summary="Create a call (manager)")
    async def create_call(self, request: Request, data: JSONBody[CallIn]) -> CallOut:
        """Times are ISO 8601; without an offset they are read as Europe/Paris wall-clock time."""
        return await call_out(await service.create_call(call_input(data), actor=request.user))

    @put("/{slug:str}", guards=[requires_staff], summary="Replace a call's settings (manager)")
    async def update_call(self, request: Request, slug: FromPath[str], data: JSONBody[CallIn]) -> CallOut:
        return await call_out(await service.update_call(slug, call_input(data), actor=request.user))

    @patch("/{slug:str}", guards=[requires_staff], summary="Change a call's questions (manager)")
    async def patch_call(self, request: Request, slug: FromPath[str], data: JSONBody[QuestionsPatch]) -> CallOut:
        """Replaces the questions; after the first submission a change needs `new_version: true` (409 otherwise)."""
        if data.questions is None:
            return await call_out(await service.call_by_slug(slug))
        return await call_out(await service.set_questions(slug, data.questions, actor=request.user,
                                                          new_version=data.new_version))

    @post("/{slug:str}/publish", guards=[requires_staff], status_code=200, summary="Publish a call (manager)")
    async def publish(self, request: Request, slug: FromPath[str]) -> CallOut:
        return await call_out(await service.publish_call(slug, actor=request.user))

    @post("/{slug:str}/transition", guards=[requires_staff], status_code=200,
          summary="Move a call to in_review, decided or archived (manager)")
    async def transition(self, request: Request, slug: FromPath[str], data: JSONBody[TransitionIn]) -> CallOut:
        return await call_out(await service.move_call(slug, data.to, actor=request.user))
