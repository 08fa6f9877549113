"""GitHub REST v3 payloads -> the normalised record (pure functions)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from registry.harvest.records import ReleaseRecord, RepositoryRecord

from ..content import parse_time, render_markdown, require, require_list
from ..errors import MalformedPayload

FORGE = "GitHub"


def map_repository(payload: Any) -> RepositoryRecord:
    licence = payload.get("license") if isinstance(payload, dict) else None
    spdx = (licence or {}).get("spdx_id") or ""
    return RepositoryRecord(
        url=str(require(payload, "html_url", forge=FORGE)),
        forge_id=str(require(payload, "id", forge=FORGE)),
        full_name=str(require(payload, "full_name", forge=FORGE)),
        default_branch=str(require(payload, "default_branch", forge=FORGE)),
        description=payload.get("description") or "",
        homepage=payload.get("homepage") or "",
        topics=[str(t) for t in payload.get("topics") or []],
        stars=int(require(payload, "stargazers_count", forge=FORGE)),
        forks=int(require(payload, "forks_count", forge=FORGE)),
        archived=bool(payload.get("archived", False)),
        last_push_at=parse_time(require(payload, "pushed_at", forge=FORGE)),
        licence_forge="" if spdx == "NOASSERTION" else spdx,
    )


def map_languages(payload: Any) -> dict[str, int]:
    if not isinstance(payload, dict):
        raise MalformedPayload(f"{FORGE} a renvoyé une réponse inattendue pour les langages")
    return {str(k): int(v) for k, v in payload.items()}


def map_tags(payload: list[Any]) -> dict[str, str]:
    """tag name -> commit sha."""
    tags: dict[str, str] = {}
    for item in require_list(payload, forge=FORGE, what="les étiquettes"):
        commit = require(item, "commit", forge=FORGE)
        tags[str(require(item, "name", forge=FORGE))] = str(require(commit, "sha", forge=FORGE))
    return tags


def map_release(payload: Any, tag_commits: dict[str, str]) -> ReleaseRecord | None:
    if payload.get("draft"):
        return None
    tag = str(require(payload, "tag_name", forge=FORGE))
    return ReleaseRecord(
        tag=tag,
        name=payload.get("name") or tag,
        published_at=parse_time(payload.get("published_at") or payload.get("created_at")),
        notes_html=render_markdown(payload.get("body") or ""),
        url=payload.get("html_url") or "",
        commit_sha=tag_commits.get(tag, ""),
    )


def map_tag_release(tag: str, sha: str, date: datetime | None, html_url: str) -> ReleaseRecord:
    return ReleaseRecord(tag=tag, name=tag, published_at=date, url=f"{html_url}/tree/{tag}",
                         commit_sha=sha, from_tag_only=True)


def map_commit_date(payload: Any) -> datetime | None:
    commit = require(payload, "commit", forge=FORGE)
    committer = commit.get("committer") or commit.get("author") or {}
    return parse_time(committer.get("date"))


def map_root_entries(payload: Any) -> dict[str, str]:
    """Root directory listing -> file name -> blob sha."""
    entries = require_list(payload, forge=FORGE, what="les fichiers")
    return {
        str(require(e, "name", forge=FORGE)): str(require(e, "sha", forge=FORGE))
        for e in entries
        if e.get("type") == "file"
    }


def map_file_text(payload: Any) -> str:
    content = require(payload, "content", forge=FORGE)
    try:
        data = base64.b64decode(str(content), validate=False)
    except (binascii.Error, ValueError):
        raise MalformedPayload(f"{FORGE} a renvoyé un contenu de fichier illisible") from None
    return data.decode("utf-8", errors="replace")
