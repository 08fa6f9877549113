"""Manager pages: reviewer pool, assignments, ranking (and CSV), decisions, letters, batch release."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.web.files import file_response
from app.web.forms import confirmation_page, confirmed, field_errors, form_data, form_lists, redirect_with_flash
from app.web.guards import requires_staff
from app.web.templating import page
from registry.calls.service import call_by_slug
from registry.errors import InvalidInput
from registry.labels.tables import Label
from registry.reviews import assigning, decisions, pool, ranking, reviewing, views
from registry.reviews.access import application_of, assignment_for_staff, call_of
from registry.reviews.reviewing import CONFLICT_KIND_LABELS


async def conflict_kinds(call_id: int) -> dict[int, list[str]]:
    """Per application of the call, the kinds of the conflicts of interest its reviewers declared."""
    from registry.reviews.tables import Assignment

    kinds: dict[int, list[str]] = {}
    for row in await Assignment.select(Assignment.application, Assignment.conflict_kind).where(
            (Assignment.call == call_id) & (Assignment.state == "conflict")).order_by(Assignment.id):
        kinds.setdefault(row["application"], []).append(row["conflict_kind"] or "other")
    return kinds


async def release_consequences(slug: str) -> dict:
    """What publishing the call's decisions will do, counted from the prepared decisions and their letters."""
    from app.i18n import gettext as _
    from app.i18n import ngettext

    letters = await decisions.letters_preview(slug)
    funded = [item for item in letters if item["context"]["outcome"] == "funded"]
    rejected = len(letters) - len(funded)
    from registry.team.members import release_invitations

    invitations = sum([await release_invitations(item["to"][1:]) for item in funded])
    mails = sum(len(item["to"]) for item in letters) + invitations
    _call, rows, budget = await decisions.decisions_of_call(slug)
    undecided = [row for row in rows if row["state"] in ("submitted", "under_review") and not row["decision"]]
    total = sum(item["context"]["amount"] or 0 for item in funded)
    message = (ngettext("%(num)s décision sera publiée", "%(num)s décisions seront publiées", len(letters))
               % {"num": len(letters)} + " " + _("et") + " "
               + ngettext("%(num)s courriel sera envoyé", "%(num)s courriels seront envoyés", mails) % {"num": mails}
               + " (" + ngettext("%(num)s financée", "%(num)s financées", len(funded)) % {"num": len(funded)}
               + ", " + ngettext("%(num)s refusée", "%(num)s refusées", rejected) % {"num": rejected} + ").")
    consequences = [
        _("Les candidatures passent à l’état « financé » ou « non retenu » ; les évaluations sont verrouillées."),
        ngettext("%(num)s projet financé sera créé dans le registre public.",
                 "%(num)s projets financés seront créés dans le registre public.", len(funded)) % {"num": len(funded)},
        *([ngettext("%(num)s co-porteur sans compte sera invité par courriel à rejoindre l’équipe du projet.",
                    "%(num)s co-porteurs sans compte seront invités par courriel à rejoindre l’équipe du projet.",
                    invitations) % {"num": invitations}] if invitations else []),
        _("Montant total accordé : {total} sur un budget de {budget}.").format(
            total=_money(total), budget=_money(budget["budget"])),
        _("L’appel passe à l’état « décidé ». Cette publication est définitive."),
    ]
    warnings = []
    if undecided:
        warnings.append(ngettext("%(num)s candidature n’a pas encore de décision préparée : la publication sera "
                                 "refusée tant qu’elle en manque.",
                                 "%(num)s candidatures n’ont pas encore de décision préparée : la publication sera "
                                 "refusée tant qu’elles en manquent.", len(undecided)) % {"num": len(undecided)})
    if total > budget["budget"]:
        warnings.append(_("Le total accordé dépasse le budget de l’appel."))
    return {"heading": _("Publier toutes les décisions ?"), "message": message, "consequences": consequences,
            "warnings": warnings, "confirm_label": _("Publier les décisions et envoyer les courriels")}


def _money(value: int) -> str:
    from app.web.templating import _money as money

    return money(value)


