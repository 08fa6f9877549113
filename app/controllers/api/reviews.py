"""Review API: assignments, declarations, reviews, ranking, decisions and their release."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.controllers.api.calls import check_paging
from app.web.guards import requires_login, requires_role, requires_staff
from registry.calls.paris import iso
from registry.reviews import assigning, decisions, feedback, ranking, reviewing, views
from registry.reviews.access import assignment_for_reviewer, call_of
from registry.reviews.tables import Assignment


class AssignmentIn(msgspec.Struct):
    reviewer: str
    due_at: datetime | None = None
    note: str = ""


class AssignmentOut(msgspec.Struct):
    id: int
    application_id: int
    state: str
    public_title: str
    call: str
    due_at: str | None
    declared_at: str | None
    reason: str | None = None
    automatic: bool | None = None
    reviewer: str | None = None
    late: bool = False


class AssignmentPage(msgspec.Struct):
    items: list[AssignmentOut]
    total: int
    page: int
    per_page: int


class AutoOut(msgspec.Struct):
    items: list[AssignmentOut]
    total: int


class DeclarationIn(msgspec.Struct):
    conflict: bool
    kind: str = ""
    note: str = ""
    # Sending {"conflict": false} is the reviewer's confidentiality undertaking.
    confidentiality_attested: bool = True


class ReviewIn(msgspec.Struct):
    scores: dict[str, Any] = {}
    comment_applicant: str = ""
    comment_committee: str = ""
    confidence: int | None = None
    submit: bool = False
    # {criterion name: comment for the committee}; optional.
    criterion_comments: dict[str, str] | None = None


class ReviewOut(msgspec.Struct):
    assignment_id: int
    state: str
    scores: dict[str, float | None]
    score: float | None
    comment_applicant: str
    comment_committee: str
    confidence: int | None
    submitted_at: str | None
    criterion_comments: dict[str, str] = {}


class OtherReview(msgspec.Struct):
    number: int
    scores: dict[str, float | None]
    score: float | None
    comment_applicant: str
    comment_committee: str
    confidence: int | None


class AssignmentDetail(msgspec.Struct):
    assignment: AssignmentOut
    application: dict[str, Any] | None
    applicant: dict[str, Any] | None
    criteria: list[dict[str, Any]]
    review: ReviewOut | None
    others: list[OtherReview] | None


class RankingItem(msgspec.Struct):
    rank: int
    application_id: int
    public_title: str
    reviews: int
    review_scores: list[float | None]
    score_mean: float | None
    score_median: float | None
    score_stdev: float | None
    score_min: float | None
    score_max: float | None
    eliminated: bool
    eliminated_by: list[str]
    disagreement: bool


class RankingOut(msgspec.Struct):
    call: str
    items: list[RankingItem]
    total: int


class DecisionIn(msgspec.Struct):
    outcome: str
    amount: int | None = None
    reason: str = ""


class Budget(msgspec.Struct):
    budget: int
    funded_total: int
    remaining: int
    over_budget: bool


class DecisionOut(msgspec.Struct):
    application_id: int
    outcome: str
    amount: int | None
    reason: str
    state: str
    budget: Budget
    warning: str | None = None


class ReleaseOut(msgspec.Struct):
    released: int
    funded: int
    rejected: int
    projects: list[str]


class FeedbackOut(msgspec.Struct):
    application_id: int
    outcome: str
    amount: int | None
    reason: str
    released_at: str | None
    comments: list[str]
    project: str | None


def assignment_out(row: dict[str, Any], *, staff: bool = False, reviewer_email: str | None = None) -> AssignmentOut:
    return AssignmentOut(
        id=row["id"], application_id=row["application_id"], state=row["state"], public_title=row["public_title"],
        call=row["call_slug"], due_at=iso(row["due_at"]), declared_at=iso(row["declared_at"]),
        reason=row.get("reason") if staff else None, automatic=row.get("automatic") if staff else None,
        reviewer=reviewer_email, late=bool(row.get("late")))


async def _staff_assignment_out(assignment: Assignment) -> AssignmentOut:
    summary = await views.assignment_summary(assignment)
    return assignment_out(summary, staff=True, reviewer_email=summary["reviewer_email"])


def review_out(assignment_id: int, review: dict[str, Any]) -> ReviewOut:
    return ReviewOut(assignment_id=assignment_id, state=review["state"], scores=review["scores"],
                     score=None if review["score"] is None else round(review["score"], 2),
                     comment_applicant=review["comment_applicant"], comment_committee=review["comment_committee"],
                     confidence=review["confidence"], submitted_at=iso(review["submitted_at"]),
                     criterion_comments=dict(review.get("criterion_comments") or {}))


def _base_url(request: Request) -> str:
    return request.app.state.settings.base_url


class ReviewsApi(Controller):
    path = "/api/v1"
    tags = ["évaluation"]

    @post("/applications/{application_id:int}/assignments", guards=[requires_staff], status_code=201)
    async def assign(self, request: Request, application_id: FromPath[int],
                     data: JSONBody[AssignmentIn]) -> AssignmentOut:
        """Assigns a reviewer (by email) to an application; refused when conflicted."""
        assignment = await assigning.assign_reviewer(application_id, data.reviewer, actor=request.user,
                                                     mailer=request.app.state.mailer, due_at=data.due_at,
                                                     note=data.note, base_url=_base_url(request))
        return await _staff_assignment_out(assignment)

    @post("/calls/{slug:str}/assignments/auto", guards=[requires_staff], status_code=201)
    async def auto(self, request: Request, slug: FromPath[str]) -> AutoOut:
        """Completes every application of the call to its number of reviewers, balanced."""
        created = await assigning.assign_call_automatically(slug, actor=request.user, mailer=request.app.state.mailer,
                                                             base_url=_base_url(request))
        items = [await _staff_assignment_out(a) for a in created]
        return AutoOut(items=items, total=len(items))

    @get("/assignments", guards=[requires_role("reviewer")])
    async def mine(self, request: Request, page: FromQuery[int] = 1, per_page: FromQuery[int] = 20) -> AssignmentPage:
        """The reviewer's own assignments."""
        check_paging(page, per_page)
        rows = await views.my_assignments(request.user.id)
        chunk = rows[(page - 1) * per_page: page * per_page]
        return AssignmentPage(items=[assignment_out(r) for r in chunk], total=len(rows), page=page,
                              per_page=per_page)

    @get("/assignments/{assignment_id:int}", guards=[requires_role("reviewer")])
    async def detail(self, request: Request, assignment_id: FromPath[int]) -> AssignmentDetail:
        """Only the public title until "no conflict" is declared; no identity in blind calls."""
        assignment = await assignment_for_reviewer(request.user, assignment_id)
        view = await views.application_for_reviewer(assignment)
        review = view["review"]
        return AssignmentDetail(
            assignment=assignment_out(view["assignment"]), application=view["application"],
            applicant=view["applicant"],
            criteria=[{"name": c.name, "weight": c.weight, "scale_max": c.scale_max,
                       "eliminatory_below": c.eliminatory_below, "description": c.description,
                       "description_en": c.description_en, "anchors": list(c.anchors)} for c in view["criteria"]],
            review=review_out(assignment.id, review) if review else None,
            others=None if view["others"] is None else [
                OtherReview(number=o["number"], scores=o["scores"],
                            score=None if o["score"] is None else round(o["score"], 2),
                            comment_applicant=o["comment_applicant"], comment_committee=o["comment_committee"],
                            confidence=o["confidence"]) for o in view["others"]])

    @post("/assignments/{assignment_id:int}/declaration", guards=[requires_role("reviewer")], status_code=200)
    async def declare(self, request: Request, assignment_id: FromPath[int],
                      data: JSONBody[DeclarationIn]) -> AssignmentOut:
        """{conflict: false} (confidentiality undertaking) or {conflict: true, kind, note}."""
        assignment = await reviewing.declare(
            assignment_id, actor=request.user, conflict=data.conflict, kind=data.kind, note=data.note,
            attest_confidentiality=data.confidentiality_attested, mailer=request.app.state.mailer,
            base_url=_base_url(request))
        view = await views.application_for_reviewer(assignment)
        return assignment_out(view["assignment"])

    @put("/assignments/{assignment_id:int}/review", guards=[requires_role("reviewer")])
    async def review(self, request: Request, assignment_id: FromPath[int], data: JSONBody[ReviewIn]) -> ReviewOut:
        """Saves a draft, or submits (locks) with `submit: true`; null scores are "not applicable"."""
        saved = await reviewing.save_review(
            assignment_id, actor=request.user, scores=data.scores, comment_applicant=data.comment_applicant,
            comment_committee=data.comment_committee, confidence=data.confidence, submit=data.submit,
            criterion_comments=data.criterion_comments)
        return review_out(assignment_id, {"state": saved.state, "scores": saved.scores, "score": saved.score,
                                          "comment_applicant": saved.comment_applicant,
                                          "criterion_comments": saved.criterion_comments,
                                          "comment_committee": saved.comment_committee,
                                          "confidence": saved.confidence, "submitted_at": saved.submitted_at})

    @get("/calls/{slug:str}/ranking", guards=[requires_staff])
    async def ranking(self, request: Request, slug: FromPath[str]) -> RankingOut:
        """Sorted by score_mean, highest first; scores on 0–100, rounded to 2 decimals."""
        lines = await ranking.call_ranking(slug)
        items = [RankingItem(**{key: line[key] for key in RankingItem.__struct_fields__}) for line in lines]
        return RankingOut(call=slug, items=items, total=len(items))

    @put("/applications/{application_id:int}/decision", guards=[requires_staff])
    async def decide(self, request: Request, application_id: FromPath[int], data: JSONBody[DecisionIn]) -> DecisionOut:
        """Prepares (or replaces) a decision; released later in one batch."""
        decision = await decisions.prepare_decision(application_id, outcome=data.outcome, amount=data.amount,
                                                    reason=data.reason, actor=request.user)
        call = await call_of(int(decision.call))
        budget = await decisions.budget_summary(call)
        return DecisionOut(
            application_id=application_id, outcome=decision.outcome, amount=decision.amount, reason=decision.reason,
            state=decision.state, budget=Budget(budget=budget["budget"], funded_total=budget["funded_total"],
                                                remaining=budget["remaining"], over_budget=budget["over_budget"]),
            warning="Le total des financements dépasse le budget de l'appel." if budget["over_budget"] else None)

    @post("/calls/{slug:str}/decisions/release", guards=[requires_staff], status_code=200)
    async def release(self, request: Request, slug: FromPath[str]) -> ReleaseOut:
        """Sends the letters, moves the states, locks the reviews, creates the funded projects."""
        settings = request.app.state.settings
        released = await decisions.release_decisions(slug, actor=request.user, mailer=request.app.state.mailer,
                                                     gitlab_hosts=tuple(settings.gitlab_hosts))
        slugs = await decisions.project_slugs([d.project_id for d in released if d.project_id])
        return ReleaseOut(released=len(released), funded=sum(d.outcome == "funded" for d in released),
                          rejected=sum(d.outcome == "rejected" for d in released), projects=slugs)

    @get("/applications/{application_id:int}/reviews", guards=[requires_login])
    async def applicant_reviews(self, request: Request, application_id: FromPath[int]) -> FeedbackOut:
        """For the applicant, once the decision is released: the decision and the comments meant for them."""
        data = await feedback.feedback_for_applicant(request.user, application_id)
        return FeedbackOut(application_id=data["application_id"], outcome=data["outcome"], amount=data["amount"],
                           reason=data["reason"], released_at=iso(data["released_at"]), comments=data["comments"],
                           project=data["project_slug"])

