"""The manager's question builder (/manage/calls/{slug}/questions): through the pages, without JavaScript."""

from __future__ import annotations

import html
import re

from registry.audit.tables import AuditEntry
from registry.calls.questions import questions_of
from registry.calls.tables import Call

from ..applications.helpers import draft, open_call
from ..conftest import csrf_from, login

PAGE = "/manage/calls/ami-test/questions"


async def _post(client, action: str, data: dict, page_url: str = PAGE):
    page = await client.get(page_url)
    return await client.post(action, data={**data, "_csrf_token": csrf_from(page.text)})


def _question(label: str, kind: str, **extra) -> dict:
    return {"label": label, "kind": kind, **extra}


async def _stored(slug: str = "ami-test") -> tuple[list[dict], int]:
    call = await Call.objects().where(Call.slug == slug).first()
    return questions_of(call.questions), call.questions_version


async def _manager(client, make_user, *, publish: bool = False):
    manager = await make_user("manager", email="manager@example.org")
    await open_call(manager, publish=publish)
    await login(client, manager.email)
    return manager


async def test_manager_builds_orders_edits_and_deletes_questions(client, make_user):
    await _manager(client, make_user)
    detail = await client.get("/manage/calls/ami-test")
    assert f'href="{PAGE}"' in detail.text
    assert f'href="{PAGE}"' in (await client.get("/manage/calls/ami-test/edit")).text

    for data in (
        _question("Sources de données", "long_text", section="Données", required="on", max_length="2000",
                  help="SNDS, entrepôt hospitalier…", label_en="Data sources"),
        _question("Autorisation CNIL obtenue", "yes_no", section="Données", required="on"),
        _question("Type d’organisme", "choice", choices="CHU\nUniversité\nAssociation", required="on"),
        _question("Nombre de personnes dans l’équipe", "number", min="1", max="50", key="team_size"),
    ):
        added = await _post(client, PAGE, data)
        assert added.status_code == 200 and "Les questions de l’appel ont été enregistrées." in added.text
    questions, version = await _stored()
    assert [(q["key"], q["kind"], q["required"]) for q in questions] == [
        ("sources_de_donnees", "long_text", True), ("autorisation_cnil_obtenue", "yes_no", True),
        ("type_d_organisme", "choice", True), ("team_size", "number", False)]
    assert questions[0]["section"] == "Données" and questions[0]["label_en"] == "Data sources"
    assert [c["label"] for c in questions[2]["choices"]] == ["CHU", "Université", "Association"]
    assert (questions[3]["min"], questions[3]["max"]) == (1, 50)
    assert version == 1

    page = (await client.get(PAGE)).text
    assert page.count("<h3>Données</h3>") == 1  # the list's section heading
    preview = page[page.index('id="questions-preview"'):]
    assert "<legend>Données</legend>" in preview and "Sources de données" in preview  # the applicant's fields
    assert 'type="radio" id="answers.type_d_organisme-1" name="answers.type_d_organisme" value="CHU"' in preview

    moved = await _post(client, f"{PAGE}/team_size/move", {"direction": "up"})
    assert moved.status_code == 200
    assert [q["key"] for q in (await _stored())[0]][2:] == ["team_size", "type_d_organisme"]

    edit_url = f"{PAGE}/team_size/edit"
    form = await client.get(edit_url)
    assert 'value="Nombre de personnes dans l’équipe"' in form.text and 'value="50"' in form.text
    edited = await _post(client, edit_url, {"label": "Taille de l’équipe", "kind": "number", "min": "1",
                                            "max": "30", "required": "on"}, page_url=edit_url)
    assert "Les questions de l’appel ont été enregistrées." in edited.text
    team = next(q for q in (await _stored())[0] if q["key"] == "team_size")
    assert (team["label"], team["max"], team["required"]) == ("Taille de l’équipe", 30, True)

    asked = await _post(client, f"{PAGE}/autorisation_cnil_obtenue/delete", {})
    assert "Supprimer la question ?" in asked.text and 'name="confirm" value="1"' in asked.text
    assert len((await _stored())[0]) == 4  # nothing removed before the confirmation
    done = await _post(client, f"{PAGE}/autorisation_cnil_obtenue/delete", {"confirm": "1"})
    assert done.status_code == 200
    assert [q["key"] for q in (await _stored())[0]] == ["sources_de_donnees", "team_size", "type_d_organisme"]
    events = await AuditEntry.select(AuditEntry.action).where(AuditEntry.action == "call.questions_changed")
    assert len(events) == 7


