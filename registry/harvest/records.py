"""The normalised record every harvester produces and `ingest_repository` stores.

A field left to None was not fetched this time: the stored value is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class ReleaseRecord:
    tag: str
    name: str = ""
    published_at: datetime | None = None
    notes_html: str = ""
    url: str = ""
    commit_sha: str = ""
    from_tag_only: bool = False


@dataclass
class RepositoryRecord:
    url: str | None = None  # set when the forge reports a new location
    forge_id: str | None = None
    full_name: str | None = None
    default_branch: str | None = None
    description: str | None = None
    homepage: str | None = None
    topics: list[str] | None = None
    languages: dict[str, int] | None = None
    stars: int | None = None
    forks: int | None = None
    archived: bool | None = None
    last_push_at: datetime | None = None
    head_sha: str | None = None
    readme_html: str | None = None
    metadata_files: dict[str, Any] | None = None  # merged key by key into the stored dict
    files: list[str] | None = None  # paths of the default branch listed (root, or whole tree for Git)
    licence_forge: str | None = None
    licence_texts: dict[str, str] | None = None  # replaces the stored dict when given
    releases: list[ReleaseRecord] | None = None  # real releases; upserted by tag
    tag_releases: list[ReleaseRecord] | None = None  # tags, only where no release exists


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    FAILED = "failed"
    DEFERRED = "deferred"  # rate limit: not attempted, rescheduled at the reset
    GONE = "gone"


@dataclass
class HarvestResult:
    """What a harvester learnt about one repository; `validators` replaces the stored state."""

    outcome: Outcome
    record: RepositoryRecord | None = None
    validators: dict[str, Any] | None = None
    reason: str = ""  # French, for FAILED/DEFERRED/GONE
    retry_at: datetime | None = None  # DEFERRED: the rate-limit reset
    requests: int = 0


@dataclass(frozen=True)
class RepositoryTarget:
    """What a harvester needs to know about a stored repository."""

    id: int
    url: str
    forge: str
    full_name: str
    forge_id: str
    default_branch: str
    head_sha: str
    last_push_at: datetime | None
    validators: dict[str, Any] = field(default_factory=dict)
    # tag -> True when its date is known (a release or a dated tag).
    known_tags: dict[str, bool] = field(default_factory=dict)
    project_id: int = 0
    gone: bool = False
