"""Milestones checked against what a fake forge and a real local Git repository serve."""

from __future__ import annotations

import json
from datetime import date

import pytest

from harvesters.run import run_harvest
from registry.accounts.permissions import Actor
from registry.audit.log import AuditEntry
from registry.errors import InvalidInput
from registry.outbox.tables import OutboxMessage
from registry.projects import milestones
from registry.projects.tables import Milestone, Project
from tests.harvesters.conftest import MIT, add_repository, fake_github, git_server, make_config, sample_repo  # noqa: F401
from tests.harvesters.gitserver import git


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def manager(make_user) -> Actor:
    user = await make_user("manager", email="gestion@example.org", name="Gabrielle Gestion")
    return Actor(id=user.id, email=user.email, name=user.name, roles=frozenset({"manager"}))


async def project(slug: str = "pseudo", granted: int = 100_000) -> None:
    await Project(slug=slug, title=f"Projet {slug}", amount_granted=granted).save()


def test_versions_compare_as_versions_not_strings() -> None:
    v = milestones.parse_version
    assert v("1.10") > v("1.9")
    assert v("v1.10.0") > v("1.9.9")
    assert v("release-2_3") > v("2.2")
    assert v("2.0rc1") < v("2.0")
    assert v("nightly") is None


async def test_git_release_file_activity_and_licence(app, make_user, git_server) -> None:  # noqa: F811
    actor = await manager(make_user)
    await project()
    work = git_server.create("algo", {"README.md": "# Algo\n", "LICENSE": MIT, "CITATION.cff": "cff-version: 1.2.0\n"})
    git(work, "tag", "v1.9")
    git(work, "push", "-q", "origin", "main", "--tags")
    await add_repository(git_server.url("algo"), forge="git")
    future = "2099-01-01"
    release = await milestones.create_milestone("pseudo", {
        "title": "Version 1.10", "due_on": future, "deliverable": {"kind": "release", "min_version": "1.10"},
        "tranche_amount": 40_000}, actor)
    cff = await milestones.create_milestone("pseudo", {
        "title": "Citation", "due_on": future, "deliverable": {"kind": "file", "path": "CITATION.cff"}}, actor)
    code = await milestones.create_milestone("pseudo", {
        "title": "Code de conduite", "due_on": future, "deliverable": {"kind": "file", "path": "docs/CODE.md"}}, actor)
    active = await milestones.create_milestone("pseudo", {
        "title": "Activité", "due_on": future, "deliverable": {"kind": "activity", "since": "2026-01-09"}}, actor)
    later = await milestones.create_milestone("pseudo", {
        "title": "Activité 2027", "due_on": future, "deliverable": {"kind": "activity", "since": "2027-01-01"}}, actor)

    await run_harvest(make_config(), everything=True)

    status = {m["id"]: m for m in await Milestone.select()}
    assert status[release["id"]]["status"] == "pending"  # v1.9 < 1.10 as versions ("1.9" > "1.10" as strings)
    assert status[release["id"]]["tranche_state"] == "planned"
    assert status[cff["id"]]["status"] == "met"
    assert _json(status[cff["id"]]["evidence"])["path"] == "CITATION.cff"
    assert _json(status[cff["id"]]["evidence"])["commit"] == git(work, "rev-parse", "HEAD")
    assert status[code["id"]]["status"] == "pending"
    assert status[active["id"]]["status"] == "met"
    assert status[later["id"]]["status"] == "pending"

    (work / "docs").mkdir()
    git_server.commit(work, {"docs/CODE.md": "Soyez aimables.\n"}, "docs", date="2026-02-01T10:00:00+00:00")
    git(work, "tag", "v1.10")
    git(work, "push", "-q", "origin", "main", "--tags")
    await run_harvest(make_config(), everything=True)

    status = {m["id"]: m for m in await Milestone.select()}
    assert status[release["id"]]["status"] == "met"
    evidence = _json(status[release["id"]]["evidence"])
    assert evidence["tag"] == "v1.10" and evidence["commit"] == git(work, "rev-parse", "HEAD")
    assert status[release["id"]]["tranche_state"] == "due"
    assert status[code["id"]]["status"] == "met"
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_id == str(release["id"])) & (AuditEntry.object_type == "milestone")).order_by(AuditEntry.seq)]
    assert actions == ["milestone.created", "milestone.met", "tranche.due"]
    mails = await OutboxMessage.select().where(OutboxMessage.template == "milestone_met")
    assert {m["recipient"] for m in mails} == {"gestion@example.org"}
    assert any("40000 €" in m["body"] for m in mails)


