"""Manager pages for calls: list, create, edit, publish, move, and live application counts."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.controllers.api.calls import effective_policy
from app.web.forms import field_errors, form_lists, redirect_with_flash
from app.web.guards import requires_staff
from app.web.templating import page
from registry.applications.queries import list_applications
from registry.applications.state import STATE_LABELS as APPLICATION_LABELS
from registry.calls import queries, service
from registry.calls.paris import to_paris_input
from registry.calls.service import CallInput, CriterionInput
from registry.calls.state import STATE_LABELS, TRANSITIONS, call_state
from registry.errors import InvalidInput

BLANK_CRITERIA = 3
TEXT = ("slug", "title_fr", "title_en", "description_fr", "description_en", "eligibility_fr", "eligibility_en",
        "budget_total", "amount_min", "amount_max", "opens_at", "closes_at", "reviews_per_application",
        "reviews_visibility")
CRITERION = ("name", "description", "weight", "scale_max", "eliminatory_below")


def authorised() -> list[str]:
    from registry.licences import AUTHORISED

    return sorted(AUTHORISED)


def call_from_form(data: dict[str, list[str]]) -> tuple[CallInput, dict]:
    first = {name: (data.get(name) or [""])[0] for name in TEXT}
    columns = {name: data.get(f"criterion_{name}", []) for name in CRITERION}
    rows = []
    for index in range(len(columns["name"])):
        cells = {name: (columns[name][index] if index < len(columns[name]) else "") for name in CRITERION}
        if any(cells[name].strip() for name in ("name", "description", "weight")):
            rows.append(cells)
    policy = data.get("licence_policy", [])
    values = {**first, "licence_policy": policy, "blind": bool(data.get("blind")), "criteria": rows}
    call_input = CallInput(
        slug=first["slug"], title_fr=first["title_fr"], title_en=first["title_en"],
        description_fr=first["description_fr"], description_en=first["description_en"],
        eligibility_fr=first["eligibility_fr"], eligibility_en=first["eligibility_en"],
        budget_total=first["budget_total"], amount_min=first["amount_min"], amount_max=first["amount_max"],
        opens_at=first["opens_at"], closes_at=first["closes_at"],
        # Every authorised licence ticked is the default policy: store it as "empty" (follows the law).
        licence_policy=[] if sorted(policy) == authorised() else policy, blind=values["blind"],
        reviews_per_application=first["reviews_per_application"] or "2",
        reviews_visibility=first["reviews_visibility"] or "after_own",
        criteria=[CriterionInput(name=r["name"], weight=r["weight"], scale_max=r["scale_max"] or "4",
                                 description=r["description"], eliminatory_below=r["eliminatory_below"])
                  for r in rows])
    return call_input, values


async def form_values(call: object) -> dict:
    criteria = await service.criteria_of(call.id)  # type: ignore[attr-defined]
    values = {name: getattr(call, name) for name in TEXT if name not in {"opens_at", "closes_at"}}
    values.update(opens_at=to_paris_input(call.opens_at), closes_at=to_paris_input(call.closes_at),  # type: ignore[attr-defined]
                  licence_policy=effective_policy(call), blind=call.blind,  # type: ignore[attr-defined]
                  criteria=[{name: ("" if getattr(c, name) is None else getattr(c, name)) for name in CRITERION}
                            for c in criteria])
    return values


def empty_values() -> dict:
    return {"licence_policy": authorised(), "reviews_per_application": 2, "reviews_visibility": "after_own",
            "criteria": [], "blind": False}


class ManageCallPages(Controller):
    path = "/manage/calls"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        rows, _ = await queries.list_calls(include_drafts=True, per_page=100)
        counts = {row["id"]: await queries.application_counts(row["id"]) for row in rows}
        return page("manage/calls.html", request, rows=rows, counts=counts, labels=STATE_LABELS)

    def _form(self, request: Request, values: dict, errors: dict, *, slug: str = "", status_code: int = 200
              ) -> Template:
        criteria = list(values.get("criteria", []))
        criteria += [{} for _ in range(BLANK_CRITERIA)]
        return page("manage/calls_form.html", request, status_code=status_code, values=values, errors=errors,
                    criteria=criteria, slug=slug, licences=authorised())

    @get("/new")
    async def new(self, request: Request) -> Template:
        return self._form(request, empty_values(), {})

    @post("/new")
    async def create(self, request: Request) -> Template | Redirect:
        call_input, values = call_from_form(await form_lists(request))
        try:
            call = await service.create_call(call_input, actor=request.user)
        except InvalidInput as error:
            return self._form(request, values, field_errors(error), status_code=422)
        return redirect_with_flash(f"/manage/calls/{call.slug}", "call_saved")

    @get("/{slug:str}")
    async def detail(self, request: Request, slug: FromPath[str]) -> Template:
        call = await service.call_by_slug(slug)
        rows, total = await list_applications(request.user, call_slug=slug, per_page=100)
        state = call_state(call)
        moves = [target for (current, target) in TRANSITIONS if current == call.status]
        return page("manage/calls_detail.html", request, call=call, state=state, labels=STATE_LABELS,
                    counts=await queries.application_counts(call.id), rows=rows, total=total, moves=moves,
                    criteria=await queries.criteria_rows(call.id), application_labels=APPLICATION_LABELS)

    @get("/{slug:str}/edit")
    async def edit(self, request: Request, slug: FromPath[str]) -> Template:
        call = await service.call_by_slug(slug)
        return self._form(request, await form_values(call), {}, slug=slug)

    @post("/{slug:str}/edit")
    async def update(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        call_input, values = call_from_form(await form_lists(request))
        try:
            call = await service.update_call(slug, call_input, actor=request.user)
        except InvalidInput as error:
            return self._form(request, values, field_errors(error), slug=slug, status_code=422)
        return redirect_with_flash(f"/manage/calls/{call.slug}", "call_saved")

    @post("/{slug:str}/move")
    async def move(self, request: Request, slug: FromPath[str]) -> Redirect:
        data = await form_lists(request)
        await service.move_call(slug, (data.get("to") or [""])[0], actor=request.user)
        return redirect_with_flash(f"/manage/calls/{slug}", "call_moved")
