"""The taxonomy's life: install on every `ami migrate`, manager edits, reorder, retire/restore, merge.

Every change commits with its audit entry (`label.*`) in one `write_transaction`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.audit.log import record_event
from registry.db import write_transaction
from registry.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from registry.labels.tables import CATEGORIES, Label, LabelAlias

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TEXT_FIELDS = {"name_fr": 200, "name_en": 200, "description_fr": 2000, "description_en": 2000}


async def install_taxonomy() -> int:
    """Inserts the shipped labels that are missing; returns how many were created.

    A slug present as a label (whatever a manager made of it: renamed, moved, retired) or as the alias of a
    merged label is left alone, so running it again never undoes a manager's change."""
    from registry.labels.taxonomy import TAXONOMY

    async with write_transaction(engine_finder()):
        taken = {row["slug"] for row in await Label.select(Label.slug)}
        taken |= {row["old_slug"] for row in await LabelAlias.select(LabelAlias.old_slug)}
        created = 0
        for position, (slug, category, name_fr, name_en, description_fr) in enumerate(TAXONOMY):
            if slug in taken:
                continue
            await Label.insert(Label(slug=slug, category=category, name_fr=name_fr, name_en=name_en,
                                     description_fr=description_fr, position=position))
            created += 1
    return created


async def resolve_slug(slug: str) -> str:
    """The current slug for `slug`: itself, or the label an alias points to."""
    row = await LabelAlias.select(LabelAlias.label.slug.as_alias("slug")).where(LabelAlias.old_slug == slug).first()
    return row["slug"] if row else slug


async def resolve_slugs(slugs: tuple[str, ...]) -> tuple[str, ...]:
    if not slugs:
        return slugs
    rows = await LabelAlias.select(LabelAlias.old_slug, LabelAlias.label.slug.as_alias("slug")).where(
        LabelAlias.old_slug.is_in(list(slugs)))
    mapping = {row["old_slug"]: row["slug"] for row in rows}
    return tuple(dict.fromkeys(mapping.get(slug, slug) for slug in slugs))


async def label_by_slug(slug: str) -> dict[str, Any]:
    row = await Label.select().where(Label.slug == slug).first()
    if row is None:
        raise NotFound(N_("Étiquette introuvable."))
    return row


