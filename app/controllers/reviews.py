"""Reviewer pages (assignments, declaration, review form) and the applicant's decision page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.web.files import file_response
from app.web.forms import field_errors, form_data, redirect_with_flash
from app.web.guards import requires_login, requires_role
from app.web.templating import page
from registry.applications.attachments import attachments_dir
from registry.applications.pdf_metadata import strip_pdf_metadata
from registry.applications.tables import Attachment
from registry.errors import InvalidInput, NotFound
from registry.reviews import feedback, reviewing, views
from registry.reviews.access import assignment_for_reviewer, sees_full_application
from registry.reviews.reviewing import CONFLICT_KIND_LABELS
from registry.reviews.tables import CONFLICT_KINDS


def parse_scores(data: dict[str, str], criteria: list[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form fields score-<n> → {criterion name: number | None}; blank fields are left out."""
    scores: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for index, criterion in enumerate(criteria):
        raw = data.get(f"score-{index}", "").strip().replace(",", ".")
        if raw == "":
            continue
        if raw == "na":
            scores[criterion.name] = None
            continue
        try:
            scores[criterion.name] = float(raw)
        except ValueError:
            errors[f"score-{index}"] = "La note doit être un nombre ou « non applicable »."
    return scores, errors


def _form_errors(error: InvalidInput, criteria: list[Any]) -> dict[str, str]:
    index = {f"scores.{c.name}": f"score-{i}" for i, c in enumerate(criteria)}
    return {index.get(key, key): message for key, message in field_errors(error).items()}


async def assignment_page(request: Request, assignment_id: int, *, status_code: int = 200,
                          errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Template:
    assignment = await assignment_for_reviewer(request.user, assignment_id)
    view = await views.application_for_reviewer(assignment)
    review = view["review"] or {}
    if values is None:
        values = {"comment_applicant": review.get("comment_applicant", ""),
                  "comment_committee": review.get("comment_committee", ""),
                  "confidence": str(review.get("confidence") or "")}
        for i, criterion in enumerate(view["criteria"]):
            scores = review.get("scores", {})
            if criterion.name in scores:
                score = scores[criterion.name]
                values[f"score-{i}"] = "na" if score is None else f"{score:g}"
    return page("reviews/assignment.html", request, status_code=status_code, view=view, errors=errors or {},
                values=values, conflict_kinds=[(k, CONFLICT_KIND_LABELS[k]) for k in CONFLICT_KINDS])


class ReviewerPages(Controller):
    path = "/reviews"
    guards = [requires_role("reviewer")]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return page("reviews/index.html", request, assignments=await views.my_assignments(request.user.id))

    @get("/assignments/{assignment_id:int}")
    async def assignment(self, request: Request, assignment_id: FromPath[int]) -> Template:
        return await assignment_page(request, assignment_id)

    @post("/assignments/{assignment_id:int}/declaration")
    async def declare(self, request: Request, assignment_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        conflict = data.get("conflict") == "yes"
        try:
            await reviewing.declare(assignment_id, actor=request.user, conflict=conflict, kind=data.get("kind", ""),
                                    note=data.get("note", ""),
                                    attest_confidentiality=data.get("confidentiality") == "on",
                                    mailer=request.app.state.mailer, base_url=request.app.state.settings.base_url)
        except InvalidInput as error:
            return await assignment_page(request, assignment_id, status_code=422, errors=field_errors(error),
                                         values=data)
        code = "review_conflict_declared" if conflict else "review_no_conflict_declared"
        return redirect_with_flash(f"/reviews/assignments/{assignment_id}", code)

    @post("/assignments/{assignment_id:int}/review")
    async def save(self, request: Request, assignment_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        assignment = await assignment_for_reviewer(request.user, assignment_id)
        criteria = await reviewing.criteria_specs(int(assignment.call))
        scores, errors = parse_scores(data, criteria)
        submit = data.get("action") == "submit"
        if errors:
            return await assignment_page(request, assignment_id, status_code=422, errors=errors, values=data)
        confidence = data.get("confidence", "").strip()
        try:
            await reviewing.save_review(
                assignment_id, actor=request.user, scores=scores, comment_applicant=data.get("comment_applicant", ""),
                comment_committee=data.get("comment_committee", ""),
                confidence=int(confidence) if confidence.isdigit() else (confidence or None), submit=submit)
        except InvalidInput as error:
            return await assignment_page(request, assignment_id, status_code=422,
                                         errors=_form_errors(error, criteria), values=data)
        return redirect_with_flash(f"/reviews/assignments/{assignment_id}",
                                   "review_submitted" if submit else "review_saved")

    @get("/assignments/{assignment_id:int}/attachments/{attachment_id:int}")
    async def attachment(self, request: Request, assignment_id: FromPath[int],
                         attachment_id: FromPath[int]) -> Response[bytes]:
        assignment = await assignment_for_reviewer(request.user, assignment_id)
        if not sees_full_application(assignment):
            raise NotFound("Pièce jointe introuvable.")
        rows = await Attachment.objects().where(Attachment.application == assignment.application).order_by(
            Attachment.id)
        position = next((i for i, row in enumerate(rows, start=1) if row.id == attachment_id), None)
        if position is None:
            raise NotFound("Pièce jointe introuvable.")
        row = rows[position - 1]
        call = await reviewing.call_of(int(assignment.call))
        path = attachments_dir(request.app.state.settings.var_dir) / row.stored_name
        if not path.is_file():
            raise NotFound("Pièce jointe introuvable.")
        if call.blind:  # no file name, no document metadata; the stored file stays as uploaded
            return file_response(strip_pdf_metadata(path.read_bytes()), f"piece-jointe-{position}.pdf",
                                 "application/pdf")
        return file_response(path.read_bytes(), row.filename, "application/pdf")


class DecisionPages(Controller):
    path = "/decisions"
    guards = [requires_login]
    include_in_schema = False

    @get("/{application_id:int}")
    async def decision(self, request: Request, application_id: FromPath[int]) -> Template:
        data = await feedback.feedback_for_applicant(request.user, application_id)
        return page("reviews/decision.html", request, decision=data)
