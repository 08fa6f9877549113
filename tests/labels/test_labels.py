"""The label taxonomy: installed by `ami migrate`, managed by managers (pages and API), retire and merge effects."""

from __future__ import annotations

import re

from registry.applications.tables import ApplicationLabel
from registry.audit.log import AuditEntry
from registry.labels.tables import Label, LabelAlias
from registry.labels.taxonomy import TAXONOMY
from registry.projects.tables import Project, ProjectFacet, ProjectLabel
from tests.applications.helpers import actor, open_call
from tests.conftest import csrf_from, login


async def test_migrate_installs_the_taxonomy_once_and_keeps_manager_changes(client, make_user, api_token) -> None:
    from registry.migrate import migrate_all

    assert await Label.count() == 0  # an empty database, as on a fresh install
    await migrate_all()
    listed = (await client.get("/api/v1/labels")).json()
    assert sorted(item["slug"] for item in listed) == sorted(entry[0] for entry in TAXONOMY)
    assert all(item["retired"] is False and item["aliases"] == [] for item in listed)
    staff = await api_token(await make_user("manager"))
    renamed = await client.patch("/api/v1/labels/fhir", json={"name_fr": "FHIR (HL7)"}, headers=staff)
    assert renamed.json()["name_fr"] == "FHIR (HL7)"
    await client.patch("/api/v1/labels/loinc", json={"retired": True}, headers=staff)
    await client.post("/api/v1/labels/pmsi/merge", json={"merge_into": "snds"}, headers=staff)
    await migrate_all()  # a second `ami migrate`: nothing comes back, nothing is undone
    rows = {row["slug"]: row for row in await Label.select()}
    assert len(rows) == len(TAXONOMY) - 1 and "pmsi" not in rows
    assert rows["fhir"]["name_fr"] == "FHIR (HL7)" and rows["loinc"]["retired_at"] is not None


async def test_api_create_patch_errors_and_permissions(client, make_user, api_token, demo) -> None:
    staff = await api_token(await make_user("manager"))
    applicant = await api_token(await make_user("applicant"))
    body = {"slug": "sante-environnement", "category": "theme", "name_fr": "Santé-environnement",
            "name_en": "Environmental health", "description_fr": "Expositions environnementales."}
    anonymous = await client.post("/api/v1/labels", json=body)
    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    refused = await client.post("/api/v1/labels", json=body, headers=applicant)
    assert refused.status_code == 403 and "detail" in refused.json()
    refused = await client.patch("/api/v1/labels/fhir", json={"name_fr": "X"}, headers=applicant)
    assert refused.status_code == 403 and await Label.exists().where(Label.name_fr == "HL7 FHIR")
    created = await client.post("/api/v1/labels", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["slug"] == "sante-environnement" and created.json()["retired"] is False
    duplicate = await client.post("/api/v1/labels", json=body, headers=staff)
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "slug"
    bad = await client.post("/api/v1/labels", json={"slug": "Pas Bon!", "category": "autre", "name_fr": ""},
                            headers=staff)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"slug", "category", "name_fr", "name_en"}
    bad = await client.patch("/api/v1/labels/fhir", json={"position": "first", "retired": "yes"}, headers=staff)
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"position", "retired"}
    missing = await client.patch("/api/v1/labels/nope", json={"name_fr": "X"}, headers=staff)
    assert missing.status_code == 404 and "detail" in missing.json()
    patched = await client.patch("/api/v1/labels/fhir", json={"name_en": "FHIR", "description_en": "Exchange",
                                                               "position": 0, "retired": True}, headers=staff)
    assert (patched.json()["name_en"], patched.json()["position"], patched.json()["retired"]) == ("FHIR", 0, True)
    listed = {item["slug"]: item for item in (await client.get("/api/v1/labels")).json()}
    assert listed["fhir"]["retired"] is True and listed["sante-environnement"]["name_en"] == "Environmental health"
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.object_type == "label").order_by(AuditEntry.id)]
    assert actions == ["label.created", "label.updated"]
    self_merge = await client.patch("/api/v1/labels/snds", json={"merge_into": "snds"}, headers=staff)
    assert self_merge.status_code == 422 and self_merge.json()["errors"][0]["field"] == "merge_into"


