"""Edits of a project's public page by its members (or staff), their public history, and results.

Transitions:
- `edit_public`: public title, summary, description, team, repositories; audit `project.public_edit`
  with before/after of each changed field (read back by `public_history`); new repositories are
  harvested on the next run, removed ones (and their releases) disappear.
- `add_result` / `update_result` / `delete_result`: audit `project.result_added|updated|deleted`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.tables import User
from registry.audit.log import record_event
from registry.audit.tables import AuditEntry
from registry.db import write_transaction
from registry.errors import N_, FieldError, Forbidden, InvalidInput, NotFound
from registry.harvest.urls import UnsafeRepositoryURL, UrlPolicy
from registry.projects.tables import Project, Repository, Result
from registry.team.members import can_edit, project_by_slug

EDIT_FIELDS = ("public_title", "public_summary", "description", "team", "repositories")
TEXT_LIMITS = {"public_title": 300, "public_summary": 2000, "description": 20000}
RESULT_KINDS = ("publication", "dataset", "software", "other")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def parse_team(text: str) -> list[dict[str, str]]:
    """One person a line: « Nom ; rôle ; organisation » (role and organisation optional)."""
    team = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(";")]
        if parts and parts[0]:
            team.append({"name": parts[0][:200], "role": (parts[1] if len(parts) > 1 else "")[:200],
                         "organisation": (parts[2] if len(parts) > 2 else "")[:300], "type": "person"})
    return team


def team_text(team: list[dict[str, Any]]) -> str:
    return "\n".join(" ; ".join(x for x in (m.get("name", ""), m.get("role", ""), m.get("organisation", "")))
                     .rstrip(" ;") for m in team or [])


async def ensure_editor(actor: Actor | None, project_id: int) -> None:
    if not await can_edit(actor, project_id):
        raise Forbidden(N_("Seuls les membres du projet et l'équipe du programme modifient sa page."))


async def current_values(project: Project) -> dict[str, Any]:
    urls = [r["url"] for r in await Repository.select(Repository.url).where(
        Repository.project == project.id).order_by(Repository.id)]
    return {"public_title": project.public_title, "public_summary": project.public_summary,
            "description": project.description, "team": _json(project.team) or [], "repositories": urls}


def clean_values(values: dict[str, Any], *, policy: UrlPolicy) -> dict[str, Any]:
    """Only the fields given are checked and returned; raises InvalidInput naming each bad field."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name in values:
            text = values[name]
            if not isinstance(text, str):
                errors.append(FieldError(name, N_("Texte attendu.")))
                continue
            text = text.strip()
            if name == "public_title" and not text:
                errors.append(FieldError(name, N_("Le titre en langage clair est obligatoire.")))
            elif len(text) > limit:
                errors.append(FieldError(name, N_("Texte trop long (%(limit)s caractères au plus).")
                                         % {"limit": limit}))
            clean[name] = text
    if "team" in values:
        team = values["team"]
        if isinstance(team, str):
            team = parse_team(team)
        if not isinstance(team, list) or not all(isinstance(m, dict) and str(m.get("name", "")).strip()
                                                 for m in team):
            errors.append(FieldError("team", N_("Chaque personne de l'équipe a un nom.")))
        elif len(team) > 50:
            errors.append(FieldError("team", N_("Cinquante personnes au plus.")))
        else:
            clean["team"] = [{"name": str(m.get("name", "")).strip()[:200],
                              "role": str(m.get("role", "")).strip()[:200],
                              "organisation": str(m.get("organisation", "")).strip()[:300], "type": "person"}
                             for m in team]
    if "repositories" in values:
        urls = values["repositories"]
        if isinstance(urls, str):
            urls = urls.splitlines()
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            errors.append(FieldError("repositories", N_("Une liste d'adresses est attendue.")))
        else:
            cleaned: list[str] = []
            for raw in urls:
                if not raw.strip():
                    continue
                try:
                    parsed = policy.check(raw)
                except UnsafeRepositoryURL as error:
                    errors.append(FieldError("repositories", N_("Adresse de dépôt refusée (%(url)s) : %(reason)s.")
                                             % {"url": raw.strip(), "reason": error.detail}))
                    continue
                if parsed.url not in cleaned:
                    cleaned.append(parsed.url)
            if len(cleaned) > 20:
                errors.append(FieldError("repositories", N_("Vingt dépôts au plus.")))
            clean["repositories"] = cleaned
    if errors:
        raise InvalidInput(N_("Certains champs sont à corriger."), errors)
    return clean


