"""Applicant pages: start a draft, edit (with autosave), attach PDFs, submit, receipt, withdraw, reopen."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.engine import engine_finder

from app.controllers.registry_pages import LABEL_CATEGORIES
from app.i18n import current_language, translate_stored
from app.i18n import gettext as _
from app.timefmt import format_when
from app.web.files import file_response, upload_limit
from app.web.forms import (
    confirmation_page,
    confirmed,
    field_errors,
    form_lists,
    redirect_with_flash,
    uploaded_file,
)
from app.web.guards import requires_login, requires_role
from app.web.middleware import received_at
from app.web.receipt_pdf import receipt_pdf
from app.web.templating import page
from registry.accounts.permissions import is_staff
from registry.accounts.tables import User
from registry.applications import queries, service
from registry.applications.attachments import add_attachment, attachment_for, attachments_of, remove_attachment
from registry.applications.permissions import NOT_FOUND, application_for, can_manage_team, is_applicant
from registry.applications.service import ApplicationInput, pending_of
from registry.applications.state import STATE_LABELS, can_be_reopened, can_be_withdrawn
from registry.applications.submission import (
    ATTESTATION,
    Receipt,
    latest_receipt,
    submission_problems,
    submit_application,
    versions_of,
)
from registry.applications.tables import Application, ApplicationVersion, CoApplicant
from registry.applications.validation import UrlPolicy
from registry.calls.jsonfield import json_list
from registry.calls.paris import PARIS
from registry.calls.questions import answer_rows, answers_of, questions_of, sections, version_questions
from registry.calls.service import call_by_slug
from registry.calls.state import accepts_submissions, call_state
from registry.calls.tables import Call
from registry.db import write_transaction
from registry.enquiries.corrections import correction_context
from registry.errors import Conflict, InvalidInput, NotFound
from registry.labels.tables import Label

TEXT_FIELDS = ("title", "public_title", "public_summary", "description", "requested_amount", "licence",
               "org_name", "org_siren", "org_ror")


def url_policy(request: Request) -> UrlPolicy:
    settings = request.app.state.settings
    return UrlPolicy(allowed_hosts=("github.com", *settings.gitlab_hosts, *settings.allowed_forge_hosts),
                     allow_loopback=settings.allow_loopback_forges)


async def sees_receipt(actor: Any, application: Any) -> bool:
    """The receipt is the applicants' proof of what they sent: owner, co-applicants and staff only."""
    return is_staff(actor) or await is_applicant(actor, application)


async def notify_submission(request: Request, receipt: Receipt) -> None:
    """The receipt email to the owner (and to the co-applicant who submitted, if not the owner)."""
    application = await Application.select().where(Application.id == receipt.application_id).first()
    call = await Call.objects().where(Call.id == application["call"]).first()
    owner = await User.objects().where(User.id == application["owner"]).first()
    recipients = {owner.email: owner}
    if request.user.email not in recipients:
        recipients[request.user.email] = None
    settings = request.app.state.settings
    for email, user in recipients.items():
        await request.app.state.mailer.send(
            to=email, template="application_submitted", language=(user.locale if user else "fr") or "fr",
            object_type="application", object_id=receipt.application_id,
            context={"name": user.name if user else request.user.name, "title": application["title"],
                     "call_title": call.title_fr, "submitted_at": receipt.submitted_at.astimezone(PARIS),
                     "sha256": receipt.sha256, "version": receipt.version,
                     "link": f"{settings.base_url}/applications/{receipt.application_id}/receipt"})


async def submit_and_notify(request: Request, application_id: int, *, attestation: str = "") -> Receipt:
    """The submission, its audit entry and its receipt mails commit together."""
    async with write_transaction(engine_finder()):
        receipt = await submit_application(application_id, actor=request.user, now=received_at(request),
                                           attestation=attestation, base_url=request.app.state.settings.base_url)
        await notify_submission(request, receipt)
    return receipt


async def invite_and_notify(request: Request, application_id: int, email: str) -> CoApplicant:
    async with write_transaction(engine_finder()):
        row = await service.invite_co_applicant(application_id, email, actor=request.user)
        await notify_invitation(request, application_id, row.email)
    return row


async def notify_invitation(request: Request, application_id: int, email: str) -> None:
    application = await Application.select(Application.title, Application.call.title_fr).where(
        Application.id == application_id).first()
    await request.app.state.mailer.send(
        to=email, template="application_invitation", language="fr", object_type="application",
        object_id=application_id,
        context={"inviter": request.user.name, "title": application["title"],
                 "call_title": application["call.title_fr"],
                 "link": f"{request.app.state.settings.base_url}/applications/{application_id}"})


