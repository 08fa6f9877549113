"""Full-text search and facets of the registry, kept in sync by `refresh_search_index(project_id)`.

SQLite: an FTS5 table (unicode61, diacritics removed) over text stemmed in Python with Snowball's
French stemmer; the query goes through the same stemmer. PostgreSQL: a tsvector built with the
'french' configuration over `unaccent`ed text, matched with `plainto_tsquery`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from piccolo.engine import engine_finder

from registry.db import is_postgres, write_transaction
from registry.labels.tables import Label
from registry.projects.licence_view import project_licence
from registry.projects.tables import (
    LicenceFinding,
    Project,
    ProjectFacet,
    ProjectLabel,
    Release,
    Repository,
)

_WORD = re.compile(r"\w+", re.UNICODE)
_LICENCE_TOKEN = re.compile(r"[A-Za-z0-9.+:\-]+")
MAX_QUERY_WORDS = 12


@cache
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("french")


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def stem_words(text: str) -> list[str]:
    """Lower-cased French stems of the words with their accents removed first.

    Folding before stemming (as PostgreSQL's unaccent then 'french' does) makes "donnees" and
    "données" meet; stemming the accented word would give different stems.
    """
    return [_stem(_fold(w.lower())) for w in _WORD.findall(text)]


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    # The pure-Python stemmer costs ~0.1 ms a word; a vocabulary is small, so remember it.
    return str(_stemmer().stemWord(word))


def licence_keys(expression: str) -> list[str]:
    tokens = _LICENCE_TOKEN.findall(expression or "")
    return sorted({t for t in tokens if t.upper() not in ("AND", "OR", "WITH")})


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: every stem must appear, the last one as a prefix (a word being typed).

    Quoting each stem defuses FTS syntax; prefixes only on the last word keep common stems cheap.
    """
    stems = [s for s in dict.fromkeys(stem_words(text)) if s][:MAX_QUERY_WORDS]
    return " AND ".join(f'"{s}"' + ("*" if i == len(stems) - 1 else "") for i, s in enumerate(stems))


async def _document(project: dict[str, Any], labels: list[dict[str, Any]], repositories: list[dict[str, Any]]) -> str:
    parts = [
        project["title"],
        project["public_title"],
        project["public_summary"],
        project["description"],
        project["organisation_name"],
        project["slug"].replace("-", " "),
    ]
    parts += [f"{label['name_fr']} {label['name_en']}" for label in labels]
    for repo in repositories:
        parts += [repo["full_name"].replace("/", " "), repo["description"], " ".join(_json(repo["topics"]) or [])]
    for member in _json(project["team"]) or []:
        if isinstance(member, dict):
            parts.append(str(member.get("name", "")))
    return "\n".join(p for p in parts if p)


def _languages(repositories: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for repo in repositories:
        languages = _json(repo["languages"]) or {}
        if isinstance(languages, dict) and languages:
            # The main language of each repository, so a few lines of shell do not count.
            found.add(max(languages.items(), key=lambda kv: kv[1] or 0)[0])
        elif isinstance(languages, list):
            found.update(str(x) for x in languages[:1])
    return found


async def refresh_search_index(project_id: int) -> None:
    """Recomputes the project's search document, facets and listing columns.

    Call after creating or changing a project, its labels, repositories, releases or licence findings.
    Two refreshes of one project (a harvest and a released decision) run one after the other.
    """
    engine = engine_finder()
    async with write_transaction(engine):
        if is_postgres(engine):
            await Project.raw("SELECT id FROM ami_project WHERE id = {} FOR UPDATE", project_id)
        await _refresh_search_index(project_id)


async def _refresh_search_index(project_id: int) -> None:
    project = await Project.select().where(Project.id == project_id).first()
    if project is None:
        return
    labels = await Label.select(Label.slug, Label.name_fr, Label.name_en).where(
        Label.id.is_in(ProjectLabel.select(ProjectLabel.label).where(ProjectLabel.project == project_id))
    )
    repositories = await Repository.select(
        Repository.id,
        Repository.forge,
        Repository.full_name,
        Repository.description,
        Repository.topics,
        Repository.languages,
    ).where(Repository.project == project_id)
    repo_ids = [r["id"] for r in repositories]
    latest = None
    if repo_ids:
        latest = (
            await Release.select(Release.tag, Release.published_at)
            .where(Release.repository.is_in(repo_ids) & Release.published_at.is_not_null())
            .order_by(Release.published_at, ascending=False)
            .first()
        )
    findings = await LicenceFinding.select().where(
        (LicenceFinding.project == project_id) & LicenceFinding.release.is_null()
    )
    licence = project_licence(findings, [r["id"] for r in repositories], project["declared_licence"])

    facets: set[tuple[str, str]] = {("label", label["slug"]) for label in labels}
    facets |= {("language", lang) for lang in _languages(repositories)}
    facets |= {("forge", repo["forge"]) for repo in repositories if repo["forge"]}
    facets.add(("status", project["status"]))
    facets.add(("release", "yes" if latest else "no"))
    if project["call"] is not None:
        facets.add(("call", str(project["call"])))
    facets |= {("licence", key[:200]) for key in licence_keys(licence.expression)}
    facets.add(("compliant", {True: "true", False: "false", None: "unknown"}[licence.compliant]))

    document = await _document(project, labels, repositories)
    engine = engine_finder()
    await Project.update(
        {
            Project.sort_name: _fold(project["public_title"] or project["title"]).lower()[:300],
            Project.latest_release_at: latest["published_at"] if latest else None,
            Project.latest_release_tag: latest["tag"] if latest else "",
            Project.licence_expression: licence.expression[:300],
            Project.licence_compliant: licence.compliant,
        }
    ).where(Project.id == project_id)
    await ProjectFacet.delete().where(ProjectFacet.project == project_id)
    await ProjectFacet.insert(*[ProjectFacet(project=project_id, kind=k, value=v) for k, v in sorted(facets)])
    if is_postgres(engine):
        await Project.raw(
            "INSERT INTO ami_project_search (project, document) "
            "VALUES ({}, to_tsvector('french', unaccent({}))) "
            "ON CONFLICT (project) DO UPDATE SET document = EXCLUDED.document",
            project_id,
            document,
        )
    else:
        await Project.raw("DELETE FROM ami_project_fts WHERE rowid = {}", project_id)
        stemmed = " ".join(stem_words(document))
        await Project.raw("INSERT INTO ami_project_fts (rowid, body) VALUES ({}, {})", project_id, stemmed)


async def refresh_all_search_indexes() -> int:
    ids = [row["id"] for row in await Project.select(Project.id).order_by(Project.id)]
    for project_id in ids:
        await refresh_search_index(project_id)
    return len(ids)


def match_ids(text: str, *, postgres: bool) -> tuple[str, list[Any]] | None:
    """A SELECT of the ids of the projects matching `text`; None when nothing to search."""
    if postgres:
        if not _WORD.search(text):
            return None
        return (
            "SELECT project AS id FROM ami_project_search WHERE document @@ plainto_tsquery('french', unaccent({}))",
            [text[:300]],
        )
    expression = fts_query(text[:300])
    if not expression:
        return None
    return "SELECT rowid AS id FROM ami_project_fts WHERE ami_project_fts MATCH {}", [expression]


def match_clause(text: str, *, postgres: bool) -> tuple[str, list[Any]] | None:
    """SQL restricting ami_project.id to the projects matching `text`; None when nothing to search."""
    matched = match_ids(text, postgres=postgres)
    return (f"ami_project.id IN ({matched[0]})", matched[1]) if matched else None
