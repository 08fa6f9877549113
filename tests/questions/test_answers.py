"""Answers to a call's own questions: each kind on draft save and submission (API and form), frozen
questions and their versions, the receipt's hash, reviewers and blind rules, the English page."""

from __future__ import annotations

import json

import pytest

from registry.applications.tables import Application, ApplicationVersion, Attachment
from registry.calls.questions import validate_answers, validate_questions
from registry.calls.tables import Call
from registry.errors import InvalidInput
from tests.applications.helpers import complete_input, open_call
from tests.conftest import csrf_from, login
from tests.reviews.conftest import make_world  # noqa: F401 (the fixture, shared with the review tests)

QUESTIONS = [
    {"key": "sources", "label": "Sources de données", "label_en": "Data sources", "kind": "long_text",
     "required": True, "max_length": 50, "section": "Données", "section_en": "Data", "help": "SNDS, EDS…"},
    {"key": "acronyme", "label": "Acronyme", "kind": "text", "required": True, "max_length": 10},
    {"key": "equipe", "label": "Taille de l'équipe", "kind": "number", "required": True, "min": 1, "max": 50},
    {"key": "porteur", "label": "Type de porteur", "kind": "choice", "required": True,
     "choices": [{"value": "chu", "label": "CHU", "label_en": "Hospital"}, "Université"]},
    {"key": "donnees", "label": "Données", "kind": "multi_choice", "required": True, "choices": ["SNDS", "EDS"]},
    {"key": "cnil", "label": "Autorisation CNIL", "label_en": "CNIL authorisation", "kind": "yes_no",
     "required": True},
    {"key": "site", "label": "Site web", "kind": "url", "required": True},
    {"key": "debut", "label": "Début", "kind": "date", "required": True},
    {"key": "budget", "label": "Budget détaillé", "kind": "file", "required": True},
]
VALID = {"sources": "SNDS", "acronyme": "PSEUDO", "equipe": 4, "porteur": "chu", "donnees": ["EDS", "SNDS"],
         "cnil": True, "site": "https://example.org/projet", "debut": "2026-01-15"}
INVALID = {"sources": "x" * 51, "acronyme": "TROP-LONG-ACRONYME", "equipe": 99, "porteur": "autre",
           "donnees": ["SNDS", "FHIR"], "cnil": "peut-être", "site": "ftp://example.org", "debut": "15/01/2026",
           "budget": 999999}


async def _call_with_questions(client, make_user, api_token):
    manager = await make_user("manager", email="manager@example.org")
    await open_call(manager)
    manager_headers = await api_token(manager)
    saved = await client.patch("/api/v1/calls/ami-test", json={"questions": QUESTIONS}, headers=manager_headers)
    assert saved.status_code == 200, saved.text
    assert [q["key"] for q in saved.json()["questions"]] == [q["key"] for q in QUESTIONS]
    assert saved.json()["questions"][3]["choices"][1] == {"value": "Université", "label": "Université",
                                                          "label_en": ""}
    assert saved.json()["questions_version"] == 1
    return manager_headers


