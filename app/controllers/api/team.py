"""The funded team's API: declare results (members or staff). PATCH /api/v1/projects/{slug} is in
app.controllers.api.projects (same path as its GET)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, post, put
from litestar.params import FromPath, JSONBody

from app.controllers.api.projects import ResultOut, _convert
from app.web.guards import requires_login
from registry.team import edits


class ResultIn(msgspec.Struct):
    kind: Any = None
    title: Any = None
    doi: Any = None
    url: Any = None
    year: Any = None


def _given(data: msgspec.Struct) -> dict[str, Any]:
    return {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}


class TeamApi(Controller):
    path = "/api/v1"
    tags = ["registre"]
    guards = [requires_login]

    @post("/projects/{slug:str}/results", summary="Déclarer un résultat (publication, données, logiciel…)",
          status_code=201)
    async def add_result(self, request: Request, slug: FromPath[str], data: JSONBody[ResultIn]) -> ResultOut:
        return _convert(await edits.add_result(slug, _given(data), actor=request.user), ResultOut)

    @put("/projects/{slug:str}/results/{result_id:int}", summary="Modifier un résultat")
    async def update_result(self, request: Request, slug: FromPath[str], result_id: FromPath[int],
                            data: JSONBody[ResultIn]) -> ResultOut:
        return _convert(await edits.update_result(slug, result_id, _given(data), actor=request.user), ResultOut)

    @delete("/projects/{slug:str}/results/{result_id:int}", summary="Supprimer un résultat", status_code=204)
    async def delete_result(self, request: Request, slug: FromPath[str], result_id: FromPath[int]) -> None:
        await edits.delete_result(slug, result_id, actor=request.user)