async def test_english_pages_and_errors(client, make_user):
    await _manager(client, make_user)
    page = await client.get(f"{PAGE}?lang=en")
    assert "Add a question" in page.text and "Answer type" in page.text
    refused = await _post(client, f"{PAGE}?lang=en", _question("", "text", label_en="Team"), page_url=f"{PAGE}?lang=en")
    assert refused.status_code == 422
    assert 'id="error-label"' in refused.text and "There is a problem with the form" in refused.text
    assert 'value="Team"' in refused.text  # nothing lost
    added = await _post(client, f"{PAGE}?lang=en", _question("Équipe", "text", label_en="Team", section="Équipe",
                                                              section_en="People"), page_url=f"{PAGE}?lang=en")
    assert "The call's questions have been saved." in html.unescape(added.text)
    assert "<h3>People</h3>" in added.text and "<legend>People</legend>" in added.text


async def test_bad_input_redisplays_the_form_with_messages_beside_fields(client, make_user):
    await _manager(client, make_user)
    refused = await _post(client, PAGE, _question("Type d’organisme", "choice", choices="", help="Une aide",
                                                  section="Porteur"))
    assert refused.status_code == 422
    body = refused.text
    assert 'id="error-choices"' in body and 'href="#field-choices"' in body
    assert 'aria-invalid="true"' in body
    assert 'value="Type d’organisme"' in body and ">Une aide</textarea>" in body and 'value="Porteur"' in body
    assert '<option value="choice" selected>' in body
    assert (await _stored())[0] == []

    bounds = await _post(client, PAGE, _question("Budget", "number", min="beaucoup", max="10"))
    assert bounds.status_code == 422 and 'id="error-min"' in bounds.text and 'value="beaucoup"' in bounds.text

    await _post(client, PAGE, _question("Budget", "number", key="budget"))
    duplicate = await _post(client, PAGE, _question("Budget bis", "number", key="budget"))
    assert duplicate.status_code == 422 and 'id="error-key"' in duplicate.text
    assert [q["key"] for q in (await _stored())[0]] == ["budget"]


async def test_frozen_after_first_submission_changes_make_a_new_version(client, make_user, api_token):
    await _manager(client, make_user, publish=True)
    await _post(client, PAGE, _question("Autorisation CNIL obtenue", "yes_no", key="cnil"))
    owner = await make_user("applicant", email="owner@example.org")
    application = await draft(owner)
    headers = await api_token(owner)
    patched = await client.patch(f"/api/v1/applications/{application.id}", headers=headers,
                                 json={"answers": {"cnil": True}})
    assert patched.status_code == 200, patched.text
    submitted = await client.post(f"/api/v1/applications/{application.id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text

    page = await client.get(PAGE)
    notice = re.sub(r"\s+", " ", page.text[page.text.index('id="questions-frozen"'):][:400])
    assert "Les questions sont figées depuis le premier dépôt, le" in notice
    assert "une modification crée la version 2, les réponses déjà déposées gardent leur version." in notice

    asked = await _post(client, PAGE, _question("Nombre de centres", "number", key="centres", min="1"))
    assert "Ajouter une question à une version figée ?" in asked.text
    assert "Les questions de l’appel passent à la version 2." in asked.text
    assert 'name="label" value="Nombre de centres"' in asked.text and 'name="confirm" value="1"' in asked.text
    questions, version = await _stored()
    assert ([q["key"] for q in questions], version) == (["cnil"], 1)  # nothing changed before the confirmation

    confirmed = await _post(client, PAGE, _question("Nombre de centres", "number", key="centres", min="1",
                                                    confirm="1"))
    assert "Nouvelle version des questions enregistrée" in confirmed.text
    questions, version = await _stored()
    assert version == 2 and [q["key"] for q in questions] == ["cnil", "centres"]
    assert 'id="questions-version">2<' in confirmed.text


async def test_only_managers_use_the_builder(client, make_user):
    manager = await make_user("manager", email="manager@example.org")
    await open_call(manager, publish=False)
    for role in ("applicant", "reviewer"):
        user = await make_user(role)
        await client.get("/logout")
        await login(client, user.email)
        page = await client.get(PAGE)
        assert page.status_code == 403 and "Ajouter une question" not in page.text
        token_page = await client.get("/account")
        posted = await client.post(PAGE, data={"label": "X", "kind": "text",
                                               "_csrf_token": csrf_from(token_page.text)})
        assert posted.status_code == 403
    assert (await _stored())[0] == []


async def test_closed_call_questions_are_read_only(client, make_user):
    from datetime import UTC, datetime, timedelta

    manager = await make_user("manager", email="manager@example.org")
    now = datetime.now(UTC)
    await open_call(manager, opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1))
    await login(client, manager.email)
    page = await client.get(PAGE)
    assert 'id="questions-closed"' in page.text and 'id="question-add"' not in page.text
    refused = await client.post(PAGE, data={"label": "Tardive", "kind": "text", "_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 409 and "ne peut plus être modifié" in refused.text
    assert (await _stored())[0] == []
    missing = await client.get(f"{PAGE}/inconnue/edit")
    assert missing.status_code == 404 and "Question introuvable." in missing.text