async def edit_public(slug: str, values: dict[str, Any], *, actor: Actor, policy: UrlPolicy,
                      gitlab_hosts: tuple[str, ...]) -> list[str]:
    """Saves the fields given; returns the names of those that changed (nothing saved when none)."""
    from registry.reviews.decisions import forge_of

    project = await project_by_slug(slug)
    await ensure_editor(actor, project.id)
    clean = clean_values(values, policy=policy)
    before = await current_values(project)
    changes = {name: [before[name], after] for name, after in clean.items() if before[name] != after}
    if not changes:
        return []
    async with write_transaction(engine_finder()):
        updates: dict[Any, Any] = {getattr(Project, name): changes[name][1]
                                   for name in ("public_title", "public_summary", "description", "team")
                                   if name in changes}
        updates[Project.updated_at] = datetime.now(UTC)
        await Project.update(updates).where(Project.id == project.id)
        if "repositories" in changes:
            old, new = changes["repositories"]
            removed = [u for u in old if u not in new]
            if removed:
                await Repository.delete().where((Repository.project == project.id) & Repository.url.is_in(removed))
            for url in new:
                if url not in old:
                    forge, host = forge_of(url, gitlab_hosts)
                    await Repository(project=project.id, url=url, forge=forge, host=host).save()
        await record_event("project.public_edit", actor_id=actor.id, actor=actor.email, object_type="project",
                           object_id=project.id, data={"slug": slug, "changes": changes})
    from registry.projects.search import refresh_search_index

    await refresh_search_index(project.id)
    return list(changes)


async def public_history(project_id: int) -> list[dict[str, Any]]:
    """Newest first: who (public name), when, which fields (before → after)."""
    rows = await AuditEntry.select(AuditEntry.at, AuditEntry.actor_id, AuditEntry.action, AuditEntry.data).where(
        (AuditEntry.object_type == "project") & (AuditEntry.object_id == str(project_id))
        & AuditEntry.action.is_in(["project.public_edit", "project.result_added", "project.result_updated",
                                   "project.result_deleted"])).order_by(AuditEntry.seq, ascending=False)
    ids = {r["actor_id"] for r in rows if r["actor_id"]}
    names = {u["id"]: u["name"] for u in await User.select(User.id, User.name).where(User.id.is_in(list(ids)))} \
        if ids else {}
    history = []
    for row in rows:
        data = _json(row["data"]) or {}
        changes = []
        if row["action"] == "project.public_edit":
            for name, (old, new) in (data.get("changes") or {}).items():
                if name == "team":
                    old, new = team_text(old), team_text(new)
                elif name == "repositories":
                    old, new = "\n".join(old), "\n".join(new)
                changes.append({"field": name, "before": old, "after": new})
        history.append({"at": row["at"], "who": names.get(row["actor_id"], ""), "action": row["action"],
                        "changes": changes, "result": data.get("title", "")})
    return history


# ---- results ---------------------------------------------------------------------------------

def normalise_doi(raw: str) -> str:
    """« 10.NNNN/… », from that form, `doi:…` or https://doi.org/… ; raises ValueError otherwise."""
    text = (raw or "").strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):].strip()
            break
    if not _DOI.match(text) or len(text) > 200:
        raise ValueError(text)
    return text