async def test_merge_moves_projects_and_the_old_slug_keeps_working(client, make_user, api_token, demo) -> None:
    staff = await api_token(await make_user("manager"))
    pmsi = await Label.select(Label.id).where(Label.slug == "pmsi").first()
    holders = {row["project"] for row in await ProjectLabel.select(ProjectLabel.project).where(
        ProjectLabel.label == pmsi["id"])}
    assert holders, "the demo has projects labelled pmsi"
    merged = await client.patch("/api/v1/labels/pmsi", json={"merge_into": "snds"}, headers=staff)
    assert merged.status_code == 200, merged.text
    assert merged.json()["slug"] == "snds" and merged.json()["moved_projects"] == len(holders)
    snds = await Label.select(Label.id).where(Label.slug == "snds").first()
    assert holders <= {row["project"] for row in await ProjectLabel.select(ProjectLabel.project).where(
        ProjectLabel.label == snds["id"])}
    assert not await Label.exists().where(Label.slug == "pmsi")
    assert await LabelAlias.exists().where((LabelAlias.old_slug == "pmsi") & (LabelAlias.label == snds["id"]))
    assert not await ProjectFacet.exists().where((ProjectFacet.kind == "label") & (ProjectFacet.value == "pmsi"))
    # API and feeds resolve the old slug; the pages move for good to the new one.
    old = (await client.get("/api/v1/projects?label=pmsi&per_page=50")).json()
    new = (await client.get("/api/v1/projects?label=snds&per_page=50")).json()
    assert old["total"] == new["total"] >= len(holders) and old["items"] == new["items"]
    feed = await client.get("/feeds/releases.atom?label=pmsi")
    entries = re.findall(r"<entry><id>([^<]+)</id>", feed.text)
    assert feed.status_code == 200 and entries
    assert entries == re.findall(r"<entry><id>([^<]+)</id>", (await client.get("/feeds/releases.atom?label=snds")).text)
    page = await client.get("/projects?label=pmsi&sort=name", follow_redirects=False)
    assert page.status_code == 301 and page.headers["location"] == "/projects?label=snds&sort=name"
    followed = await client.get("/projects?label=pmsi")
    assert str(followed.url).endswith("/projects?label=snds") and "SNDS" in followed.text
    releases = await client.get("/releases?label=pmsi", follow_redirects=False)
    assert releases.status_code == 301 and releases.headers["location"] == "/releases?label=snds"
    listed = {item["slug"]: item for item in (await client.get("/api/v1/labels")).json()}
    assert "pmsi" not in listed and listed["snds"]["aliases"] == ["pmsi"]
    # The old slug is taken for good; merging again into a third label carries the alias along.
    taken = await client.post("/api/v1/labels", json={"slug": "pmsi", "category": "data_source", "name_fr": "P",
                                                      "name_en": "P"}, headers=staff)
    assert taken.status_code == 409 and [e["field"] for e in taken.json()["errors"]] == ["slug"]
    assert await Label.count().where(Label.slug == "pmsi") == 0  # the alias stays an alias, no label made
    await client.post("/api/v1/labels/snds/merge", json={"merge_into": "cohortes"}, headers=staff)
    page = await client.get("/projects?label=pmsi", follow_redirects=False)
    assert page.headers["location"] == "/projects?label=cohortes"