def _clean_texts(data: dict[str, Any], errors: list[FieldError], *, required: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        if name not in data or data[name] is None:
            if required and name.startswith("name_"):
                errors.append(FieldError(name, N_("Ce champ est obligatoire.")))
            continue
        if not isinstance(data[name], str):
            errors.append(FieldError(name, N_("Un texte est attendu.")))
            continue
        value = data[name].strip()
        if name.startswith("name_") and not value:
            errors.append(FieldError(name, N_("Ce champ est obligatoire.")))
        elif len(value) > limit:
            errors.append(FieldError(name, N_("%(num)s caractères au plus.") % {"num": limit}))
        else:
            values[name] = value
    if "category" in data and data["category"] is not None or required:
        category = str(data.get("category") or "").strip()
        if category not in CATEGORIES:
            errors.append(FieldError("category", N_("Catégorie inconnue : theme, data_source, standard ou "
                                                    "therapeutic_area.")))
        else:
            values["category"] = category
    return values


def _raise(errors: list[FieldError]) -> None:
    if errors:
        detail = errors[0].message if len(errors) == 1 else N_("Certains champs sont invalides.")
        raise InvalidInput(detail, errors)


async def _next_position(category: str) -> int:
    rows = await Label.select(Label.position).where(Label.category == category).order_by(
        Label.position, ascending=False).first()
    return (rows["position"] + 1) if rows else 0


async def create_label(data: dict[str, Any], *, actor: Any) -> dict[str, Any]:
    """Creates a label. Effects: the label (last of its category), audit entry `label.created`.

    Raises InvalidInput naming the fields, Conflict when the slug is a label's or a merged label's."""
    errors: list[FieldError] = []
    slug = str(data.get("slug") or "").strip().lower()
    if not slug:
        errors.append(FieldError("slug", N_("Ce champ est obligatoire.")))
    elif len(slug) > 80 or not SLUG.match(slug):
        errors.append(FieldError("slug", N_("Lettres minuscules non accentuées, chiffres et tirets, 80 caractères "
                                            "au plus.")))
    values = _clean_texts(data, errors, required=True)
    _raise(errors)
    async with write_transaction(engine_finder()):
        if await Label.exists().where(Label.slug == slug) or await LabelAlias.exists().where(
                LabelAlias.old_slug == slug):
            raise Conflict(N_("Cette adresse d’étiquette est déjà prise."),
                           [FieldError("slug", N_("Cette adresse d’étiquette est déjà prise."))])
        values.setdefault("description_fr", "")
        values.setdefault("description_en", "")
        label = Label(slug=slug, position=await _next_position(values["category"]), **values)
        await label.save()
        await record_event("label.created", actor_id=actor.id, actor=actor.email, object_type="label",
                           object_id=slug, data={"category": values["category"], "name_fr": values["name_fr"]})
    return await label_by_slug(slug)


async def update_label(slug: str, data: dict[str, Any], *, actor: Any, now: datetime | None = None) -> dict[str, Any]:
    """Renames, describes, recategorises, places, retires or restores a label.

    `data` may hold name_fr, name_en, description_fr, description_en, category, position (integer ≥ 0) and
    retired (boolean). Effects: the label's row, audit entry `label.updated` (with the changed fields), or
    `label.retired` / `label.restored` when only the state changes. Projects keep a retired label."""
    errors: list[FieldError] = []
    values = _clean_texts(data, errors, required=False)
    if data.get("position") is not None:
        position = data["position"]
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 100_000:
            errors.append(FieldError("position", N_("Un entier entre 0 et 100000.")))
        else:
            values["position"] = position
    retired = data.get("retired")
    if retired is not None and not isinstance(retired, bool):
        errors.append(FieldError("retired", N_("Vrai ou faux attendu.")))
        retired = None
    _raise(errors)
    async with write_transaction(engine_finder()):
        label = await label_by_slug(slug)
        changed = {key: value for key, value in values.items() if label[key] != value}
        if retired is not None and retired != (label["retired_at"] is not None):
            changed["retired_at"] = (now or datetime.now(UTC)) if retired else None
        if changed:
            await Label.update({getattr(Label, key): value for key, value in changed.items()}).where(
                Label.slug == slug)
            if set(changed) == {"retired_at"}:
                action = "label.retired" if changed["retired_at"] else "label.restored"
            else:
                action = "label.updated"
            await record_event(action, actor_id=actor.id, actor=actor.email, object_type="label", object_id=slug,
                               data={key: (value.isoformat() if isinstance(value, datetime) else value)
                                     for key, value in changed.items()})
    return await label_by_slug(slug)


async def move_label(slug: str, direction: str, *, actor: Any) -> None:
    """Moves a label one place up or down in its category (positions renumbered 0…n), audit `label.moved`."""
    if direction not in ("up", "down"):
        raise InvalidInput(N_("Sens inconnu."), [FieldError("direction", N_("Sens inconnu."))])
    async with write_transaction(engine_finder()):
        label = await label_by_slug(slug)
        rows = await Label.select(Label.id, Label.slug).where(Label.category == label["category"]).order_by(
            Label.position).order_by(Label.slug)
        order = [row["slug"] for row in rows]
        index = order.index(slug)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(order):
            return
        order[index], order[other] = order[other], order[index]
        for position, item in enumerate(order):
            await Label.update({Label.position: position}).where(Label.slug == item)
        await record_event("label.moved", actor_id=actor.id, actor=actor.email, object_type="label",
                           object_id=slug, data={"position": other})


async def usage(label_id: int) -> dict[str, int]:
    from registry.applications.tables import ApplicationLabel
    from registry.projects.tables import ProjectLabel

    return {"projects": await ProjectLabel.count().where(ProjectLabel.label == label_id),
            "applications": await ApplicationLabel.count().where(ApplicationLabel.label == label_id)}


async def merge_labels(source_slug: str, target_slug: str, *, actor: Any) -> dict[str, Any]:
    """Merges label A (`source_slug`) into B (`target_slug`).

    Effects, in one transaction: each project and application holding A holds B instead (once); the aliases
    of A point to B and A's slug becomes an alias of B (URLs, filters and feeds naming A resolve to B); A is
    deleted; the moved projects' facets and search documents are refreshed; audit entry `label.merged`.
    Returns B with the counts moved."""
    from registry.applications.tables import ApplicationLabel
    from registry.projects.search import refresh_search_index
    from registry.projects.tables import ProjectLabel

    target_slug = (target_slug or "").strip()
    if not target_slug:
        raise InvalidInput(N_("Choisissez l’étiquette qui la remplace."),
                           [FieldError("merge_into", N_("Choisissez l’étiquette qui la remplace."))])
    if target_slug == source_slug:
        raise InvalidInput(N_("Une étiquette ne peut pas être fusionnée avec elle-même."),
                           [FieldError("merge_into", N_("Une étiquette ne peut pas être fusionnée avec elle-même."))])
    async with write_transaction(engine_finder()):
        source = await label_by_slug(source_slug)
        target = await Label.select().where(Label.slug == target_slug).first()
        if target is None:
            raise InvalidInput(N_("Étiquette introuvable."), [FieldError("merge_into", N_("Étiquette introuvable."))])
        moved: dict[str, int] = {}
        projects: list[int] = []
        for table, owner in ((ProjectLabel, ProjectLabel.project), (ApplicationLabel, ApplicationLabel.application)):
            holders = [row[owner._meta.name] for row in await table.select(owner).where(table.label == source["id"])]
            already = {row[owner._meta.name] for row in await table.select(owner).where(
                (table.label == target["id"]) & owner.is_in(holders or [0]))}
            await table.delete().where((table.label == source["id"]) & owner.is_in(list(already) or [0]))
            await table.update({table.label: target["id"]}).where(table.label == source["id"])
            moved[owner._meta.name] = len(holders)
            if table is ProjectLabel:
                projects = holders
        await LabelAlias.update({LabelAlias.label: target["id"]}).where(LabelAlias.label == source["id"])
        await LabelAlias.insert(LabelAlias(old_slug=source_slug, label=target["id"]))
        await Label.delete().where(Label.id == source["id"])
        for project_id in projects:
            await refresh_search_index(project_id)
        await record_event("label.merged", actor_id=actor.id, actor=actor.email, object_type="label",
                           object_id=source_slug, data={"into": target_slug, "projects": moved["project"],
                                                        "applications": moved["application"]})
    return {**await label_by_slug(target_slug), "moved_projects": moved["project"],
            "moved_applications": moved["application"]}


async def manage_rows() -> list[dict[str, Any]]:
    """Every label by category and position, with its project and application counts and its aliases."""
    from registry.applications.tables import ApplicationLabel
    from registry.projects.tables import ProjectLabel

    projects: dict[int, int] = {}
    for row in await ProjectLabel.select(ProjectLabel.label):
        projects[row["label"]] = projects.get(row["label"], 0) + 1
    applications: dict[int, int] = {}
    for row in await ApplicationLabel.select(ApplicationLabel.label):
        applications[row["label"]] = applications.get(row["label"], 0) + 1
    aliases: dict[int, list[str]] = {}
    for row in await LabelAlias.select(LabelAlias.old_slug, LabelAlias.label).order_by(LabelAlias.old_slug):
        aliases.setdefault(row["label"], []).append(row["old_slug"])
    rows = await Label.select().order_by(Label.category).order_by(Label.position).order_by(Label.slug)
    return [{**row, "projects": projects.get(row["id"], 0), "applications": applications.get(row["id"], 0),
             "aliases": aliases.get(row["id"], [])} for row in rows]
