"""Applications API: the applicant's drafts, submission and receipts; staff read all."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from app.controllers.api.calls import check_paging
from app.controllers.applications import (
    attachment_response,
    invite_and_notify,
    sees_receipt,
    submit_and_notify,
    url_policy,
)
from app.i18n import gettext as _
from app.web.files import upload_limit
from app.web.forms import uploaded_file
from app.web.guards import requires_login, requires_role
from app.web.middleware import received_at
from registry.applications import queries, service
from registry.applications.attachments import add_attachment, attachments_of, remove_attachment
from registry.applications.permissions import application_for
from registry.applications.service import ApplicationInput, pending_errors
from registry.applications.submission import ATTESTATION, latest_receipt, submission_problems
from registry.calls.jsonfield import json_list
from registry.calls.paris import iso
from registry.calls.questions import answers_of
from registry.calls.tables import Call

UNSET = msgspec.UNSET


class OrganisationIn(msgspec.Struct):
    name: str | msgspec.UnsetType = UNSET
    siren: str | msgspec.UnsetType = UNSET
    ror: str | msgspec.UnsetType = UNSET


class ApplicationIn(msgspec.Struct):
    """Every field optional: a draft may be incomplete; PATCH changes only what is sent."""

    title: str | msgspec.UnsetType = UNSET
    public_title: str | msgspec.UnsetType = UNSET
    public_summary: str | msgspec.UnsetType = UNSET
    description: str | msgspec.UnsetType = UNSET
    # Whole euros; a string is read like the form field ("50 000 €"), and kept as typed if invalid.
    requested_amount: int | str | None | msgspec.UnsetType = UNSET
    repositories: list[str] | msgspec.UnsetType = UNSET
    licence: str | msgspec.UnsetType = UNSET
    labels: list[str] | msgspec.UnsetType = UNSET
    organisation: OrganisationIn | msgspec.UnsetType = UNSET
    # Answers to the call's questions {key: value}; the keys sent replace, the others stay.
    answers: dict[str, Any] | msgspec.UnsetType = UNSET


class Organisation(msgspec.Struct):
    name: str
    siren: str
    ror: str


class ReceiptOut(msgspec.Struct):
    sha256: str
    submitted_at: str
    version: int


class AttachmentOut(msgspec.Struct):
    id: int
    filename: str
    size: int
    sha256: str
    url: str


class Missing(msgspec.Struct):
    field: str
    message: str


class ApplicationOut(msgspec.Struct):
    id: int
    call: str
    state: str
    title: str
    public_title: str
    public_summary: str
    description: str
    requested_amount: int | None
    repositories: list[str]
    licence: str
    labels: list[str]
    organisation: Organisation
    co_applicants: list[str]
    attachments: list[AttachmentOut]
    created_at: str
    updated_at: str
    submitted_at: str | None
    receipt: ReceiptOut | None
    missing: list[Missing]
    # Invalid values the draft keeps as typed (not stored in their field until fixed); submission refuses them.
    errors: list[Missing]
    revision: int
    answers: dict[str, Any] = {}
    # The call's questions version answered (null while a draft follows the current one).
    questions_version: int | None = None


class ApplicationSummary(msgspec.Struct):
    id: int
    call: str
    state: str
    title: str
    public_title: str
    requested_amount: int | None
    updated_at: str
    submitted_at: str | None


class ApplicationPage(msgspec.Struct):
    items: list[ApplicationSummary]
    total: int
    page: int
    per_page: int


class SubmitOut(msgspec.Struct):
    id: int
    state: str
    receipt: ReceiptOut


class SubmitIn(msgspec.Struct):
    """Optional body: `attestation: true` records the sworn statement with the version."""

    attestation: bool = False


class CoApplicantIn(msgspec.Struct):
    email: str


class CoApplicantOut(msgspec.Struct):
    id: int
    email: str


def application_input(data: JSONBody[ApplicationIn]) -> ApplicationInput:
    def value(raw: Any) -> Any:
        return None if raw is UNSET else raw

    organisation = data.organisation if data.organisation is not UNSET else OrganisationIn()
    return ApplicationInput(
        title=value(data.title), public_title=value(data.public_title), public_summary=value(data.public_summary),
        description=value(data.description), requested_amount=value(data.requested_amount),
        clear_amount=data.requested_amount is None, repositories=value(data.repositories),
        licence=value(data.licence), labels=value(data.labels), org_name=value(organisation.name),
        org_siren=value(organisation.siren), org_ror=value(organisation.ror), answers=value(data.answers))


def receipt_out(receipt: Any) -> ReceiptOut:
    return ReceiptOut(sha256=receipt.sha256, submitted_at=iso(receipt.submitted_at) or "", version=receipt.version)


async def application_out(application: Any, actor: Any = None) -> ApplicationOut:
    """`receipt` is null for readers who may not open the receipt (assigned reviewers)."""
    call = await Call.select(Call.slug).where(Call.id == application.call).first()
    receipt = await latest_receipt(application.id) if actor is None or await sees_receipt(actor, application) else None
    files = await attachments_of(application.id)
    team = await queries.co_applicants(application.id)
    problems = await submission_problems(application) if application.state == "draft" else []
    return ApplicationOut(
        id=application.id, call=call["slug"], state=application.state, title=application.title,
        public_title=application.public_title, public_summary=application.public_summary,
        description=application.description, requested_amount=application.requested_amount,
        repositories=json_list(application.repositories), licence=application.licence,
        labels=await queries.label_slugs(application.id),
        organisation=Organisation(name=application.org_name, siren=application.org_siren, ror=application.org_ror),
        co_applicants=[row["email"] for row in team],
        attachments=[AttachmentOut(id=f["id"], filename=f["filename"], size=f["size"], sha256=f["sha256"],
                                   url=f"/api/v1/applications/{application.id}/attachments/{f['id']}")
                     for f in files],
        created_at=iso(application.created_at) or "", updated_at=iso(application.updated_at) or "",
        submitted_at=iso(application.submitted_at), receipt=receipt_out(receipt) if receipt else None,
        missing=[Missing(field=p.field, message=p.message) for p in problems],
        errors=[Missing(field=e.field, message=e.message) for e in pending_errors(application)]
        if application.state == "draft" else [], revision=application.revision,
        answers=answers_of(application.answers), questions_version=application.questions_version)


class ApplicationsApi(Controller):
    path = "/api/v1"
    tags = ["candidatures"]
    guards = [requires_login]

    @post("/calls/{slug:str}/applications", guards=[requires_role("applicant")], status_code=201,
          summary="Start an application (a draft, possibly incomplete)")
    async def create(self, request: Request, slug: FromPath[str], data: JSONBody[ApplicationIn]) -> ApplicationOut:
        application = await service.create_application(slug, application_input(data), actor=request.user,
                                                       policy=url_policy(request), now=received_at(request))
        return await application_out(application)

    @get("/applications", summary="Own applications (all of them for staff)")
    async def list_applications(self, request: Request, call: FromQuery[str | None] = None,
                                page: FromQuery[int] = 1, per_page: FromQuery[int] = 20) -> ApplicationPage:
        check_paging(page, per_page)
        rows, total = await queries.list_applications(request.user, call_slug=call, page=page, per_page=per_page)
        items = [ApplicationSummary(id=r["id"], call=r["call.slug"], state=r["state"], title=r["title"],
                                    public_title=r["public_title"], requested_amount=r["requested_amount"],
                                    updated_at=iso(r["updated_at"]) or "", submitted_at=iso(r["submitted_at"]))
                 for r in rows]
        return ApplicationPage(items=items, total=total, page=page, per_page=per_page)

    @get("/applications/{application_id:int}", summary="One application")
    async def get_application(self, request: Request, application_id: FromPath[int]) -> ApplicationOut:
        return await application_out(await application_for(request.user, application_id), request.user)

    @patch("/applications/{application_id:int}",
           summary="Update a draft (only the fields sent); invalid values are kept and listed in `errors`")
    async def update(self, request: Request, application_id: FromPath[int],
                     data: JSONBody[ApplicationIn]) -> ApplicationOut:
        application = await service.update_application(application_id, application_input(data), actor=request.user,
                                                       policy=url_policy(request), now=received_at(request))
        return await application_out(application)

    @post("/applications/{application_id:int}/submit", status_code=200, summary="Submit before closes_at")
    async def submit(self, request: Request, application_id: FromPath[int],
                     data: JSONBody[SubmitIn | None] = None) -> SubmitOut:
        attestation = _(ATTESTATION) if data is not None and data.attestation else ""
        receipt = await submit_and_notify(request, application_id, attestation=attestation)
        # "submitted", or "under_review" again after a correction request found it there.
        state = (await application_for(request.user, application_id)).state
        return SubmitOut(id=application_id, state=state, receipt=receipt_out(receipt))

    @post("/applications/{application_id:int}/withdraw", status_code=200, summary="Withdraw before closes_at")
    async def withdraw(self, request: Request, application_id: FromPath[int]) -> ApplicationOut:
        application = await service.withdraw_application(application_id, actor=request.user, now=received_at(request))
        return await application_out(application)

    @post("/applications/{application_id:int}/reopen", status_code=200,
          summary="Back to draft before closes_at (the latest submitted version still counts)")
    async def reopen(self, request: Request, application_id: FromPath[int]) -> ApplicationOut:
        application = await service.reopen_application(application_id, actor=request.user, now=received_at(request))
        return await application_out(application)

    @post("/applications/{application_id:int}/co-applicants", status_code=201, summary="Invite a co-applicant")
    async def invite(self, request: Request, application_id: FromPath[int],
                     data: JSONBody[CoApplicantIn]) -> CoApplicantOut:
        row = await invite_and_notify(request, application_id, data.email)
        return CoApplicantOut(id=row.id, email=row.email)

    @delete("/applications/{application_id:int}/co-applicants/{co_id:int}", status_code=204,
            summary="Remove a co-applicant (owner)")
    async def remove_co_applicant(self, request: Request, application_id: FromPath[int], co_id: FromPath[int]) -> None:
        await service.remove_co_applicant(application_id, co_id, actor=request.user)

    @post("/applications/{application_id:int}/attachments", summary="Attach a PDF (multipart field `file`)",
          status_code=201, request_max_body_size=256 * 1024 * 1024, middleware=[upload_limit("attachment")])
    async def upload_attachment(self, request: Request, application_id: FromPath[int]) -> AttachmentOut:
        content, filename = await uploaded_file(request, "file")
        settings = request.app.state.settings
        row = await add_attachment(application_id, filename=filename, content=content, actor=request.user,
                                   var_dir=settings.var_dir, max_bytes=settings.attachment_max_bytes,
                                 now=received_at(request))
        return AttachmentOut(id=row.id, filename=row.filename, size=row.size, sha256=row.sha256,
                             url=f"/api/v1/applications/{application_id}/attachments/{row.id}")

    @delete("/applications/{application_id:int}/attachments/{attachment_id:int}", summary="Remove an attachment",
            status_code=204)
    async def delete_attachment(self, request: Request, application_id: FromPath[int],
                                attachment_id: FromPath[int]) -> None:
        await remove_attachment(application_id, attachment_id, actor=request.user, now=received_at(request))

    @get("/applications/{application_id:int}/attachments/{attachment_id:int}", summary="Download an attachment")
    async def attachment(self, request: Request, application_id: FromPath[int],
                         attachment_id: FromPath[int]) -> Response[bytes]:
        return await attachment_response(request, application_id, attachment_id)