async def test_manager_pages_create_edit_reorder_retire_merge(client, make_user, demo) -> None:
    await make_user("manager", email="gestion@example.org")
    await login(client, "gestion@example.org")
    dashboard = await client.get("/manage")
    assert 'href="/manage/labels"' in dashboard.text
    listing = await client.get("/manage/labels")
    assert listing.status_code == 200 and "Étiquettes du registre" in listing.text
    assert 'id="label-pmsi"' in listing.text and 'id="labels-data_source"' in listing.text
    english = await client.get("/manage/labels?lang=en")
    assert "Registry labels" in english.text and "Étiquettes du registre" not in english.text
    await client.get("/manage/labels?lang=fr")  # back to French (?lang= sets the language cookie)

    form = await client.get("/manage/labels/new")
    token = csrf_from(form.text)
    bad = await client.post("/manage/labels/new", data={"_csrf_token": token, "slug": "Mauvais slug",
                                                        "category": "theme", "name_fr": "Génomique", "name_en": ""})
    assert bad.status_code == 422 and 'href="#field-slug"' in bad.text and 'href="#field-name_en"' in bad.text
    assert 'id="error-name_en"' in bad.text and 'value="Génomique"' in bad.text  # nothing typed is lost
    created = await client.post("/manage/labels/new", data={
        "_csrf_token": token, "slug": "genomique", "category": "data_source", "name_fr": "Génomique",
        "name_en": "Genomics", "description_fr": "Données de séquençage."})
    assert created.status_code == 200 and "L’étiquette a été créée." in created.text and 'id="label-genomique"' in created.text
    duplicate = await client.post("/manage/labels/new", data={"_csrf_token": token, "slug": "genomique",
                                                              "category": "theme", "name_fr": "G", "name_en": "G"})
    assert duplicate.status_code == 409 and 'id="error-slug"' in duplicate.text

    edit = await client.get("/manage/labels/genomique/edit")
    assert 'value="Genomics"' in edit.text
    saved = await client.post("/manage/labels/genomique/edit", data={
        "_csrf_token": token, "category": "data_source", "name_fr": "Génomique et séquençage", "name_en": "Genomics",
        "description_fr": "", "description_en": "Sequencing data."})
    assert "Génomique et séquençage" in saved.text
    row = await Label.select().where(Label.slug == "genomique").first()
    assert row["description_en"] == "Sequencing data."

    rows = await Label.select(Label.slug).where(Label.category == "data_source").order_by(Label.position)
    last = [r["slug"] for r in rows][-1]
    assert last == "genomique"
    await client.post("/manage/labels/genomique/move", data={"_csrf_token": token, "direction": "up"})
    rows = await Label.select(Label.slug).where(Label.category == "data_source").order_by(Label.position)
    assert [r["slug"] for r in rows][-2] == "genomique"

    used = await ProjectLabel.count().where(ProjectLabel.label.slug == "edsh")
    ask = await client.post("/manage/labels/edsh/retire", data={"_csrf_token": token})
    assert f"{used} projets gardent ce label ; il ne sera plus proposé." in ask.text
    assert await Label.exists().where((Label.slug == "edsh") & Label.retired_at.is_null())
    done = await client.post("/manage/labels/edsh/retire", data={"_csrf_token": token, "confirm": "1"})
    assert "n’est plus proposée" in done.text
    assert re.search(r'id="label-edsh" class="label-retired"', done.text)
    # Still shown on the projects that hold it.
    project = await Project.select(Project.slug).where(Project.id.is_in(
        ProjectLabel.select(ProjectLabel.project).where(ProjectLabel.label.slug == "edsh"))).first()
    assert "Entrepôts de données de santé hospitaliers" in (await client.get(f"/projects/{project['slug']}")).text
    await client.post("/manage/labels/edsh/restore", data={"_csrf_token": token, "confirm": "1"})
    assert await Label.exists().where((Label.slug == "edsh") & Label.retired_at.is_null())

    merge_form = await client.get("/manage/labels/registres/merge")
    assert 'name="merge_into"' in merge_form.text
    nothing = await client.post("/manage/labels/registres/merge", data={"_csrf_token": token, "merge_into": ""})
    assert nothing.status_code == 422 and 'id="error-merge_into"' in nothing.text
    moved = await ProjectLabel.count().where(ProjectLabel.label.slug == "registres")
    ask = await client.post("/manage/labels/registres/merge", data={"_csrf_token": token, "merge_into": "cohortes"})
    assert (f"{moved} projet{'s' if moved > 1 else ''} pass" in ask.text
            and "l’adresse de registres redirige vers cohortes" in ask.text)
    assert await Label.exists().where(Label.slug == "registres")
    await client.post("/manage/labels/registres/merge", data={"_csrf_token": token, "merge_into": "cohortes",
                                                              "confirm": "1"})
    assert not await Label.exists().where(Label.slug == "registres")
    actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.object_type == "label")}
    assert actions == {"label.created", "label.updated", "label.moved", "label.retired", "label.restored",
                       "label.merged"}


async def test_pages_refused_to_applicants(client, make_user, demo) -> None:
    await make_user("applicant", email="cand@example.org")
    await login(client, "cand@example.org")
    refused = await client.get("/manage/labels")
    assert refused.status_code == 403 and "Étiquettes du registre" not in refused.text


async def test_retired_label_not_offered_nor_accepted_but_kept_by_a_draft(client, make_user, api_token, demo) -> None:
    from registry.labels.service import update_label

    manager = await make_user("manager")
    owner = await make_user("applicant", email="cand@example.org")
    token = await api_token(owner)
    await open_call(manager)
    draft = await client.post("/api/v1/calls/ami-test/applications", json={"title": "Outil", "labels": ["fhir"]},
                              headers=token)
    assert draft.status_code == 201, draft.text
    draft_id = draft.json()["id"]
    await update_label("fhir", {"retired": True}, actor=await actor(manager))
    refused = await client.post("/api/v1/calls/ami-test/applications", json={"title": "Autre", "labels": ["fhir"]},
                                headers=token)
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["labels"]
    # The draft that holds it keeps it through a save, and its form says so.
    kept = await client.patch(f"/api/v1/applications/{draft_id}", json={"labels": ["fhir", "loinc"]}, headers=token)
    assert sorted(kept.json()["labels"]) == ["fhir", "loinc"]
    assert await ApplicationLabel.count().where(ApplicationLabel.application == draft_id) == 2
    await login(client, "cand@example.org")
    form = await client.get(f"/applications/{draft_id}/edit")
    assert 'id="retired-labels-notice"' in form.text and 'value="fhir" checked' in form.text
    english = await client.get(f"/applications/{draft_id}/edit?lang=en")
    assert "has been retired" in english.text
    await client.get(f"/applications/{draft_id}/edit?lang=fr")
    other = await client.post("/api/v1/calls/ami-test/applications", json={"title": "Autre"}, headers=token)
    form = await client.get(f"/applications/{other.json()['id']}/edit")
    assert 'value="fhir"' not in form.text and 'value="loinc"' in form.text