class ManageReviewPages(Controller):
    path = "/manage/reviews"
    guards = [requires_staff]
    include_in_schema = False

    @get("/reviewers")
    async def reviewers(self, request: Request) -> Template:
        labels = await Label.select(Label.slug, Label.name_fr, Label.category).order_by(Label.category, Label.position)
        return page("manage/reviewers.html", request, reviewers=await pool.list_pool(), labels=labels)

    @post("/reviewers/{user_id:int}")
    async def save_reviewer(self, request: Request, user_id: FromPath[int]) -> Redirect:
        data = await form_lists(request)
        await pool.save_profile(user_id, organisation=(data.get("organisation") or [""])[0],
                                expertise=data.get("expertise", []), active=(data.get("active") or [""])[0] == "on",
                                actor=request.user)
        return redirect_with_flash("/manage/reviews/reviewers", "review_profile_saved")

    async def _assignments_page(self, request: Request, slug: str, *, status_code: int = 200,
                                errors: dict[str, str] | None = None, error_for: int | None = None) -> Template:
        call = await call_by_slug(slug)
        applications = await views.call_assignments(call.id)
        return page("manage/review_assignments.html", request, status_code=status_code, call=call,
                    applications=applications, reviewers=await pool.list_pool(call.id),
                    choices=await assigning.reviewer_choices(call.id, [a["id"] for a in applications]),
                    progress=await views.review_progress(call.id),
                    reviewer_progress=await views.reviewer_progress(call.id),
                    criteria=await reviewing.criteria_specs(call.id), errors=errors or {}, error_for=error_for)

    @get("/calls/{slug:str}")
    async def assignments(self, request: Request, slug: FromPath[str]) -> Template:
        return await self._assignments_page(request, slug)

    @post("/calls/{slug:str}/auto")
    async def auto(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        try:
            await assigning.assign_call_automatically(slug, actor=request.user, mailer=request.app.state.mailer,
                                                      base_url=request.app.state.settings.base_url)
        except InvalidInput as error:
            return await self._assignments_page(request, slug, status_code=422, errors=field_errors(error))
        return redirect_with_flash(f"/manage/reviews/calls/{slug}", "assignments_created")

    @post("/applications/{application_id:int}/assign")
    async def assign(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        call = await call_of(int((await application_of(application_id)).call))
        try:
            await assigning.assign_reviewer(application_id, data.get("reviewer", ""), actor=request.user,
                                            mailer=request.app.state.mailer, note=data.get("note", ""),
                                            base_url=request.app.state.settings.base_url)
        except InvalidInput as error:
            return await self._assignments_page(request, call.slug, status_code=422, errors=field_errors(error),
                                                error_for=application_id)
        return redirect_with_flash(f"/manage/reviews/calls/{call.slug}", "assignment_created")

    @post("/assignments/{assignment_id:int}/cancel")
    async def cancel(self, request: Request, assignment_id: FromPath[int]) -> Redirect:
        assignment = await assigning.cancel_assignment(assignment_id, actor=request.user)
        call = await call_of(int(assignment.call))
        return redirect_with_flash(f"/manage/reviews/calls/{call.slug}", "assignment_cancelled")

    @post("/assignments/{assignment_id:int}/reopen")
    async def reopen(self, request: Request, assignment_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        assignment = await assignment_for_staff(request.user, assignment_id)
        await reviewing.reopen_review(assignment_id, actor=request.user, reason=data.get("reason", ""))
        call = await call_of(int(assignment.call))
        return redirect_with_flash(f"/manage/reviews/calls/{call.slug}", "review_reopened")

    @get("/calls/{slug:str}/ranking")
    async def ranking_page(self, request: Request, slug: FromPath[str], sort: FromQuery[str] = "score_mean",
                           order: FromQuery[str] = "desc") -> Template:
        call = await call_by_slug(slug)
        sort = sort if sort in ranking.SORT_KEYS else "score_mean"
        lines = await ranking.call_ranking(slug, sort=sort, descending=order != "asc")
        progress = await views.review_progress(call.id)
        conflicts = await conflict_kinds(call.id)
        running, crossed = 0, False
        for line in lines:
            counts = progress.get(line["application_id"], {})
            line["assigned"] = counts.get("assigned", 0)
            line["submitted_reviews"] = counts.get("submitted", 0)
            line["late_reviews"] = counts.get("late", 0)
            line["missing_reviews"] = max(line["assigned"] - line["submitted_reviews"], 0)
            line["conflicts"] = conflicts.get(line["application_id"], [])
            # The running total of requested amounts down the ranking as shown, eliminated ones left out.
            line["cumulative"] = None
            line["budget_line"] = False
            if not line["eliminated"]:
                running += line["requested_amount"] or 0
                line["cumulative"] = running
                line["over_budget"] = running > call.budget_total
                if line["over_budget"] and not crossed:
                    line["budget_line"], crossed = True, True
        return page("manage/review_ranking.html", request, call=call, lines=lines, sort=sort,
                    order="asc" if order == "asc" else "desc", conflict_labels=CONFLICT_KIND_LABELS,
                    missing=sum(1 for line in lines if line["missing_reviews"]))

    @get("/calls/{slug:str}/ranking.csv")
    async def ranking_csv(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        lines = await ranking.call_ranking(slug)
        return file_response(ranking.ranking_csv(lines), f"classement-{slug}.csv", "text/csv",
                             cache_control="no-store")

    async def _decisions_page(self, request: Request, slug: str, *, status_code: int = 200,
                              errors: dict[str, str] | None = None, error_for: int | None = None,
                              values: dict[str, str] | None = None) -> Template:
        call, rows, budget = await decisions.decisions_of_call(slug)
        lines = {line["application_id"]: line for line in await ranking.call_ranking(slug)}
        return page("manage/decisions.html", request, status_code=status_code, call=call, rows=rows, budget=budget,
                    lines=lines, errors=errors or {}, error_for=error_for, values=values or {})

    @get("/calls/{slug:str}/decisions")
    async def decisions_page(self, request: Request, slug: FromPath[str]) -> Template:
        return await self._decisions_page(request, slug)

    @post("/applications/{application_id:int}/decision")
    async def decide(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        call = await call_of(int((await application_of(application_id)).call))
        amount_text = data.get("amount", "").strip().replace(" ", "").replace("\u202f", "")
        amount: object = int(amount_text) if amount_text.isdigit() else (amount_text or None)
        try:
            await decisions.prepare_decision(application_id, outcome=data.get("outcome", ""), amount=amount,
                                             reason=data.get("reason", ""), actor=request.user)
        except InvalidInput as error:
            return await self._decisions_page(request, call.slug, status_code=422, errors=field_errors(error),
                                              error_for=application_id, values=data)
        return redirect_with_flash(f"/manage/reviews/calls/{call.slug}/decisions", "decision_saved")

    @get("/calls/{slug:str}/letters")
    async def letters(self, request: Request, slug: FromPath[str]) -> Template:
        call = await call_by_slug(slug)
        mailer = request.app.state.mailer
        previews = []
        for item in await decisions.letters_preview(slug):
            # As the applicant will read it: in the owner's language.
            subject, body = mailer.preview(template=item["template"], language=item["language"],
                                           context=item["context"])
            previews.append({"to": item["to"], "subject": subject, "body": body, "language": item["language"],
                             "outcome": item["context"]["outcome"],
                             "application_id": item["context"]["application_id"]})
        funded = sum(1 for item in previews if item["outcome"] == "funded")
        from registry.team.members import release_invitations

        invitations = sum([await release_invitations(item["to"][1:]) for item in previews
                           if item["outcome"] == "funded"])
        return page("manage/decision_letters.html", request, call=call, previews=previews, funded=funded,
                    rejected=len(previews) - funded, mails=sum(len(item["to"]) for item in previews) + invitations)

    @post("/calls/{slug:str}/release")
    async def release(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        """Irreversible, sends the letters: without ``confirm=1`` the page counts what will happen."""
        data = await form_data(request)
        if not confirmed(data):
            call = await call_by_slug(slug)
            if call.status == "in_review":
                return confirmation_page(request, action=f"/manage/reviews/calls/{slug}/release", fields={},
                                         cancel_url=f"/manage/reviews/calls/{slug}/decisions",
                                         **await release_consequences(slug))
        try:
            await decisions.release_decisions(slug, actor=request.user, mailer=request.app.state.mailer,
                                              gitlab_hosts=tuple(request.app.state.settings.gitlab_hosts))
        except InvalidInput as error:
            return await self._decisions_page(request, slug, status_code=422, errors=field_errors(error))
        return redirect_with_flash(f"/manage/reviews/calls/{slug}/decisions", "decisions_released")
