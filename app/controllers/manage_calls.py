"""Manager pages for calls: list, create, edit, publish, move, and live application counts."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from app.controllers.api.calls import effective_policy
from app.i18n import gettext as _
from app.web.files import file_response, temp_file_stream
from app.web.forms import confirmation_page, confirmed, field_errors, form_lists, redirect_with_flash
from app.web.guards import requires_staff
from app.web.templating import page
from registry.applications.queries import list_applications
from registry.applications.state import STATE_LABELS as APPLICATION_LABELS
from registry.calls import queries, service
from registry.calls.paris import to_paris_input
from registry.calls.service import CallInput, CriterionInput
from registry.calls.state import STATE_LABELS, TRANSITIONS, call_state
from registry.errors import N_, InvalidInput, NotFound

BLANK_CRITERIA = 3
TEXT = ("slug", "title_fr", "title_en", "description_fr", "description_en", "eligibility_fr", "eligibility_en",
        "budget_total", "amount_min", "amount_max", "opens_at", "closes_at", "reviews_per_application",
        "reviews_visibility", "reviews_due_at")
CRITERION = ("name", "description", "weight", "scale_max", "eliminatory_below", "description_en", "anchors",
             "anchors_en")


def authorised() -> list[str]:
    from registry.licences import AUTHORISED

    return sorted(AUTHORISED)


def call_from_form(data: dict[str, list[str]]) -> tuple[CallInput, dict]:
    first = {name: (data.get(name) or [""])[0] for name in TEXT}
    columns = {name: data.get(f"criterion_{name}", []) for name in CRITERION}
    rows = []
    for index in range(len(columns["name"])):
        cells = {name: (columns[name][index] if index < len(columns[name]) else "") for name in CRITERION}
        if any(cells[name].strip() for name in ("name", "description", "weight", "anchors")):
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
                                 description=r["description"], eliminatory_below=r["eliminatory_below"],
                                 description_en=r["description_en"], anchors=r["anchors"],
                                 anchors_en=r["anchors_en"])
                  for r in rows],
        reviews_due_at=first["reviews_due_at"] or None)
    return call_input, values


async def form_values(call: object) -> dict:
    criteria = await service.criteria_of(call.id)  # type: ignore[attr-defined]
    values = {name: getattr(call, name) for name in TEXT if name not in {"opens_at", "closes_at", "reviews_due_at"}}
    values.update(opens_at=to_paris_input(call.opens_at), closes_at=to_paris_input(call.closes_at),  # type: ignore[attr-defined]
                  reviews_due_at=to_paris_input(call.reviews_due_at) if call.reviews_due_at else "",  # type: ignore[attr-defined]
                  licence_policy=effective_policy(call), blind=call.blind,  # type: ignore[attr-defined]
                  criteria=[criterion_values(c) for c in criteria])
    return values


def criterion_values(criterion: object) -> dict:
    """A stored criterion as the editor's fields; anchors become "score — label" lines."""
    from registry.calls.jsonfield import json_list

    values = {name: ("" if getattr(criterion, name, None) is None else getattr(criterion, name))
              for name in CRITERION if name not in {"anchors", "anchors_en"}}
    anchors = json_list(getattr(criterion, "anchors", []))
    values["anchors"] = "\n".join(f"{a['score']} — {a['label']}" for a in anchors)
    values["anchors_en"] = "\n".join(f"{a['score']} — {a['label_en']}" for a in anchors if a.get("label_en"))
    return values


