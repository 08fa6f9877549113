"""Public registry API: projects, releases, labels (read-only, no account needed)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, patch
from litestar.params import FromPath, JSONBody

from app.web.guards import requires_login
from registry.projects import detail as detail_queries
from registry.projects import queries
from registry.projects.browse import parse_browse_query, parse_since


class LicenceOut(msgspec.Struct):
    expression: str
    compliant: bool | None


class ReleaseRef(msgspec.Struct):
    tag: str
    published_at: datetime | None


class RepositoryRef(msgspec.Struct):
    url: str
    forge: str
    last_harvest_at: datetime | None


class LabelRef(msgspec.Struct):
    slug: str
    category: str
    name_fr: str
    name_en: str


class CallRef(msgspec.Struct):
    slug: str
    title_fr: str
    title_en: str


class ProjectItem(msgspec.Struct):
    slug: str
    title: str
    public_title: str
    public_summary: str
    labels: list[LabelRef]
    call: CallRef | None
    amount: int
    licence: LicenceOut
    latest_release: ReleaseRef | None
    repositories: list[RepositoryRef]


class ProjectPage(msgspec.Struct):
    items: list[ProjectItem]
    total: int
    page: int
    per_page: int


class ReleaseOut(msgspec.Struct):
    tag: str
    name: str
    published_at: datetime | None
    url: str
    notes_html: str
    licence: str
    repository: str


class ProjectName(msgspec.Struct):
    slug: str
    title: str
    public_title: str


class RegistryRelease(ReleaseOut):
    project: ProjectName


class ReleasePage(msgspec.Struct):
    items: list[RegistryRelease]
    total: int
    page: int
    per_page: int


class TeamMember(msgspec.Struct):
    name: str
    role: str = ""
    organisation: str = ""


class TrancheRef(msgspec.Struct):
    amount: int
    state: str
    approved_at: datetime | None = None
    paid_at: datetime | None = None


class Milestone(msgspec.Struct):
    title: str
    due_on: date | None
    deliverable: str
    expected_version: str
    status: str
    verified_at: datetime | None
    id: int = 0
    kind: str = "manual"
    min_version: str = ""
    path: str = ""
    since: date | None = None
    evidence: dict[str, Any] = {}
    met_at: datetime | None = None
    note: str = ""
    waived_reason: str = ""
    tranche: TrancheRef | None = None


class ResultOut(msgspec.Struct):
    kind: str
    title: str
    url: str
    identifier: str
    year: int | None
    id: int = 0
    doi: str = ""  # 10.NNNN/… when the identifier is a DOI (link: https://doi.org/<doi>)


class RepositoryOut(msgspec.Struct):
    url: str
    forge: str
    full_name: str
    description: str
    homepage: str
    default_branch: str
    topics: list[str]
    languages: dict[str, int]
    stars: int | None
    forks: int | None
    archived: bool
    gone: bool
    last_push_at: datetime | None
    licence_forge: str
    licence: str
    last_harvest_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    consecutive_failures: int


class FindingOut(msgspec.Struct):
    source: str
    repository: str
    path: str
    expression: str
    confidence: float
    detected_at: datetime | None


class Disagreement(msgspec.Struct):
    fr: str
    en: str


class LicenceDetail(msgspec.Struct):
    expression: str
    compliant: bool | None
    reason_fr: str
    reason_en: str
    disagreements: list[Disagreement]


class ProjectDetail(msgspec.Struct):
    slug: str
    title: str
    public_title: str
    public_summary: str
    description: str
    labels: list[LabelRef]
    call: CallRef | None
    amount: int
    decided_at: datetime | None
    status: str
    organisation: str
    team: list[TeamMember]
    licence: LicenceDetail
    licence_findings: list[FindingOut]
    latest_release: ReleaseRef | None
    repositories: list[RepositoryOut]
    milestones: list[Milestone]
    results: list[ResultOut]
    amount_paid: int = 0
    members: list[TeamMember] = []  # the team's accounts (registry.team), public names only


class ProjectPatchIn(msgspec.Struct):
    public_title: Any = msgspec.UNSET
    public_summary: Any = msgspec.UNSET
    description: Any = msgspec.UNSET
    team: Any = msgspec.UNSET
    repositories: Any = msgspec.UNSET


class LabelOut(msgspec.Struct):
    slug: str
    category: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    projects: int
    position: int = 0
    retired: bool = False  # retired labels stay on their projects and are no longer offered
    aliases: list[str] = []  # slugs of the labels merged into this one (they still resolve)


def _convert(value: Any, kind: type) -> Any:
    return msgspec.convert(value, kind, from_attributes=False, strict=False)


def _query_params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params}


class ProjectsApi(Controller):
    path = "/api/v1"
    tags = ["registre"]

    @get("/projects", summary="Projets financés (filtres, tri, pagination)")
    async def list_projects(self, request: Request) -> ProjectPage:
        """Filters: q, label (repeatable), licence, compliant, call, language, forge, status, has_release;
        sort recent|name|funding; page, per_page (≤ 100)."""
        result = await queries.browse_projects(parse_browse_query(_query_params(request)), with_facets=False)
        return ProjectPage(
            items=_convert(result.items, list[ProjectItem]),
            total=result.total,
            page=result.page,
            per_page=result.per_page,
        )

    @get("/projects/{slug:str}", summary="Un projet, avec dépôts, versions, licences, jalons et résultats")
    async def get_project(self, slug: FromPath[str]) -> ProjectDetail:
        detail = await detail_queries.project_detail(slug)
        detail["licence_findings"] = detail.pop("findings")
        return _convert(detail, ProjectDetail)

    @patch("/projects/{slug:str}", guards=[requires_login],
           summary="Modifier les champs publics d'un projet (membre ou gestionnaire)")
    async def patch_project(self, request: Request, slug: FromPath[str],
                            data: JSONBody[ProjectPatchIn]) -> ProjectDetail:
        """Only the fields given change (team: [{name, role?, organisation?}], repositories: [url]);
        each change is audited and listed in the project's public history (/projects/{slug}/history)."""
        from app.controllers.applications import url_policy
        from registry.team import edits

        given = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
        await edits.edit_public(slug, given, actor=request.user, policy=url_policy(request),
                                gitlab_hosts=tuple(request.app.state.settings.gitlab_hosts))
        detail = await detail_queries.project_detail(slug)
        detail["licence_findings"] = detail.pop("findings")
        return _convert(detail, ProjectDetail)

    @get("/projects/{slug:str}/releases", summary="Versions d'un projet")
    async def project_releases(self, slug: FromPath[str]) -> list[ReleaseOut]:
        return _convert(await queries.project_releases(slug), list[ReleaseOut])

    @get("/releases", summary="Versions de tout le registre, les plus récentes d'abord")
    async def releases(self, request: Request) -> ReleasePage:
        """`since`: ISO 8601 time (e.g. 2026-01-31T00:00:00+01:00); plus the project filters."""
        params = _query_params(request)
        since = parse_since((params.get("since") or [""])[-1])
        query = parse_browse_query({k: v for k, v in params.items() if k not in ("since",)}, per_page=50)
        items, total = await queries.registry_releases(
            since=since, query=query, page=query.page, per_page=query.per_page
        )
        return ReleasePage(
            items=_convert(items, list[RegistryRelease]), total=total, page=query.page, per_page=query.per_page
        )

    # GET /api/v1/labels lives with the label writes in app/controllers/api/labels.py (one route, one controller).
