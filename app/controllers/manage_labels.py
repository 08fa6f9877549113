"""Manager pages of the label taxonomy: list by category, create, edit, reorder, retire/restore, merge."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.i18n import ngettext
from app.web.forms import FLASH_MESSAGES, confirmation_page, confirmed, field_errors, form_data, redirect_with_flash
from app.web.guards import requires_staff
from app.web.templating import page
from registry.errors import N_, Conflict, DomainError
from registry.labels import service
from registry.labels.tables import CATEGORIES

CATEGORY_NAMES = {
    "theme": N_("Thèmes"),
    "data_source": N_("Sources de données"),
    "standard": N_("Standards"),
    "therapeutic_area": N_("Domaines thérapeutiques"),
}
FLASH_MESSAGES.update({
    "label_created": ("success", N_("L’étiquette a été créée.")),
    "label_saved": ("success", N_("L’étiquette a été enregistrée.")),
    "label_moved": ("success", N_("L’ordre des étiquettes a été enregistré.")),
    "label_retired": ("success", N_("L’étiquette est retirée : elle n’est plus proposée aux candidats.")),
    "label_restored": ("success", N_("L’étiquette est de nouveau proposée aux candidats.")),
    "label_merged": ("success", N_("Les étiquettes ont été fusionnées.")),
})
FIELDS = ("slug", "category", "name_fr", "name_en", "description_fr", "description_en")


def _name(row: dict[str, Any], english: bool) -> str:
    return row["name_en"] if english and row["name_en"] else row["name_fr"]


async def _form(request: Request, *, slug: str = "", values: dict[str, Any], errors: dict[str, str] | None = None,
                status_code: int = 200) -> Template:
    return page("manage/labels_form.html", request, status_code=status_code, slug=slug, values=values,
                errors=errors or {}, categories=[(key, _(CATEGORY_NAMES[key])) for key in CATEGORIES])


async def _merge_form(request: Request, label: dict[str, Any], *, errors: dict[str, str] | None = None,
                      status_code: int = 200, target: str = "") -> Template:
    from app.i18n import current_language

    english = current_language.get() == "en"
    rows = [row for row in await service.manage_rows() if row["slug"] != label["slug"]]
    choices = [(_(CATEGORY_NAMES.get(category, category)),
                [(row["slug"], _name(row, english)) for row in rows if row["category"] == category])
               for category in CATEGORIES]
    return page("manage/labels_merge.html", request, status_code=status_code, label=label, choices=choices,
                errors=errors or {}, target=target, usage=await service.usage(label["id"]),
                label_name=_name(label, english))


class ManageLabelPages(Controller):
    path = "/manage/labels"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        rows = await service.manage_rows()
        groups = [(key, _(CATEGORY_NAMES[key]), [row for row in rows if row["category"] == key]) for key in CATEGORIES]
        return page("manage/labels.html", request, groups=groups)

    @get("/new")
    async def new(self, request: Request) -> Template:
        return await _form(request, values={"category": "theme"})

    @post("/new")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        values = {key: data.get(key, "") for key in FIELDS}
        try:
            await service.create_label(values, actor=request.user)
        except DomainError as error:
            return await _form(request, values=values, errors=field_errors(error),
                               status_code=409 if isinstance(error, Conflict) else 422)
        return redirect_with_flash("/manage/labels", "label_created")

    @get("/{slug:str}/edit")
    async def edit(self, request: Request, slug: FromPath[str]) -> Template:
        label = await service.label_by_slug(slug)
        return await _form(request, slug=slug, values={key: label[key] for key in FIELDS})

    @post("/{slug:str}/edit")
    async def save(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        label = await service.label_by_slug(slug)
        data = await form_data(request)
        values = {key: data.get(key, "") for key in FIELDS if key != "slug"}
        try:
            await service.update_label(slug, values, actor=request.user)
        except DomainError as error:
            return await _form(request, slug=slug, values={**values, "slug": label["slug"]},
                               errors=field_errors(error), status_code=422)
        return redirect_with_flash("/manage/labels", "label_saved")

    @post("/{slug:str}/move")
    async def move(self, request: Request, slug: FromPath[str]) -> Redirect:
        data = await form_data(request)
        await service.move_label(slug, data.get("direction", ""), actor=request.user)
        return redirect_with_flash(f"/manage/labels#label-{slug}", "label_moved")

    @post("/{slug:str}/retire")
    async def retire(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        label = await service.label_by_slug(slug)
        if not confirmed(await form_data(request)):
            used = await service.usage(label["id"])
            return confirmation_page(
                request, heading=_("Retirer l’étiquette « {name} » ?").format(name=label["name_fr"]),
                message=ngettext("%(num)s projet garde ce label ; il ne sera plus proposé.",
                                 "%(num)s projets gardent ce label ; il ne sera plus proposé.",
                                 used["projects"]) % {"num": used["projects"]},
                consequences=[_("Les nouvelles candidatures ne peuvent plus le choisir ; un brouillon qui l’a déjà "
                                "le garde."), _("Vous pourrez le proposer de nouveau à tout moment.")],
                action=f"/manage/labels/{slug}/retire", cancel_url="/manage/labels",
                confirm_label=_("Retirer l’étiquette"))
        await service.update_label(slug, {"retired": True}, actor=request.user)
        return redirect_with_flash("/manage/labels", "label_retired")

    @post("/{slug:str}/restore")
    async def restore(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        label = await service.label_by_slug(slug)
        if not confirmed(await form_data(request)):
            return confirmation_page(
                request, heading=_("Proposer de nouveau l’étiquette « {name} » ?").format(name=label["name_fr"]),
                message=_("Les candidats pourront de nouveau la choisir."),
                action=f"/manage/labels/{slug}/restore", cancel_url="/manage/labels",
                confirm_label=_("Proposer de nouveau"))
        await service.update_label(slug, {"retired": False}, actor=request.user)
        return redirect_with_flash("/manage/labels", "label_restored")

    @get("/{slug:str}/merge")
    async def merge_form(self, request: Request, slug: FromPath[str]) -> Template:
        return await _merge_form(request, await service.label_by_slug(slug))

    @post("/{slug:str}/merge")
    async def merge(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        label = await service.label_by_slug(slug)
        data = await form_data(request)
        target_slug = data.get("merge_into", "").strip()
        target = None
        if target_slug and target_slug != slug:
            target = next((row for row in await service.manage_rows() if row["slug"] == target_slug), None)
        if target is None:
            message = (_("Une étiquette ne peut pas être fusionnée avec elle-même.") if target_slug == slug
                       else _("Choisissez l’étiquette qui la remplace."))
            return await _merge_form(request, label, errors={"merge_into": message}, status_code=422,
                                     target=target_slug)
        if not confirmed(data):
            used = await service.usage(label["id"])
            return confirmation_page(
                request, heading=_("Fusionner « {a} » dans « {b} » ?").format(a=label["name_fr"], b=target["name_fr"]),
                message=ngettext("%(num)s projet passe de %(a)s à %(b)s ; l’adresse de %(a)s redirige vers %(b)s.",
                                 "%(num)s projets passent de %(a)s à %(b)s ; l’adresse de %(a)s redirige vers %(b)s.",
                                 used["projects"]) % {"num": used["projects"], "a": label["slug"],
                                                      "b": target["slug"]},
                consequences=[ngettext("%(num)s candidature passe aussi à la nouvelle étiquette.",
                                       "%(num)s candidatures passent aussi à la nouvelle étiquette.",
                                       used["applications"]) % {"num": used["applications"]},
                              _("L’étiquette « {a} » disparaît de la taxonomie. Cette fusion est définitive.").format(
                                  a=label["name_fr"])],
                action=f"/manage/labels/{slug}/merge", fields={"merge_into": target_slug},
                cancel_url=f"/manage/labels/{slug}/merge", confirm_label=_("Fusionner les étiquettes"))
        await service.merge_labels(slug, target_slug, actor=request.user)
        return redirect_with_flash(f"/manage/labels#label-{target_slug}", "label_merged")