async def _application(client, owner_headers) -> int:
    base = complete_input()
    created = await client.post("/api/v1/calls/ami-test/applications", headers=owner_headers, json={
        "title": base.title, "public_title": base.public_title, "public_summary": base.public_summary,
        "description": base.description, "requested_amount": base.requested_amount,
        "repositories": base.repositories, "licence": base.licence,
        "organisation": {"name": base.org_name, "siren": base.org_siren}})
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def _upload(client, app_id: int, headers) -> int:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    uploaded = await client.post(f"/api/v1/applications/{app_id}/attachments", headers=headers,
                                 files={"file": ("budget.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()["id"]


def test_question_schema_names_the_faulty_fields():
    with pytest.raises(InvalidInput) as raised:
        validate_questions([{"key": "Bad Key", "label": "", "kind": "text"},
                            {"key": "a", "label": "A", "kind": "choice", "choices": []},
                            {"key": "a", "label": "B", "kind": "number", "min": 5, "max": 1},
                            {"key": "c", "label": "C", "kind": "colour"}])
    assert [e.field for e in raised.value.errors] == [
        "questions[0].key", "questions[0].label", "questions[1].choices", "questions[2].key", "questions[2].max",
        "questions[3].kind"]
    clean = validate_questions(QUESTIONS)
    assert clean[1]["identifying"] is False and clean[2]["min"] == 1
    # Every kind: valid, invalid, missing on submission (the pure rules).
    answers, errors = validate_answers(clean, {**VALID, "budget": 7}, for_submission=True, attachment_ids={7})
    assert errors == [] and answers["donnees"] == ["SNDS", "EDS"] and answers["budget"] == 7
    _, errors = validate_answers(clean, INVALID, for_submission=False, attachment_ids={7})
    assert [e["field"] for e in errors] == [f"answers.{q['key']}" for q in QUESTIONS]
    _, errors = validate_answers(clean, {}, for_submission=False)
    assert errors == []
    _, errors = validate_answers(clean, {}, for_submission=True)
    assert {e["message"] for e in errors} == {"Cette question est obligatoire."}
    assert len(errors) == len(QUESTIONS)


async def test_api_drafts_keep_invalid_answers_and_submission_refuses_them(client, make_user, api_token):
    await _call_with_questions(client, make_user, api_token)
    owner = await make_user("applicant", email="owner@example.org")
    headers = await api_token(owner)
    app_id = await _application(client, headers)
    refused = await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {f"answers.{q['key']}" for q in QUESTIONS}

    saved = await client.patch(f"/api/v1/applications/{app_id}", headers=headers, json={"answers": INVALID})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["answers"] == {}  # nothing invalid is stored in place of an answer
    assert {e["field"] for e in body["errors"]} == {f"answers.{q['key']}" for q in QUESTIONS}
    stored = await Application.objects().get(Application.id == app_id)
    pending = stored.pending if isinstance(stored.pending, dict) else json.loads(stored.pending)
    assert pending["answers.site"]["raw"] == "ftp://example.org"
    refused = await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert "answers.equipe" in fields and "answers.budget" in fields

    file_id = await _upload(client, app_id, headers)
    fixed = await client.patch(f"/api/v1/applications/{app_id}", headers=headers,
                               json={"answers": {**VALID, "equipe": "4", "cnil": "oui", "budget": file_id}})
    assert fixed.status_code == 200
    assert fixed.json()["errors"] == [] and fixed.json()["missing"] == []
    assert fixed.json()["answers"]["equipe"] == 4 and fixed.json()["answers"]["cnil"] is True
    submitted = await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    version = await ApplicationVersion.objects().where(ApplicationVersion.application == app_id).first()
    content = json.loads(version.content)
    assert content["answers"]["budget"] == file_id and content["questions_version"] == 1
    got = (await client.get(f"/api/v1/applications/{app_id}", headers=headers)).json()
    assert got["questions_version"] == 1 and got["answers"]["donnees"] == ["SNDS", "EDS"]


async def test_questions_frozen_after_first_submission_and_versions_kept(client, make_user, api_token):
    manager_headers = await _call_with_questions(client, make_user, api_token)
    owner = await make_user("applicant", email="owner@example.org")
    headers = await api_token(owner)
    app_id = await _application(client, headers)
    changed = [{**q, "required": False} for q in QUESTIONS] + [
        {"key": "nouvelle", "label": "Nouvelle question", "kind": "text", "required": False}]
    # Before any submission: edited in place, same version.
    edited = await client.patch("/api/v1/calls/ami-test", headers=manager_headers, json={"questions": changed})
    assert edited.status_code == 200 and edited.json()["questions_version"] == 1
    assert edited.json()["questions"][-1]["key"] == "nouvelle"
    await client.patch(f"/api/v1/applications/{app_id}", headers=headers, json={"answers": {"acronyme": "V1"}})
    assert (await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)).status_code == 200

    frozen = await client.patch("/api/v1/calls/ami-test", headers=manager_headers, json={"questions": QUESTIONS[:2]})
    assert frozen.status_code == 409 and "nouvelle version" in frozen.json()["detail"]
    assert len((await client.get("/api/v1/calls/ami-test")).json()["questions"]) == len(changed)
    again = await client.patch("/api/v1/calls/ami-test", headers=manager_headers,
                               json={"questions": [{**QUESTIONS[1], "label": "Sigle du projet"}],
                                     "new_version": True})
    assert again.status_code == 200 and again.json()["questions_version"] == 2
    call = await Call.objects().where(Call.slug == "ami-test").first()
    history = call.question_versions if isinstance(call.question_versions, list) else json.loads(
        call.question_versions)
    assert [h["version"] for h in history] == [1] and history[0]["questions"][-1]["key"] == "nouvelle"
    # The submitted application keeps version 1 and is shown against its questions.
    application = await Application.objects().get(Application.id == app_id)
    assert application.questions_version == 1
    await login(client, owner.email)
    receipt = await client.get(f"/applications/{app_id}/receipt")
    assert receipt.status_code == 200
    assert "Acronyme" in receipt.text and "Sigle du projet" not in receipt.text and "V1" in receipt.text
    shown = await client.get(f"/applications/{app_id}")
    assert 'id="application-answers"' in shown.text and "Sigle du projet" not in shown.text
    pdf = await client.get(f"/applications/{app_id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_receipt_hash_covers_answers(client, make_user, api_token):
    await _call_with_questions(client, make_user, api_token)
    owner = await make_user("applicant", email="owner@example.org")
    headers = await api_token(owner)
    digests = []
    for acronym in ("UN", "DEUX"):
        app_id = await _application(client, headers)
        file_id = await _upload(client, app_id, headers)
        await client.patch(f"/api/v1/applications/{app_id}", headers=headers,
                           json={"answers": {**VALID, "acronyme": acronym, "budget": file_id}})
        submitted = await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
        assert submitted.status_code == 200, submitted.text
        version = await ApplicationVersion.objects().where(ApplicationVersion.application == app_id).first()
        assert json.loads(version.content)["answers"]["acronyme"] == acronym
        digests.append(submitted.json()["receipt"]["sha256"])
    assert digests[0] != digests[1]


async def test_form_renders_questions_keeps_invalid_answers_and_recap_refuses(client, make_user, api_token):
    await _call_with_questions(client, make_user, api_token)
    owner = await make_user("applicant", email="owner@example.org")
    app_id = await _application(client, await api_token(owner))
    await login(client, owner.email)
    page = await client.get(f"/applications/{app_id}/edit")
    assert "<legend>Données</legend>" in page.text and 'id="field-answers.acronyme"' in page.text
    assert 'name="answers.donnees" value="SNDS"' in page.text and "SNDS, EDS…" in page.text
    form = {"_csrf_token": csrf_from(page.text), "action": "save", "title": "Projet", "public_title": "Clair",
            "public_summary": "Résumé", "description": "Desc", "requested_amount": "50000",
            "repositories": "https://github.com/example/pseudo", "licence": "EUPL-1.2", "org_name": "CHU",
            "org_siren": "732829320", "org_ror": "",
            "answers.sources": "SNDS", "answers.acronyme": "PSEUDO", "answers.equipe": "cent",
            "answers.porteur": "chu", "answers.donnees": ["", "EDS"], "answers.cnil": ["", "non"],
            "answers.site": "pas une adresse", "answers.debut": "2026-02-01", "answers.budget": ""}
    saved = await client.post(f"/applications/{app_id}/edit", data=form)
    assert saved.status_code == 200
    assert 'href="#field-answers.equipe"' in saved.text and 'href="#field-answers.site"' in saved.text
    assert 'value="cent"' in saved.text and 'value="pas une adresse"' in saved.text  # kept as typed
    assert 'id="answers.donnees-2" name="answers.donnees" value="EDS" checked' in saved.text
    stored = await Application.objects().get(Application.id == app_id)
    answers = stored.answers if isinstance(stored.answers, dict) else json.loads(stored.answers)
    assert answers == {"sources": "SNDS", "acronyme": "PSEUDO", "porteur": "chu", "donnees": ["EDS"],
                       "cnil": False, "debut": "2026-02-01"}
    recap = await client.get(f"/applications/{app_id}/recap")
    assert f'href="/applications/{app_id}/edit#field-answers.budget"' in recap.text
    assert "Cette question est obligatoire." in recap.text and "Indiquez un nombre." in recap.text
    assert 'data-answer="porteur">CHU' in recap.text
    submit = await client.post(f"/applications/{app_id}/submit",
                               data={"_csrf_token": csrf_from(recap.text), "attestation": "on"})
    assert submit.status_code == 422 and "answers.equipe" in submit.text
    assert (await Application.objects().get(Application.id == app_id)).state == "draft"

    english = await client.get(f"/applications/{app_id}/edit", params={"lang": "en"})
    assert "<legend>Data</legend>" in english.text and "CNIL authorisation" in english.text
    assert "Enter a number." in english.text


async def _reviewer_view(client, make_world, api_token, *, blind: bool) -> dict:  # noqa: F811
    world = await make_world(blind=blind, applications=1)
    call = await Call.objects().get(Call.id == world.call.id)
    call.questions = validate_questions(QUESTIONS[:2] + [QUESTIONS[8]] + [
        {"key": "responsable", "label": "Responsable scientifique", "kind": "text", "identifying": True}])
    await call.save()
    application = world.applications[0]
    attachment = Attachment(application=application.id, filename="budget-camille.pdf", stored_name="x-budget",
                            size=10, sha256="0" * 64)
    await attachment.save()
    await Application.update({Application.answers: {"sources": "SNDS", "acronyme": "PSEUDO",
                                                    "budget": attachment.id, "responsable": "Camille Porteuse"},
                              Application.questions_version: 1}).where(Application.id == application.id)
    manager = await api_token(world.manager)
    reviewer = await api_token(world.reviewers[0])
    assigned = await client.post(f"/api/v1/applications/{application.id}/assignments",
                                 json={"reviewer": world.reviewers[0].email}, headers=manager)
    assert assigned.status_code == 201, assigned.text
    assignment_id = assigned.json()["id"]
    await client.post(f"/api/v1/assignments/{assignment_id}/declaration", json={"conflict": False},
                      headers=reviewer)
    detail = (await client.get(f"/api/v1/assignments/{assignment_id}", headers=reviewer)).json()
    await login(client, world.reviewers[0].email)
    page = await client.get(f"/reviews/assignments/{assignment_id}")
    assert page.status_code == 200
    return {"api": {row["key"]: row["value"] for row in detail["application"]["answers"]}, "page": page.text}


async def test_reviewer_sees_answers(client, make_world, api_token):  # noqa: F811
    seen = await _reviewer_view(client, make_world, api_token, blind=False)
    assert seen["api"]["acronyme"] == "PSEUDO" and seen["api"]["responsable"] == "Camille Porteuse"
    assert "budget" in seen["api"]
    assert 'id="reviewer-answers"' in seen["page"] and "budget-camille.pdf" in seen["page"]


async def test_blind_call_hides_identifying_answers_from_reviewers(client, make_world, api_token):  # noqa: F811
    seen = await _reviewer_view(client, make_world, api_token, blind=True)
    assert set(seen["api"]) == {"sources", "acronyme"}
    assert "PSEUDO" in seen["page"] and "budget-camille.pdf" not in seen["page"]
    assert "Camille Porteuse" not in seen["page"]