def clean_result(values: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    kind = str(values.get("kind") or "").strip()
    if kind not in RESULT_KINDS:
        errors.append(FieldError("kind", N_("Choisissez le type de résultat.")))
    title = str(values.get("title") or "").strip()
    if not title:
        errors.append(FieldError("title", N_("Le titre est obligatoire.")))
    elif len(title) > 500:
        errors.append(FieldError("title", N_("Titre trop long (500 caractères au plus).")))
    doi, url = str(values.get("doi") or "").strip(), str(values.get("url") or "").strip()
    if doi:
        try:
            doi = normalise_doi(doi)
        except ValueError:
            errors.append(FieldError("doi", N_("DOI invalide : il a la forme 10.NNNN/… (ou https://doi.org/10.NNNN/…).")))
    if url and (not re.match(r"^https?://[^\s/]+\.[^\s]+$", url) or len(url) > 500):
        errors.append(FieldError("url", N_("Adresse invalide : elle commence par https:// ou http://.")))
    if not doi and not url:
        errors.append(FieldError("doi", N_("Indiquez un DOI ou une adresse.")))
    year: int | None = None
    raw_year = values.get("year")
    if raw_year not in (None, ""):
        try:
            year = int(str(raw_year).strip())
        except ValueError:
            year = -1
        if not 1900 <= year <= 2100:
            errors.append(FieldError("year", N_("Année invalide (quatre chiffres).")))
    if errors:
        raise InvalidInput(N_("Certains champs sont à corriger."), errors)
    return {"kind": kind, "title": title, "identifier": doi, "url": url, "year": year}


def result_view(row: dict[str, Any]) -> dict[str, Any]:
    identifier = row.get("identifier") or ""
    doi = identifier if _DOI.match(identifier) else ""
    return {"id": row.get("id"), "kind": row["kind"], "title": row["title"], "url": row.get("url") or "",
            "doi": doi, "identifier": identifier, "year": row.get("year"),
            "doi_url": f"https://doi.org/{doi}" if doi else ""}


async def results_of(project_id: int) -> list[dict[str, Any]]:
    rows = await Result.select().where(Result.project == project_id).order_by(Result.id)
    return [result_view(r) for r in rows]


async def add_result(slug: str, values: dict[str, Any], *, actor: Actor) -> dict[str, Any]:
    project = await project_by_slug(slug)
    await ensure_editor(actor, project.id)
    clean = clean_result(values)
    async with write_transaction(engine_finder()):
        row = Result(project=project.id, **clean)
        await row.save()
        await record_event("project.result_added", actor_id=actor.id, actor=actor.email, object_type="project",
                           object_id=project.id, data={"result": row.id, **clean})
    return result_view({"id": row.id, **clean})


async def _result(project_id: int, result_id: int) -> dict[str, Any]:
    row = await Result.select().where((Result.id == result_id) & (Result.project == project_id)).first()
    if row is None:
        raise NotFound(N_("Résultat introuvable."))
    return row


async def update_result(slug: str, result_id: int, values: dict[str, Any], *, actor: Actor) -> dict[str, Any]:
    project = await project_by_slug(slug)
    await ensure_editor(actor, project.id)
    await _result(project.id, result_id)
    clean = clean_result(values)
    async with write_transaction(engine_finder()):
        await Result.update({getattr(Result, k): v for k, v in clean.items()}).where(Result.id == result_id)
        await record_event("project.result_updated", actor_id=actor.id, actor=actor.email, object_type="project",
                           object_id=project.id, data={"result": result_id, **clean})
    return result_view({"id": result_id, **clean})


async def delete_result(slug: str, result_id: int, *, actor: Actor) -> None:
    project = await project_by_slug(slug)
    await ensure_editor(actor, project.id)
    row = await _result(project.id, result_id)
    async with write_transaction(engine_finder()):
        await Result.delete().where(Result.id == result_id)
        await record_event("project.result_deleted", actor_id=actor.id, actor=actor.email, object_type="project",
                           object_id=project.id, data={"result": result_id, "title": row["title"]})