async def attachment_response(request: Request, application_id: int, attachment_id: int) -> Response[bytes]:
    row, path = await attachment_for(request.user, application_id, attachment_id, request.app.state.settings.var_dir)
    return file_response(path.read_bytes(), row.filename, "application/pdf")


def form_input(data: dict[str, list[str]]) -> ApplicationInput:
    first = {name: (data.get(name) or [""])[0] for name in TEXT_FIELDS}
    repositories = [line.strip() for block in data.get("repositories", []) for line in block.splitlines()]
    return ApplicationInput(
        title=first["title"], public_title=first["public_title"], public_summary=first["public_summary"],
        description=first["description"], requested_amount=first["requested_amount"] or None,
        clear_amount=not first["requested_amount"].strip(), repositories=repositories, licence=first["licence"],
        labels=data.get("labels", []), org_name=first["org_name"], org_siren=first["org_siren"],
        org_ror=first["org_ror"])


def form_answers(data: dict[str, list[str]], questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers sent by the form (`answers.<key>`): lists for multiple choices, else the first
    non-empty value ("" clears). Questions absent from the form are not sent."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = f"answers.{question['key']}"
        if name not in data:
            continue
        sent = [v for v in data[name] if v.strip()]
        answers[question["key"]] = sent if question["kind"] == "multi_choice" else (sent[0] if sent else "")
    return answers


def answer_form_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return [str(v) for v in value]
    return "" if value is None else str(value)


def typed_values(data: dict[str, list[str]], questions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {name: (data.get(name) or [""])[0] for name in TEXT_FIELDS}
    values["repositories"] = "\n".join(data.get("repositories", []))
    values["labels"] = data.get("labels", [])
    values["answers"] = {key: answer_form_value(v) for key, v in form_answers(data, questions or []).items()}
    return values


async def stored_values(application: Any) -> dict[str, Any]:
    return {"title": application.title, "public_title": application.public_title,
            "public_summary": application.public_summary, "description": application.description,
            "requested_amount": "" if application.requested_amount is None else str(application.requested_amount),
            "licence": application.licence, "org_name": application.org_name, "org_siren": application.org_siren,
            "org_ror": application.org_ror, "repositories": "\n".join(json_list(application.repositories)),
            "labels": await queries.label_slugs(application.id),
            "answers": {key: answer_form_value(v) for key, v in answers_of(application.answers).items()}}


def form_name(field: str) -> str:
    """Form ids use org_* names; the domain names organisation fields like the API does."""
    return field.replace("organisation.", "org_")


def raw_form_value(field: str, raw: Any) -> Any:
    if field == "repositories":
        return "\n".join(raw) if isinstance(raw, list) else str(raw)
    if field == "labels":
        return list(raw) if isinstance(raw, list) else []
    return "" if raw is None else str(raw)


async def draft_values(application: Any) -> dict[str, Any]:
    """What the applicant last typed: stored values, with invalid ones kept as typed in their place."""
    values = await stored_values(application)
    for field, item in pending_of(application).items():
        if field.startswith("answers."):
            values["answers"][field.removeprefix("answers.")] = answer_form_value(item.get("raw"))
            continue
        values[form_name(field)] = raw_form_value(field, item.get("raw"))
    return values


def draft_errors(application: Any) -> dict[str, str]:
    # translate_stored: stored messages may be catalogue messages with their parameters filled in.
    return {form_name(field): translate_stored(item["message"]) for field, item in pending_of(application).items()}


async def form_page(request: Request, application: Any, values: dict[str, Any], errors: dict[str, str], *,
                    status_code: int = 200, missing: list | None = None, notice: str = "") -> Template:
    call = await Call.objects().where(Call.id == application.call).first()
    all_labels = await Label.select().order_by(Label.category).order_by(Label.position)
    english = current_language.get() == "en"
    groups: dict[str, list[tuple[str, str]]] = {}
    # Retired labels are offered only to a draft that already holds them, with a notice.
    held = set(await queries.label_slugs(application.id)) | set(values.get("labels") or [])
    retired_held: list[str] = []
    for label in all_labels:
        name = label["name_en"] if english and label["name_en"] else label["name_fr"]
        if label["retired_at"] is not None:
            if label["slug"] not in held:
                continue
            retired_held.append(name)
            name = f"{name} ({_('étiquette retirée')})"
        groups.setdefault(label["category"], []).append((label["slug"], name))
    label_groups = [(_(LABEL_CATEGORIES.get(category, category)), options) for category, options in groups.items()]
    return page("calls/application_form.html", request, status_code=status_code, application=application,
                call=call, values=values, question_groups=sections(questions_of(call.questions)),
                errors=errors, missing=missing or [], notice=notice,
                all_labels=all_labels, files=await attachments_of(application.id),
                versions=await versions_of(application.id), label_groups=label_groups, retired_labels=retired_held,
                has_pending=bool(pending_of(application)) and application.state == "draft",
                open=accepts_submissions(call, _now()), max_mb=request.app.state.settings.attachment_max_bytes
                // (1024 * 1024), labels=STATE_LABELS,
                **await correction_context(request.user, application))


async def upload_too_large_page(request: Request, message: str) -> Template:
    """The form again, the message next to the file field (413): the body was refused unread."""
    application = await application_for(request.user, int(request.path_params["application_id"]), edit=True)
    return await form_page(request, application, await draft_values(application),
                           {**draft_errors(application), "attachment": message}, status_code=413)


def page_errors(error: InvalidInput) -> dict[str, str]:
    return {form_name(name): message for name, message in field_errors(error).items()}


async def recap_context(request: Request, application: Any) -> dict[str, Any]:
    """Everything the recap shows: what will be submitted, and what still blocks it."""
    call = await Call.objects().where(Call.id == application.call).first()
    problems = (await submission_problems(application)
                if application.state in ("draft", "correction_requested") else [])
    label_rows = await Label.select(Label.slug, Label.name_fr, Label.name_en).where(
        Label.slug.is_in(await queries.label_slugs(application.id) or [""]))
    files = await attachments_of(application.id)
    version = application.questions_version if application.state != "draft" else None
    answers = answer_rows(version_questions(call.to_dict(), version), answers_of(application.answers),
                          attachments={f["id"]: f["filename"] for f in files})
    return {"application": application, "call": call, "values": await stored_values(application),
            "answer_rows": answers,
            "label_rows": label_rows, "team": await queries.co_applicants(application.id),
            "files": await attachments_of(application.id), "versions": await versions_of(application.id),
            "problems": [(form_name(p.field), translate_stored(p.message)) for p in problems],
            "open": accepts_submissions(call, _now()), "attestation_text": _(ATTESTATION), "labels": STATE_LABELS,
            **await correction_context(request.user, application)}


class ApplicationPages(Controller):
    include_in_schema = False
    guards = [requires_login]

    @get("/calls/{slug:str}/apply", guards=[requires_role("applicant")])
    async def apply_form(self, request: Request, slug: FromPath[str]) -> Template:
        call = await call_by_slug(slug)
        if call.status == "draft":
            raise NotFound("Appel introuvable.")
        return page("calls/apply.html", request, call=call, state=call_state(call))

    @post("/calls/{slug:str}/apply", guards=[requires_role("applicant")])
    async def apply(self, request: Request, slug: FromPath[str]) -> Redirect:
        application = await service.create_application(slug, ApplicationInput(), actor=request.user,
                                                       policy=url_policy(request), now=received_at(request))
        return redirect_with_flash(f"/applications/{application.id}/edit", "application_started")

    @get("/applications")
    async def mine(self, request: Request) -> Template:
        rows, total = await queries.list_applications(request.user, mine_only=True, per_page=100)
        return page("calls/my_applications.html", request, rows=rows, total=total, labels=STATE_LABELS)

    @get("/applications/{application_id:int}")
    async def show(self, request: Request, application_id: FromPath[int]) -> Template:
        return await self._show(request, application_id)

    async def _show(self, request: Request, application_id: int, *, status_code: int = 200,
                    team_errors: dict[str, str] | None = None, **extra: Any) -> Template:
        application = await application_for(request.user, application_id)
        call = await Call.objects().where(Call.id == application.call).first()
        applicant = await is_applicant(request.user, application)
        version = application.questions_version if application.state != "draft" else None
        answers = answer_rows(version_questions(call.to_dict(), version), answers_of(application.answers),
                              attachments={f["id"]: f["filename"] for f in await attachments_of(application.id)})
        return page("calls/application.html", request, status_code=status_code, application=application, call=call,
                    answer_rows=answers,
                    values=await stored_values(application), labels=STATE_LABELS,
                    versions=await versions_of(application.id), files=await attachments_of(application.id),
                    team=await queries.co_applicants(application.id), is_applicant=applicant,
                    manages_team=can_manage_team(request.user, application), staff=is_staff(request.user),
                    open=accepts_submissions(call, _now()), can_withdraw=applicant and can_be_withdrawn(
                        application.state), can_reopen=applicant and can_be_reopened(application.state),
                    team_errors=team_errors or {}, **await correction_context(request.user, application), **extra)

    @get("/applications/{application_id:int}/edit")
    async def edit_form(self, request: Request, application_id: FromPath[int]) -> Template:
        application = await application_for(request.user, application_id, edit=True)
        return await self._form(request, application, await draft_values(application), draft_errors(application))

    async def _form(self, request: Request, application: Any, values: dict[str, Any], errors: dict[str, str], *,
                    status_code: int = 200, missing: list | None = None, notice: str = "") -> Template:
        return await form_page(request, application, values, errors, status_code=status_code, missing=missing,
                               notice=notice)

    @post("/applications/{application_id:int}/edit")
    async def save(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        action = (data.get("action") or ["save"])[0]
        application = await application_for(request.user, application_id, edit=True)
        call = await Call.objects().where(Call.id == application.call).first()
        questions = questions_of(call.questions)
        sent = form_input(data)
        sent.answers = form_answers(data, questions)
        try:
            application = await service.update_application(application_id, sent, actor=request.user,
                                                           policy=url_policy(request), now=received_at(request))
        except InvalidInput as error:
            return await self._form(request, application, typed_values(data, questions), page_errors(error),
                                    status_code=422)
        except Conflict as error:
            return await self._form(request, application, typed_values(data, questions), {}, status_code=409,
                                    notice=_(error.detail))
        if action == "submit":  # "Vérifier et déposer": the recap is the confirmation step
            return Redirect(f"/applications/{application_id}/recap", status_code=303)
        code = "application_saved_with_errors" if pending_of(application) else "application_saved"
        return redirect_with_flash(f"/applications/{application_id}/edit", code)

    @get("/applications/{application_id:int}/recap")
    async def recap(self, request: Request, application_id: FromPath[int]) -> Template:
        application = await application_for(request.user, application_id, edit=True)
        return page("calls/recap.html", request, **await recap_context(request, application), errors={})

    @post("/applications/{application_id:int}/submit")
    async def submit(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        application = await application_for(request.user, application_id, edit=True)
        # The recap is rebuilt only to redisplay it; submitting checks everything again under its lock.
        if (data.get("attestation") or [""])[0] != "on":
            return page("calls/recap.html", request, status_code=422, **await recap_context(request, application),
                        errors={"attestation": _("Cochez l’attestation sur l’honneur pour déposer la candidature.")})
        try:
            await submit_and_notify(request, application_id, attestation=_(ATTESTATION))
        except InvalidInput as error:
            context = await recap_context(request, application)
            context["problems"] = [(form_name(e.field), translate_stored(e.message)) for e in error.errors]
            return page("calls/recap.html", request, status_code=422, **context, errors={})
        except Conflict as error:
            return page("calls/recap.html", request, status_code=409, **await recap_context(request, application),
                        errors={}, notice=_(error.detail))
        return redirect_with_flash(f"/applications/{application_id}/receipt", "application_submitted")

    @get("/applications/{application_id:int}/receipt")
    async def receipt(self, request: Request, application_id: FromPath[int]) -> Template:
        application = await application_for(request.user, application_id)
        if not await sees_receipt(request.user, application):
            raise NotFound(NOT_FOUND)  # the same answer as for a missing application
        versions = await versions_of(application.id)
        if not versions:
            raise NotFound("Aucune version soumise pour cette candidature.")
        call = await Call.objects().where(Call.id == application.call).first()
        receipt = await latest_receipt(application.id)
        submitted = json.loads(receipt.content) if receipt else {}
        files = {f["id"]: f["filename"] for f in await attachments_of(application.id)}
        answers = answer_rows(version_questions(call.to_dict(), submitted.get("questions_version")),
                              submitted.get("answers") or {}, attachments=files)
        return page("calls/receipt.html", request, application=application, call=call, version=versions[0],
                    labels=STATE_LABELS, answer_rows=answers, questions_version=submitted.get("questions_version"))

    @get("/applications/{application_id:int}/receipt.pdf")
    async def receipt_download(self, request: Request, application_id: FromPath[int]) -> Response[bytes]:
        application = await application_for(request.user, application_id)
        if not await sees_receipt(request.user, application):
            raise NotFound(NOT_FOUND)  # the same answer as for a missing application
        version = await ApplicationVersion.select().where(ApplicationVersion.application == application.id).order_by(
            ApplicationVersion.number, ascending=False).first()
        if version is None:
            raise NotFound("Aucune version soumise pour cette candidature.")
        call = await Call.objects().where(Call.id == application.call).first()
        owner = await User.select(User.name).where(User.id == application.owner).first()
        english = current_language.get() == "en"
        names = {row["slug"]: (row["name_en"] if english and row["name_en"] else row["name_fr"])
                 for row in await Label.select(Label.slug, Label.name_fr, Label.name_en)}
        submitted = json.loads(version["content"])
        content = receipt_pdf(version=version, call=call, owner_name=owner["name"] if owner else "",
                              label_names=names,
                              questions=version_questions(call.to_dict(), submitted.get("questions_version")))
        stem = _("attestation-de-depot")
        name = f"{stem}-{application.id}-v{version['number']}.pdf"
        return file_response(content, name, "application/pdf")

    @post("/applications/{application_id:int}/withdraw")
    async def withdraw(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        """Irreversible for this submission: without `confirm=1` the answer is the confirmation page."""
        if not confirmed(await form_lists(request)):
            application = await application_for(request.user, application_id, edit=True)
            call = await Call.objects().where(Call.id == application.call).first()
            versions = await versions_of(application.id)
            consequences = [_("La version déposée (n° {number}) ne comptera plus.").format(
                number=versions[0]["number"])] if versions else []
            consequences += [
                _("Pour candidater de nouveau, il faudra la rouvrir puis la déposer à nouveau avant la date limite :")
                + " " + format_when(call.closes_at, current_language.get(), fmt="full") + ".",
                _("Les versions déjà déposées et leurs accusés de réception restent consultables.")]
            return confirmation_page(
                request, heading=_("Retirer la candidature ?"), action=f"/applications/{application_id}/withdraw",
                message=_("La candidature « {title} » sera retirée de l’appel « {call} » : elle ne sera pas "
                          "évaluée.").format(title=application.title or _("(sans titre)"), call=call.title_fr),
                consequences=consequences, cancel_url=f"/applications/{application_id}",
                confirm_label=_("Retirer la candidature"))
        await service.withdraw_application(application_id, actor=request.user, now=received_at(request))
        return redirect_with_flash(f"/applications/{application_id}", "application_withdrawn")

    @post("/applications/{application_id:int}/reopen")
    async def reopen(self, request: Request, application_id: FromPath[int]) -> Redirect:
        await service.reopen_application(application_id, actor=request.user, now=received_at(request))
        return redirect_with_flash(f"/applications/{application_id}/edit", "application_reopened")

    @post("/applications/{application_id:int}/attachments", request_max_body_size=256 * 1024 * 1024,
          middleware=[upload_limit("attachment", upload_too_large_page)])
    async def upload(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        application = await application_for(request.user, application_id, edit=True)
        content, filename = await uploaded_file(request, "attachment")
        settings = request.app.state.settings
        try:
            await add_attachment(application_id, filename=filename, content=content, actor=request.user,
                                 var_dir=settings.var_dir, max_bytes=settings.attachment_max_bytes,
                                 now=received_at(request))
        except InvalidInput as error:
            return await self._form(request, application, await draft_values(application),
                                    {**draft_errors(application), **page_errors(error)}, status_code=422)
        return redirect_with_flash(f"/applications/{application_id}/edit#attachments", "attachment_added")

    @post("/applications/{application_id:int}/attachments/{attachment_id:int}/delete")
    async def delete_attachment(self, request: Request, application_id: FromPath[int],
                                attachment_id: FromPath[int]) -> Redirect:
        await remove_attachment(application_id, attachment_id, actor=request.user, now=received_at(request))
        return redirect_with_flash(f"/applications/{application_id}/edit#attachments", "attachment_removed")

    @get("/applications/{application_id:int}/attachments/{attachment_id:int}")
    async def download(self, request: Request, application_id: FromPath[int],
                       attachment_id: FromPath[int]) -> Response[bytes]:
        return await attachment_response(request, application_id, attachment_id)

    @post("/applications/{application_id:int}/co-applicants")
    async def invite(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        try:
            await invite_and_notify(request, application_id, (data.get("email") or [""])[0])
        except InvalidInput as error:
            return await self._show(request, application_id, status_code=422, team_errors=field_errors(error))
        return redirect_with_flash(f"/applications/{application_id}#team", "co_applicant_added")

    @post("/applications/{application_id:int}/co-applicants/{co_id:int}/delete")
    async def remove_co_applicant(self, request: Request, application_id: FromPath[int],
                                  co_id: FromPath[int]) -> Redirect:
        await service.remove_co_applicant(application_id, co_id, actor=request.user)
        return redirect_with_flash(f"/applications/{application_id}#team", "co_applicant_removed")


def _now() -> datetime:
    return datetime.now(UTC)


