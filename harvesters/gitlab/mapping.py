"""GitLab REST v4 payloads -> the normalised record (pure functions)."""

from __future__ import annotations

from typing import Any

from registry.harvest.records import ReleaseRecord, RepositoryRecord

from ..content import parse_time, render_markdown, require, require_list
from ..errors import MalformedPayload

# GitLab reports licences by its own keys; SPDX ids for the ones it knows.
_SPDX = {
    "mit": "MIT", "apache-2.0": "Apache-2.0", "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause", "gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only",
    "lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only", "agpl-3.0": "AGPL-3.0-only",
    "mpl-2.0": "MPL-2.0", "epl-2.0": "EPL-2.0", "eupl-1.2": "EUPL-1.2", "unlicense": "Unlicense",
    "cc0-1.0": "CC0-1.0", "isc": "ISC",
}


def spdx_from_gitlab(key: str) -> str:
    return _SPDX.get(key.lower(), key) if key and key.lower() != "other" else ""


def map_project(payload: Any, *, forge: str) -> RepositoryRecord:
    licence = payload.get("license") if isinstance(payload, dict) else None
    return RepositoryRecord(
        url=str(require(payload, "web_url", forge=forge)),
        forge_id=str(require(payload, "id", forge=forge)),
        full_name=str(require(payload, "path_with_namespace", forge=forge)),
        default_branch=str(payload.get("default_branch") or ""),
        description=payload.get("description") or "",
        homepage="",
        topics=[str(t) for t in payload.get("topics") or payload.get("tag_list") or []],
        stars=int(require(payload, "star_count", forge=forge)),
        forks=int(require(payload, "forks_count", forge=forge)),
        archived=bool(payload.get("archived", False)),
        last_push_at=parse_time(require(payload, "last_activity_at", forge=forge)),
        licence_forge=spdx_from_gitlab(str((licence or {}).get("key") or "")),
    )


def map_languages(payload: Any, *, forge: str) -> dict[str, int]:
    """GitLab gives percentages; kept as tenths of a percent to stay integers."""
    if not isinstance(payload, dict):
        raise MalformedPayload(f"{forge} a renvoyé une réponse inattendue pour les langages")
    return {str(k): round(float(v) * 10) for k, v in payload.items()}


def map_branch_head(payload: Any, *, forge: str) -> str:
    return str(require(require(payload, "commit", forge=forge), "id", forge=forge))


def map_release(payload: Any, *, forge: str) -> ReleaseRecord:
    tag = str(require(payload, "tag_name", forge=forge))
    links = payload.get("_links") or {}
    commit = payload.get("commit") or {}
    return ReleaseRecord(
        tag=tag,
        name=payload.get("name") or tag,
        published_at=parse_time(payload.get("released_at") or payload.get("created_at")),
        notes_html=render_markdown(payload.get("description") or ""),
        url=links.get("self") or "",
        commit_sha=str(commit.get("id") or ""),
    )


def map_tag(payload: Any, *, web_url: str, forge: str) -> ReleaseRecord:
    name = str(require(payload, "name", forge=forge))
    commit = require(payload, "commit", forge=forge) or {}
    return ReleaseRecord(
        tag=name, name=name,
        published_at=parse_time(commit.get("committed_date") or commit.get("created_at")),
        url=f"{web_url}/-/tags/{name}", commit_sha=str(commit.get("id") or ""),
        from_tag_only=True,
    )


def map_tree(payload: Any, *, forge: str) -> dict[str, str]:
    """Root tree -> file name -> blob sha."""
    return {
        str(require(e, "name", forge=forge)): str(require(e, "id", forge=forge))
        for e in require_list(payload, forge=forge, what="les fichiers")
        if e.get("type") == "blob"
    }
