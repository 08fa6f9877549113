"""The milestones API (managers), its errors, permissions and the public project shape; the manager pages."""

from __future__ import annotations

from registry.audit.log import AuditEntry
from registry.projects.tables import Milestone, Project
from tests.conftest import csrf_from, login


async def _setup(make_user, api_token):
    await Project(slug="pseudo", title="Projet pseudo", amount_granted=60_000).save()
    manager = await make_user("manager", email="gestion@example.org")
    applicant = await make_user("applicant", email="cand@example.org")
    reviewer = await make_user("reviewer", email="eval@example.org")
    return manager, await api_token(manager), await api_token(applicant), await api_token(reviewer)


async def test_api_create_patch_tranche_and_public_shape(client, make_user, api_token) -> None:
    manager, staff, applicant, reviewer = await _setup(make_user, api_token)
    body = {"title": "Revue de code", "due_on": "2099-03-31", "deliverable": {"kind": "manual"},
            "tranche_amount": 20_000}
    created = await client.post("/api/v1/projects/pseudo/milestones", json=body, headers=staff)
    assert created.status_code == 201, created.text
    milestone = created.json()
    assert (milestone["status"], milestone["tranche"]) == ("pending", {"amount": 20_000, "state": "planned",
                                                                        "approved_at": None, "paid_at": None})
    mid = milestone["id"]
    for token in (applicant, reviewer):
        refused = await client.post(f"/api/v1/milestones/{mid}/tranche/approve", headers=token)
        assert refused.status_code == 403 and "detail" in refused.json()
        refused = await client.post("/api/v1/projects/pseudo/milestones", json=body, headers=token)
        assert refused.status_code == 403 and "detail" in refused.json()
    early = await client.post(f"/api/v1/milestones/{mid}/tranche/approve", headers=staff)
    assert early.status_code == 409 and "exigible" in early.json()["detail"]
    ticked = await client.post(f"/api/v1/milestones/{mid}/tick", json={"note": "Revue faite"}, headers=staff)
    assert ticked.json()["status"] == "met" and ticked.json()["tranche"]["state"] == "due"
    approved = await client.post(f"/api/v1/milestones/{mid}/tranche/approve", headers=staff)
    assert approved.json()["tranche"]["state"] == "approved"
    refused = await client.delete(f"/api/v1/milestones/{mid}", headers=staff)
    assert refused.status_code == 409 and await Milestone.count() == 1
    paid = await client.post(f"/api/v1/milestones/{mid}/tranche/pay", headers=staff)
    assert paid.json()["tranche"]["state"] == "paid" and paid.json()["tranche"]["paid_at"]
    actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action, AuditEntry.actor_id).where(
        AuditEntry.object_type == "milestone") if row["actor_id"] == manager.id}
    assert {"milestone.created", "milestone.met", "tranche.due", "tranche.approved", "tranche.paid"} <= actions

    public = (await client.get("/api/v1/projects/pseudo")).json()
    assert public["amount_paid"] == 20_000
    [shown] = public["milestones"]
    assert (shown["id"], shown["title"], shown["due_on"], shown["status"]) == (mid, "Revue de code", "2099-03-31",
                                                                               "met")
    assert shown["evidence"]["note"] == "Revue faite"
    assert shown["tranche"]["amount"] == 20_000 and shown["tranche"]["state"] == "paid"

    patched = await client.patch(f"/api/v1/milestones/{mid}", json={"title": "Revue de code v2"}, headers=staff)
    assert patched.json()["title"] == "Revue de code v2" and patched.json()["status"] == "met"
    changed = await client.patch(f"/api/v1/milestones/{mid}", json={"tranche_amount": 10}, headers=staff)
    assert changed.status_code == 409 and "payée" in changed.json()["detail"]


async def test_api_errors_name_the_fields(client, make_user, api_token) -> None:
    _, staff, _, _ = await _setup(make_user, api_token)
    bad = await client.post("/api/v1/projects/pseudo/milestones", headers=staff, json={
        "title": "", "due_on": "31/03/2099", "deliverable": {"kind": "release", "min_version": ""},
        "tranche_amount": 1_000_000})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"title", "due_on", "deliverable.min_version", "tranche_amount"}  # sum > granted too
    unknown = await client.post("/api/v1/projects/pseudo/milestones", headers=staff, json={
        "title": "X", "due_on": "2099-03-31", "deliverable": {"kind": "magic"}})
    assert [e["field"] for e in unknown.json()["errors"]] == ["deliverable.kind"]
    too_much = await client.post("/api/v1/projects/pseudo/milestones", headers=staff, json={
        "title": "X", "due_on": "2099-03-31", "deliverable": {"kind": "manual"}, "tranche_amount": 60_001})
    assert too_much.status_code == 422 and [e["field"] for e in too_much.json()["errors"]] == ["tranche_amount"]
    missing = await client.post("/api/v1/projects/nope/milestones", headers=staff, json={
        "title": "X", "due_on": "2099-03-31", "deliverable": {"kind": "manual"}})
    assert missing.status_code == 404 and "detail" in missing.json()
    assert await Milestone.count() == 0