async def test_github_met_stays_met_when_a_later_harvest_fails(app, make_user, fake_github) -> None:  # noqa: F811
    actor = await manager(make_user)
    await project()
    fake_github.add(sample_repo())
    await add_repository("https://github.com/hdh/pseudo")
    met = await milestones.create_milestone("pseudo", {
        "title": "1.0", "due_on": "2026-06-30", "deliverable": {"kind": "release", "min_version": "1.0"}}, actor)
    cff = await milestones.create_milestone("pseudo", {
        "title": "Citation", "due_on": "2099-06-30", "deliverable": {"kind": "file", "path": "CITATION.cff"}}, actor)
    publiccode = await milestones.create_milestone("pseudo", {
        "title": "publiccode", "due_on": "2099-06-30", "deliverable": {"kind": "file", "path": "publiccode.yml"}},
        actor)
    licence = await milestones.create_milestone("pseudo", {
        "title": "Licence", "due_on": "2099-06-30", "deliverable": {"kind": "licence"}}, actor)
    assert licence["status"] == "pending"  # nothing harvested yet
    await run_harvest(make_config(fake_github), everything=True)
    rows = {m["id"]: m for m in await Milestone.select()}
    assert rows[licence["id"]]["status"] == "met" and _json(rows[licence["id"]]["evidence"])["licence"] == "MIT"
    assert rows[met["id"]]["status"] == "met" and _json(rows[met["id"]]["evidence"])["tag"] == "v1.0"
    assert rows[cff["id"]]["status"] == "met" and rows[publiccode["id"]]["status"] == "pending"

    fake_github.fault(r"^/repos/hdh/pseudo", "status:500")
    await run_harvest(make_config(fake_github), full=True, everything=True)
    await milestones.evaluate_all()
    rows = {m["id"]: m for m in await Milestone.select()}
    assert rows[met["id"]]["status"] == "met" and rows[cff["id"]]["status"] == "met"


async def test_late_after_due_date_then_met_and_manager_steps(app, make_user) -> None:
    actor = await manager(make_user)
    await project()
    row = await milestones.create_milestone("pseudo", {
        "title": "Revue", "due_on": "2026-01-31", "deliverable": {"kind": "manual"}, "tranche_amount": 10_000}, actor)
    assert row["status"] == "late"  # already past: evaluated on creation
    await milestones.evaluate(row["project"], today=date(2026, 1, 1))
    assert (await milestones.get_milestone(row["id"]))["status"] == "late"
    with pytest.raises(InvalidInput) as error:
        await milestones.tick_manual(row["id"], "  ", actor)
    assert error.value.errors[0].field == "note"
    ticked = await milestones.tick_manual(row["id"], "Revue faite le 2 février", actor)
    assert (ticked["status"], ticked["tranche_state"]) == ("met", "due")
    assert _json(ticked["evidence"])["note"] == "Revue faite le 2 février"
    approved = await milestones.approve_tranche(row["id"], actor)
    assert approved["tranche_state"] == "approved" and approved["tranche_approved_by"] == actor.id
    paid = await milestones.pay_tranche(row["id"], actor)
    assert paid["tranche_state"] == "paid" and paid["tranche_paid_at"] is not None

    other = await milestones.create_milestone("pseudo", {
        "title": "Oubli", "due_on": "2026-01-15", "deliverable": {"kind": "manual"}}, actor)
    assert (await milestones.mark_missed(other["id"], actor))["status"] == "missed"
    waived = await milestones.create_milestone("pseudo", {
        "title": "Levé", "due_on": "2099-01-15", "deliverable": {"kind": "manual"}}, actor)
    assert (await milestones.waive(waived["id"], "Hors périmètre", actor))["status"] == "waived"


async def test_tranche_sum_cannot_exceed_the_amount_granted(app, make_user) -> None:
    actor = await manager(make_user)
    await project(granted=50_000)
    first = await milestones.create_milestone("pseudo", {
        "title": "A", "due_on": "2099-01-01", "deliverable": {"kind": "manual"}, "tranche_amount": 30_000}, actor)
    with pytest.raises(InvalidInput) as error:
        await milestones.create_milestone("pseudo", {
            "title": "B", "due_on": "2099-01-01", "deliverable": {"kind": "manual"}, "tranche_amount": 20_001}, actor)
    assert [e.field for e in error.value.errors] == ["tranche_amount"]
    await milestones.update_milestone(first["id"], {"tranche_amount": 50_000}, actor)
    with pytest.raises(InvalidInput):
        await milestones.create_milestone("pseudo", {
            "title": "C", "due_on": "2099-01-01", "deliverable": {"kind": "manual"}, "tranche_amount": 1}, actor)
    assert await Milestone.count() == 1