async def move_consequences(call: object, target: str) -> dict:
    """What a call's move will do, said exactly, for its confirmation page."""
    from datetime import UTC, datetime

    from app.i18n import current_language, ngettext
    from app.i18n import gettext as _
    from app.timefmt import format_when

    language = current_language.get()

    def paris(moment: object) -> str:
        return f"{format_when(moment, language)} {_('(heure de Paris)')}"

    state = call_state(call)
    counts = (await queries.true_counts([call.id]))[call.id]  # type: ignore[attr-defined]
    title = call.title_fr  # type: ignore[attr-defined]
    warnings: list[str] = []
    consequences: list[str] = []
    if target == "published":
        heading = _("Publier l’appel ?")
        message = _("L’appel « {title} » sera publié : sa page devient publique et il ne pourra plus revenir à "
                    "l’état de brouillon.").format(title=title)
        consequences = [
            _("Ouverture des dépôts : {date}.").format(date=paris(call.opens_at)),  # type: ignore[attr-defined]
            _("Clôture des dépôts : {date}.").format(date=paris(call.closes_at)),  # type: ignore[attr-defined]
        ]
        label = _("Publier l’appel")
    elif target == "in_review":
        heading = _("Lancer l’évaluation ?")
        message = _("L’appel « {title} » passera en évaluation : les dépôts seront fermés définitivement et les "
                    "candidatures soumises pourront être attribuées aux évaluateurs.").format(title=title)
        if state in ("open", "upcoming") and datetime.now(UTC) < call.closes_at.replace(  # type: ignore[attr-defined]
                tzinfo=call.closes_at.tzinfo or UTC):  # type: ignore[attr-defined]
            warnings.append(_("L’appel est encore ouvert jusqu’au {date} : les candidats ne pourront plus "
                              "déposer.").format(date=paris(call.closes_at)))  # type: ignore[attr-defined]
        consequences = [
            ngettext("%(num)s candidature soumise sera évaluée.", "%(num)s candidatures soumises seront évaluées.",
                     counts["submitted"]) % {"num": counts["submitted"]},
            ngettext("%(num)s brouillon rouvert après dépôt reviendra à sa dernière version soumise.",
                     "%(num)s brouillons rouverts après dépôt reviendront à leur dernière version soumise.",
                     counts["reopened"]) % {"num": counts["reopened"]},
            ngettext("%(num)s brouillon jamais soumis ne sera pas évalué.",
                     "%(num)s brouillons jamais soumis ne seront pas évalués.",
                     counts["drafts"]) % {"num": counts["drafts"]},
        ]
        label = _("Lancer l’évaluation")
    elif target == "decided":
        heading = _("Marquer l’appel comme décidé ?")
        message = _("L’appel « {title} » sera marqué comme décidé, sans publier de décision ni envoyer de "
                    "courriel.").format(title=title)
        consequences = [_("Les décisions se publient depuis la page Décisions, qui envoie les courriers.")]
        label = _("Marquer comme décidé")
    else:
        heading = _("Archiver l’appel ?")
        message = _("L’appel « {title} » sera archivé : il reste consultable mais ne peut plus changer "
                    "d’état.").format(title=title)
        label = _("Archiver")
    return {"heading": heading, "message": message, "consequences": consequences, "warnings": warnings,
            "confirm_label": label}


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
        counts = await queries.true_counts([row["id"] for row in rows])
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
        reopened: set[int] = set()
        counts = (await queries.true_counts([call.id], reopened=reopened))[call.id]
        return page("manage/calls_detail.html", request, call=call, state=state, labels=STATE_LABELS,
                    counts=counts, rows=rows, total=total, moves=moves,
                    criteria=await queries.criteria_rows(call.id), application_labels=APPLICATION_LABELS,
                    reopened=reopened)

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

    @get("/{slug:str}/applications.csv")
    async def applications_csv(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        """Every submitted application of the call, its latest version, one column per question."""
        from registry.calls import exports

        call = await service.call_by_slug(slug)
        rows = await exports.exported_applications(call)
        return file_response(exports.applications_csv(call, rows), f"candidatures-{slug}.csv", "text/csv",
                             cache_control="no-store")

    @get("/{slug:str}/applications.json")
    async def applications_json(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        from registry.calls import exports

        call = await service.call_by_slug(slug)
        rows = await exports.exported_applications(call)
        return file_response(exports.applications_json(call, rows), f"candidatures-{slug}.json",
                             "application/json", cache_control="no-store")

    @get("/{slug:str}/attachments.zip")
    async def attachments_zip(self, request: Request, slug: FromPath[str]) -> Stream:
        """All files of the submitted applications, a folder each, with manifest.csv (SHA-256)."""
        from registry.calls import exports

        call = await service.call_by_slug(slug)
        rows = await exports.exported_applications(call)
        path = await exports.attachments_zip(call, rows, request.app.state.settings.var_dir)
        return temp_file_stream(path, f"pieces-jointes-{slug}.zip", "application/zip")

    @post("/{slug:str}/move")
    async def move(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        """Irreversible: without ``confirm=1`` the page says what the move will do and changes nothing."""
        data = await form_lists(request)
        target = (data.get("to") or [""])[0]
        if not confirmed(data):
            call = await service.call_by_slug(slug)
            if (call.status, target) in TRANSITIONS:
                return confirmation_page(request, action=f"/manage/calls/{slug}/move", fields={"to": target},
                                         cancel_url=f"/manage/calls/{slug}",
                                         **await move_consequences(call, target))
        await service.move_call(slug, target, actor=request.user)
        return redirect_with_flash(f"/manage/calls/{slug}", "call_moved")


KINDS = ("text", "long_text", "number", "choice", "multi_choice", "yes_no", "url", "date", "file")
KIND_LABELS = {"text": N_("Texte court"), "long_text": N_("Texte long"), "number": N_("Nombre"),
               "choice": N_("Choix unique"), "multi_choice": N_("Choix multiples"), "yes_no": N_("Oui / non"),
               "url": N_("Adresse web (URL)"), "date": N_("Date"), "file": N_("Fichier PDF")}


class ManageCallQuestionPages(Controller):
    """The question builder (no JavaScript): list with sections, add, edit, delete (confirmed), move, preview.
    Once a submission exists every change goes through a confirmation page and makes version N+1."""

    path = "/manage/calls/{slug:str}/questions"
    guards = [requires_staff]
    include_in_schema = False

    async def _context(self, slug: str) -> dict:
        from datetime import UTC, datetime

        from registry.calls import question_builder as qb
        from registry.calls.questions import sections

        call = await service.call_by_slug(slug)
        questions = qb.questions_of(call)
        return {"call": call, "questions": questions, "question_groups": sections(questions),
                "version": qb.version_of(call), "frozen_since": await qb.frozen_since(call),
                "editable": call_state(call, datetime.now(UTC)) in qb.EDITABLE_STATES,
                "kinds": KINDS, "kind_labels": KIND_LABELS}

    async def _page(self, request: Request, slug: str, *, values: dict | None = None, errors: dict | None = None,
                    editing: str = "", status_code: int = 200) -> Template:
        context = await self._context(slug)
        template = "manage/call_questions_edit.html" if editing else "manage/call_questions.html"
        return page(template, request, status_code=status_code, values=values or {"kind": "text"},
                    errors=errors or {}, editing=editing, **context)

    async def _apply(self, request: Request, slug: str, data: dict, questions: list, *, action: str,
                     heading: str, summary: str, values: dict | None = None, editing: str = "",
                     index: int = 0) -> Template | Redirect:
        """Validates and saves the new list; when frozen, a confirmation page first (re-posting the form)."""
        from registry.calls import question_builder as qb
        from registry.calls.questions import validate_questions

        try:
            validate_questions(questions)
        except InvalidInput as error:
            return await self._page(request, slug, values=values, errors=qb.errors_for(error, index),
                                    editing=editing, status_code=422)
        frozen = await qb.frozen_since(await service.call_by_slug(slug))
        if frozen is not None and not confirmed(data):
            call = await service.call_by_slug(slug)
            version = qb.version_of(call)
            fields = {name: value for name, value in data.items() if name not in {"_csrf_token", "confirm"}}
            return confirmation_page(
                request, action=action, fields=fields, cancel_url=f"/manage/calls/{slug}/questions",
                heading=heading, message=summary,
                consequences=[_("Les questions de l’appel passent à la version {number}.").format(
                                  number=version + 1),
                              _("Les réponses déjà déposées gardent la version {number} à laquelle elles ont "
                                "répondu.").format(number=version),
                              _("Les candidats qui modifient ou déposent à nouveau répondent à la nouvelle "
                                "version.")],
                confirm_label=_("Créer la version {number}").format(number=version + 1))
        try:
            await qb.save_questions(slug, questions, actor=request.user, new_version=frozen is not None)
        except InvalidInput as error:
            return await self._page(request, slug, values=values, errors=qb.errors_for(error, index),
                                    editing=editing, status_code=422)
        return redirect_with_flash(f"/manage/calls/{slug}/questions",
                                   "questions_versioned" if frozen is not None else "questions_saved")

    @get("/")
    async def index(self, request: Request, slug: FromPath[str]) -> Template:
        return await self._page(request, slug)

    @post("/")
    async def add(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        from registry.calls import question_builder as qb

        data = await form_lists(request)
        values = qb.form_values(data)
        questions = qb.questions_of(await service.call_by_slug(slug))
        question = qb.question_from_values(values, taken={q.get("key") for q in questions})
        if question["key"] in {q.get("key") for q in questions}:
            return await self._page(request, slug, values=values, status_code=422,
                                    errors={"key": _("Une autre question utilise déjà cet identifiant.")})
        return await self._apply(request, slug, data, [*questions, question], values=values,
                                 index=len(questions), action=f"/manage/calls/{slug}/questions",
                                 heading=_("Ajouter une question à une version figée ?"),
                                 summary=_("La question « {label} » sera ajoutée.").format(label=question["label"]))

    @get("/{key:str}/edit")
    async def edit(self, request: Request, slug: FromPath[str], key: FromPath[str]) -> Template:
        from registry.calls import question_builder as qb

        questions = qb.questions_of(await service.call_by_slug(slug))
        question = next((q for q in questions if q.get("key") == key), None)
        if question is None:
            raise NotFound("Question introuvable.")
        return await self._page(request, slug, values=qb.values_of(question), editing=key)

    @post("/{key:str}/edit")
    async def update(self, request: Request, slug: FromPath[str], key: FromPath[str]) -> Template | Redirect:
        from registry.calls import question_builder as qb

        data = await form_lists(request)
        values = {**qb.form_values(data), "key": key}  # the key does not change: answers are filed under it
        questions = qb.questions_of(await service.call_by_slug(slug))
        index = next((i for i, q in enumerate(questions) if q.get("key") == key), None)
        if index is None:
            raise NotFound("Question introuvable.")
        question = qb.question_from_values(values, taken=set())
        return await self._apply(request, slug, data, qb.replaced(questions, key, question), values=values,
                                 editing=key, index=index, action=f"/manage/calls/{slug}/questions/{key}/edit",
                                 heading=_("Modifier une question figée ?"),
                                 summary=_("La question « {label} » sera modifiée.").format(label=question["label"]))

    @post("/{key:str}/delete")
    async def delete(self, request: Request, slug: FromPath[str], key: FromPath[str]) -> Template | Redirect:
        from registry.calls import question_builder as qb

        data = await form_lists(request)
        call = await service.call_by_slug(slug)
        questions = qb.questions_of(call)
        question = next((q for q in questions if q.get("key") == key), None)
        if question is None:
            raise NotFound("Question introuvable.")
        frozen = await qb.frozen_since(call)
        if not confirmed(data):
            consequences = [_("Les réponses déjà données à cette question restent dans les candidatures "
                              "déposées.")]
            if frozen is not None:
                consequences.append(_("Les questions de l’appel passent à la version {number}.").format(
                    number=qb.version_of(call) + 1))
            return confirmation_page(request, action=f"/manage/calls/{slug}/questions/{key}/delete",
                                     cancel_url=f"/manage/calls/{slug}/questions",
                                     heading=_("Supprimer la question ?"),
                                     message=_("La question « {label} » sera retirée du formulaire de "
                                               "candidature.").format(label=question["label"]),
                                     consequences=consequences, confirm_label=_("Supprimer la question"))
        await qb.save_questions(slug, qb.replaced(questions, key, None), actor=request.user,
                                new_version=frozen is not None)
        return redirect_with_flash(f"/manage/calls/{slug}/questions",
                                   "questions_versioned" if frozen is not None else "questions_saved")

    @post("/{key:str}/move")
    async def move(self, request: Request, slug: FromPath[str], key: FromPath[str]) -> Template | Redirect:
        from registry.calls import question_builder as qb

        data = await form_lists(request)
        direction = "up" if (data.get("direction") or [""])[0] == "up" else "down"
        questions = qb.questions_of(await service.call_by_slug(slug))
        if not any(q.get("key") == key for q in questions):
            raise NotFound("Question introuvable.")
        return await self._apply(request, slug, data, qb.moved(questions, key, direction),
                                 action=f"/manage/calls/{slug}/questions/{key}/move",
                                 heading=_("Changer l’ordre des questions figées ?"),
                                 summary=_("L’ordre des questions sera changé."))