async def test_manager_pages_in_both_languages(client, make_user) -> None:
    await Project(slug="pseudo", title="Projet pseudo", amount_granted=60_000).save()
    await make_user("manager", email="gestion@example.org")
    await login(client, "gestion@example.org")
    index = await client.get("/manage")
    assert 'href="/manage/projects"' in index.text
    listing = await client.get("/manage/projects")
    assert "Suivi des projets financés" in listing.text and 'href="/manage/projects/pseudo"' in listing.text
    detail = await client.get("/manage/projects/pseudo")
    token = csrf_from(detail.text)
    bad = await client.post("/manage/projects/pseudo/milestones", data={
        "_csrf_token": token, "title": "Version 2", "due_on": "2099-01-01", "deliverable.kind": "release",
        "deliverable.min_version": "", "tranche_amount": "90000"})
    assert bad.status_code == 422
    assert 'href="#field-deliverable.min_version"' in bad.text and 'href="#field-tranche_amount"' in bad.text
    assert 'value="Version 2"' in bad.text  # nothing lost
    made = await client.post("/manage/projects/pseudo/milestones", data={
        "_csrf_token": token, "title": "Revue", "due_on": "2099-01-01", "deliverable.kind": "manual",
        "tranche_amount": "15000"})
    assert made.status_code == 200 and "Le jalon a été ajouté." in made.text
    [row] = await Milestone.select()
    tick = await client.post(f"/manage/projects/pseudo/milestones/{row['id']}/tick",
                             data={"_csrf_token": token, "note": "Revue faite"})
    assert "Le jalon a été validé." in tick.text
    ask = await client.post(f"/manage/projects/pseudo/milestones/{row['id']}/approve", data={"_csrf_token": token})
    assert ask.status_code == 200 and 'name="confirm"' in ask.text
    assert (await Milestone.select(Milestone.tranche_state).first())["tranche_state"] == "due"
    done = await client.post(f"/manage/projects/pseudo/milestones/{row['id']}/approve",
                             data={"_csrf_token": token, "confirm": "1"})
    assert "La tranche a été approuvée." in done.text
    await client.post(f"/manage/projects/pseudo/milestones/{row['id']}/pay", data={"_csrf_token": token, "confirm": "1"})
    assert (await Milestone.select(Milestone.tranche_state).first())["tranche_state"] == "paid"
    english = await client.get("/manage/projects/pseudo?lang=en")
    assert "Milestones" in english.text and "Paid" in english.text and "Jalons" not in english.text
    english_list = await client.get("/manage/projects?lang=en")
    assert "Follow-up of funded projects" in english_list.text
    public = await client.get("/projects/pseudo?lang=en")
    assert "Paid" in public.text and 'href="/manage/projects/pseudo"' in public.text
    public_fr = await client.get("/projects/pseudo?lang=fr")
    assert "Payée" in public_fr.text and "Atteint" in public_fr.text


async def test_open_data_and_transparency_carry_paid_and_milestones(client, make_user, api_token) -> None:
    from registry.calls.tables import Call

    _, staff, _, _ = await _setup(make_user, api_token)
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    call = Call(slug="ami-test", title_fr="AMI test", title_en="Test call", status="decided",
                opens_at=now - timedelta(days=90), closes_at=now - timedelta(days=60))
    await call.save()
    await Project.update({Project.call: call.id}).where(Project.slug == "pseudo")
    made = (await client.post("/api/v1/projects/pseudo/milestones", headers=staff, json={
        "title": "Revue", "due_on": "2099-01-01", "deliverable": {"kind": "manual"}, "tranche_amount": 25_000})).json()
    await client.post("/api/v1/projects/pseudo/milestones", headers=staff, json={
        "title": "Autre", "due_on": "2099-01-01", "deliverable": {"kind": "manual"}})
    await client.post(f"/api/v1/milestones/{made['id']}/tick", headers=staff, json={"note": "Vu"})
    await client.post(f"/api/v1/milestones/{made['id']}/tranche/approve", headers=staff)
    await client.post(f"/api/v1/milestones/{made['id']}/tranche/pay", headers=staff)
    document = (await client.get("/exports/projects.json")).json()
    [item] = document["items"]
    assert (item["amount_paid"], item["milestones_met"], item["milestones_total"]) == (25_000, 1, 2)
    csv_text = (await client.get("/exports/projects.csv")).text
    import csv
    import io

    [row] = list(csv.DictReader(io.StringIO(csv_text)))
    assert (row["montant_verse_eur"], row["jalons_atteints"], row["jalons_total"]) == ("25000", "1", "2")
    from registry.projects.transparency import call_transparency

    report = await call_transparency("ami-test")
    assert report["amount_paid"] == 25_000 and report["projects"][0]["amount_paid"] == 25_000
    page = await client.get("/calls/ami-test/transparency")
    assert 'id="paid"' in page.text and "1 / 2" in page.text
