"""Label taxonomy: the public list, and the manager's writes (create, rename/describe/place/retire, merge)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody

from app.controllers.api.projects import LabelOut, _convert
from app.web.guards import requires_staff
from registry.errors import FieldError, InvalidInput
from registry.labels import service


class LabelWritten(msgspec.Struct):
    slug: str
    category: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    position: int
    retired: bool
    moved_projects: int | None = None
    moved_applications: int | None = None


def _out(row: dict[str, Any]) -> LabelWritten:
    return LabelWritten(slug=row["slug"], category=row["category"], name_fr=row["name_fr"], name_en=row["name_en"],
                        description_fr=row["description_fr"], description_en=row["description_en"],
                        position=row["position"], retired=row["retired_at"] is not None,
                        moved_projects=row.get("moved_projects"), moved_applications=row.get("moved_applications"))


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("Un objet JSON est attendu.", [FieldError("body", "Un objet JSON est attendu.")])
    return data


def _target(data: dict[str, Any]) -> str:
    target = data.get("merge_into")
    if not isinstance(target, str):
        raise InvalidInput("Choisissez l’étiquette qui la remplace.",
                           [FieldError("merge_into", "Choisissez l’étiquette qui la remplace.")])
    return target


class LabelsApi(Controller):
    path = "/api/v1/labels"
    tags = ["registre"]

    @get("/", summary="Étiquettes de la taxonomie, avec le nombre de projets")
    async def labels(self) -> list[LabelOut]:
        """Retired labels are listed with `retired: true`; `aliases` are the slugs merged into each label."""
        from registry.projects import queries

        return _convert(await queries.list_labels(), list[LabelOut])

    @post("/", guards=[requires_staff], status_code=201, summary="Create a label (manager)")
    async def create_label(self, request: Request, data: JSONBody[dict[str, Any]]) -> LabelWritten:
        """`{slug, category, name_fr, name_en, description_fr?, description_en?}`; 409 when the slug is taken
        (by a label or a merged label's alias)."""
        return _out(await service.create_label(_object(data), actor=request.user))

    @patch("/{slug:str}", guards=[requires_staff], summary="Change a label (manager)")
    async def patch_label(self, request: Request, slug: FromPath[str], data: JSONBody[dict[str, Any]]) -> LabelWritten:
        """Any of name_fr, name_en, description_fr, description_en, category, position, retired (boolean).
        `{"merge_into": "<slug>"}` (alone) merges this label into another: its projects and applications
        move there and its slug becomes an alias that URLs, filters and feeds still accept."""
        body = _object(data)
        if "merge_into" in body:
            return _out(await service.merge_labels(slug, _target(body), actor=request.user))
        return _out(await service.update_label(slug, body, actor=request.user))

    @post("/{slug:str}/merge", guards=[requires_staff], status_code=200, summary="Merge a label into another (manager)")
    async def merge_label(self, request: Request, slug: FromPath[str], data: JSONBody[dict[str, Any]]) -> LabelWritten:
        """`{"merge_into": "<slug>"}`: the same as the PATCH form; answers the label merged into."""
        return _out(await service.merge_labels(slug, _target(_object(data)), actor=request.user))
