"""Reviewer pages (assignments, declaration, review form) and the applicant's decision page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.web.files import file_response
from app.web.forms import confirmation_page, confirmed, field_errors, form_data, redirect_with_flash
from app.web.guards import requires_login, requires_role
from app.web.templating import page
from registry.applications.attachments import attachments_dir
from registry.applications.pdf_metadata import strip_pdf_metadata
from registry.applications.tables import Attachment
from registry.errors import InvalidInput, NotFound
from registry.reviews import feedback, reviewing, scoring, views
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


def parse_criterion_comments(data: dict[str, str], criteria: list[Any]) -> dict[str, str]:
    """Form fields comment-<n> → {criterion name: text}; blank ones are left out."""
    return {c.name: data[f"comment-{i}"] for i, c in enumerate(criteria) if data.get(f"comment-{i}", "").strip()}


def _form_errors(error: InvalidInput, criteria: list[Any]) -> dict[str, str]:
    index = {f"scores.{c.name}": f"score-{i}" for i, c in enumerate(criteria)}
    index.update({f"criterion_comments.{c.name}": f"comment-{i}" for i, c in enumerate(criteria)})
    return {index.get(key, key): message for key, message in field_errors(error).items()}


def anchor_label(criterion: Any, score: float | None, language: str) -> str:
    """The anchor of a whole score in the reader's language (French when no English label)."""
    if score is None:
        return ""
    for anchor in criterion.anchors:
        if float(anchor["score"]) == float(score):
            return (anchor.get("label_en") if language == "en" else "") or anchor["label"]
    return ""


def _review_fields(data: dict[str, str], criteria: list[Any]) -> list[tuple[str, str]]:
    names = [f"score-{i}" for i in range(len(criteria))] + [f"comment-{i}" for i in range(len(criteria))]
    names += ["comment_applicant", "comment_committee", "confidence"]
    return [(name, data.get(name, "")) for name in names]


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
        for i, criterion in enumerate(view["criteria"]):
            text = review.get("criterion_comments", {}).get(criterion.name)
            if text:
                values[f"comment-{i}"] = text
    try:  # the requests for changes the manager let reviewers see (registry/enquiries/corrections.py)
        from registry.enquiries.corrections import thread_of

        corrections = await thread_of(int(assignment.application), actor=request.user)
    except NotFound:
        corrections = []
    return page("reviews/assignment.html", request, status_code=status_code, view=view, errors=errors or {},
                values=values, conflict_kinds=[(k, CONFLICT_KIND_LABELS[k]) for k in CONFLICT_KINDS],
                language=_language(request), corrections=corrections)


def _language(request: Request) -> str:
    from app.i18n import current_language

    return current_language.get()


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
        assignment = await assignment_for_reviewer(request.user, assignment_id)
        if conflict and not confirmed(data) and assignment.state in ("assigned", "no_conflict"):
            # Irreversible: confirm first, nothing stored yet (other states get the service's refusal).
            try:
                reviewing.check_declaration(conflict=True, kind=data.get("kind", ""), note=data.get("note", ""))
            except InvalidInput as error:
                return await assignment_page(request, assignment_id, status_code=422, errors=field_errors(error),
                                             values=data)
            view = await views.application_for_reviewer(assignment)
            return confirmation_page(
                request, heading=_("Confirmer le conflit d’intérêts"),
                message=_("Vous ne pourrez plus évaluer ce dossier ; le gestionnaire sera prévenu."),
                consequences=[
                    _("Candidature : %(title)s") % {"title": view["assignment"]["public_title"]},
                    _("Nature du conflit : %(kind)s") % {"kind": _(CONFLICT_KIND_LABELS[data["kind"]])},
                    _("L’attribution est libérée pour de bon : cette déclaration ne peut pas être annulée."),
                    _("Chaque gestionnaire du programme reçoit un courriel d’alerte.")],
                action=f"/reviews/assignments/{assignment_id}/declaration",
                fields={"conflict": "yes", "kind": data.get("kind", ""), "note": data.get("note", "")},
                confirm_label=_("Confirmer le conflit d’intérêts"), cancel_url=f"/reviews/assignments/{assignment_id}")
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
        if data.get("action") == "edit":  # back from the confirmation page: the form as it was, nothing saved
            return await assignment_page(request, assignment_id, values=data)
        if errors:
            return await assignment_page(request, assignment_id, status_code=422, errors=errors, values=data)
        confidence = data.get("confidence", "").strip()
        fields = dict(scores=scores, comment_applicant=data.get("comment_applicant", ""),
                      comment_committee=data.get("comment_committee", ""),
                      confidence=int(confidence) if confidence.isdigit() else (confidence or None), submit=submit,
                      criterion_comments=parse_criterion_comments(data, criteria))
        try:
            if submit and not confirmed(data):  # irreversible: a summary to confirm, nothing stored yet
                checked = await reviewing.check_review(assignment_id, actor=request.user, **fields)
                clean, level = checked[2], checked[3]
                language = _language(request)
                rows = [{"name": c.name, "score": clean.get(c.name), "scale_max": c.scale_max,
                         "anchor": anchor_label(c, clean.get(c.name), language)} for c in criteria]
                locked = _("Une fois remise, l’évaluation est verrouillée : vous ne pourrez plus la modifier.")
                return page("reviews/confirm.html", request, heading=_("Remettre l’évaluation"), message=locked,
                            consequences=[_("Seul un gestionnaire peut la rouvrir, en indiquant un motif."),
                                          _("Le commentaire pour le porteur lui sera transmis avec la décision.")],
                            summary={"rows": rows, "score": scoring.review_score(clean, criteria),
                                     "confidence": level},
                            action=f"/reviews/assignments/{assignment_id}/review",
                            hidden=_review_fields(data, criteria), action_field="submit",
                            confirm_label=_("Confirmer la remise"), back_label=_("Revenir au formulaire"),
                            cancel_url=f"/reviews/assignments/{assignment_id}")
            await reviewing.save_review(assignment_id, actor=request.user, **fields)
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
