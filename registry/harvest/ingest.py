"""The one place harvested data enters the registry tables."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from registry.db import write_transaction
from registry.projects.tables import LicenceFinding, Release, Repository

from .records import HarvestResult, Outcome, ReleaseRecord, RepositoryRecord
from .timefmt import N_, french_time

GONE_RECHECK = timedelta(days=1)
MAX_BACKOFF = timedelta(days=1)
_SCALAR_FIELDS = (
    "forge_id", "full_name", "default_branch", "description", "homepage", "topics",
    "languages", "stars", "forks", "archived", "last_push_at", "head_sha", "readme_html",
    "licence_forge", "licence_texts", "files",
)


@dataclass(frozen=True)
class IngestReport:
    outcome: Outcome  # CHANGED only when stored data really changed
    new_releases: int = 0
    next_attempt_at: datetime | None = None


def failure_backoff(failures: int, *, interval: timedelta) -> timedelta:
    """1×, 2×, 4× … the check interval, capped at a day, with ±10 % jitter; never dropped."""
    base = min(interval * (2 ** max(failures - 1, 0)), MAX_BACKOFF)
    return base * random.uniform(0.9, 1.1)


async def ingest_repository(
    repository_id: int, result: HarvestResult, *, now: datetime, check_interval: timedelta,
    refresh_index: bool = True,
) -> IngestReport:
    """Store one harvest result, in one transaction.

    Success: updates the fields the record carries (None keeps the stored value), upserts
    releases, replaces validators, clears the error and schedules the next check.
    Failure or deferral: touches only the error and scheduling fields, so nothing harvested
    before is lost. Gone: marks the repository gone, keeping its data.
    `refresh_index=False`: the caller refreshes the project's search index itself (a run does it
    once per changed project).
    """
    if result.outcome is Outcome.UNCHANGED and result.record is None:
        # The common case (a 304): one statement, no read.
        next_at = now + check_interval
        await _update(repository_id, validators=result.validators or {}, gone=False,
                      last_success_at=now, last_attempt_at=now, last_error="", last_error_at=None,
                      consecutive_failures=0, next_attempt_at=next_at)
        return IngestReport(outcome=Outcome.UNCHANGED, next_attempt_at=next_at)
    async with write_transaction(Repository._meta.db):
        rows = await Repository.select().where(Repository.id == repository_id)
        if not rows:
            return IngestReport(outcome=Outcome.FAILED)
        row = rows[0]
        if result.outcome is Outcome.FAILED:
            failures = row["consecutive_failures"] + 1
            next_at = now + failure_backoff(failures, interval=check_interval)
            reason = N_("%(reason)s ; nouvel essai %(when)s") % {
                "reason": result.reason, "when": french_time(next_at, now=now)}
            await _update(repository_id, last_attempt_at=now, last_error=reason,
                          last_error_at=now, consecutive_failures=failures, next_attempt_at=next_at)
            return IngestReport(outcome=Outcome.FAILED, next_attempt_at=next_at)
        if result.outcome is Outcome.DEFERRED:
            next_at = result.retry_at or now + check_interval
            await _update(repository_id, last_error=result.reason, last_error_at=now,
                          next_attempt_at=next_at)
            return IngestReport(outcome=Outcome.DEFERRED, next_attempt_at=next_at)
        if result.outcome is Outcome.GONE:
            next_at = now + GONE_RECHECK
            await _update(repository_id, gone=True, last_attempt_at=now, last_error=result.reason,
                          last_error_at=now, next_attempt_at=next_at)
            return IngestReport(outcome=Outcome.GONE, next_attempt_at=next_at)

        changes = _field_changes(row, result.record) if result.record else {}
        new_releases = 0
        touched = 0
        if result.record is not None:
            new_releases, touched = await _store_releases(repository_id, result.record)
            if "licence_forge" in changes or "licence_texts" in changes:
                await _store_licence_findings(row["project"], repository_id, result.record)
        next_at = now + check_interval
        await _update(repository_id, **changes, validators=result.validators or row["validators"],
                      gone=False, last_success_at=now, last_attempt_at=now, last_error="",
                      last_error_at=None, consecutive_failures=0, next_attempt_at=next_at)
        changed = bool(changes) or touched > 0
    if changed and refresh_index:
        # Search, facets and sort keys follow what was harvested (outside the write transaction).
        from registry.projects.search import refresh_search_index

        await refresh_search_index(row["project"])
    return IngestReport(outcome=Outcome.CHANGED if changed else Outcome.UNCHANGED,
                        new_releases=new_releases, next_attempt_at=next_at)


async def mark_unchanged(repository_ids: list[int], *, now: datetime, check_interval: timedelta) -> datetime:
    """The 304 bookkeeping of many repositories in one statement; validators stay as stored."""
    next_at = now + check_interval
    await Repository.update({
        Repository.gone: False, Repository.last_success_at: now, Repository.last_attempt_at: now,
        Repository.last_error: "", Repository.last_error_at: None, Repository.consecutive_failures: 0,
        Repository.next_attempt_at: next_at,
    }).where(Repository.id.is_in(repository_ids))
    return next_at


async def _update(repository_id: int, **values: Any) -> None:
    columns = {getattr(Repository, name): value for name, value in values.items()}
    await Repository.update(columns).where(Repository.id == repository_id)


def _field_changes(row: dict[str, Any], record: RepositoryRecord) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in _SCALAR_FIELDS:
        value = getattr(record, name)
        if value is not None and _loaded(row[name]) != value:
            changes[name] = value
    if record.metadata_files is not None:
        merged = {**_loaded(row["metadata_files"]), **record.metadata_files}
        merged = {k: v for k, v in merged.items() if v is not None}
        if merged != _loaded(row["metadata_files"]):
            changes["metadata_files"] = merged
    if record.url is not None and record.url != row["url"]:
        changes["url"] = record.url
        changes["moved_from"] = row["url"]
    return changes


def _loaded(value: Any) -> Any:
    # JSON columns come back as text on SQLite and on PostgreSQL alike.
    if isinstance(value, str) and value[:1] in {"{", "["}:
        import json

        return json.loads(value)
    return value


async def _store_releases(repository_id: int, record: RepositoryRecord) -> tuple[int, int]:
    existing = {
        r["tag"]: r
        for r in await Release.select().where(Release.repository == repository_id)
    }
    inserted = touched = 0
    for release in record.releases or []:
        values = _release_values(release)
        current = existing.get(release.tag)
        if current is None:
            await Release.insert(Release(repository=repository_id, tag=release.tag, **values))
            existing[release.tag] = {**values, "tag": release.tag}
            inserted += 1
            touched += 1
        elif any(current[k] != v for k, v in values.items()):
            await Release.update({getattr(Release, k): v for k, v in values.items()}).where(
                (Release.repository == repository_id) & (Release.tag == release.tag)
            )
            touched += 1
    for tag in record.tag_releases or []:
        current = existing.get(tag.tag)
        values = _release_values(tag)
        if current is None:
            await Release.insert(Release(repository=repository_id, tag=tag.tag, **values))
            existing[tag.tag] = {**values, "tag": tag.tag}
            inserted += 1
            touched += 1
        elif current["from_tag_only"] and current["published_at"] is None and tag.published_at:
            await Release.update({Release.published_at: tag.published_at,
                                  Release.commit_sha: tag.commit_sha}).where(
                (Release.repository == repository_id) & (Release.tag == tag.tag)
            )
            touched += 1
    return inserted, touched


def _release_values(release: ReleaseRecord) -> dict[str, Any]:
    values = asdict(release)
    values.pop("tag")
    return values


async def _store_licence_findings(project_id: int, repository_id: int, record: RepositoryRecord) -> None:
    """Forge answer and file detections, when the licence detector is installed."""
    try:
        from registry.licences.detect import detect_text
    except ImportError:
        return
    findings: list[LicenceFinding] = []
    if record.licence_forge is not None:
        await LicenceFinding.delete().where(
            (LicenceFinding.repository == repository_id) & (LicenceFinding.source == "forge_api")
            & LicenceFinding.release.is_null()
        )
        if record.licence_forge:
            findings.append(LicenceFinding(project=project_id, repository=repository_id,
                                           source="forge_api", expression=record.licence_forge,
                                           confidence=1.0))
    if record.licence_texts is not None:
        await LicenceFinding.delete().where(
            (LicenceFinding.repository == repository_id) & (LicenceFinding.source == "file")
            & LicenceFinding.release.is_null()
        )
        for path, text in sorted(record.licence_texts.items()):
            detection = detect_text(text)
            findings.append(LicenceFinding(project=project_id, repository=repository_id,
                                           source="file", path=path, expression=detection.spdx,
                                           confidence=float(detection.confidence)))
    if findings:
        await LicenceFinding.insert(*findings)
