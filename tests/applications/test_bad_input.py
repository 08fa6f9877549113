import dataclasses

import pytest

from registry.applications.service import pending_of
from registry.applications.tables import Application, Attachment
from tests.applications.helpers import draft, open_call
from tests.conftest import csrf_from, http_client, login

CASES = [
    ({"requested_amount": 999_999_999}, "requested_amount", "Le montant demandé doit être compris entre"),
    ({"requested_amount": -5}, "requested_amount", "Le montant ne peut pas être négatif."),
    ({"licence": "MIT AND AND"}, "licence", "Expression SPDX invalide"),
    ({"licence": "GPL-2.0-only"}, "licence", "Licence non autorisée pour cet appel"),
    ({"organisation": {"siren": "732829321"}}, "organisation.siren", "Numéro SIREN invalide"),
    ({"organisation": {"ror": "02feahw74"}}, "organisation.ror", "Identifiant ROR invalide"),
    ({"repositories": ["https://127.0.0.1/a/b"]}, "repositories", "adresse locale ou privée"),
    ({"repositories": ["http://github.com/a/b"]}, "repositories", "seules les adresses https"),
    ({"repositories": ["https://evil.example/a/b"]}, "repositories", "n'est pas une forge autorisée"),
]


@pytest.mark.parametrize("body, field, message", CASES)
async def test_api_bad_field_is_kept_as_typed_and_the_rest_saved(client, make_user, api_token, body, field, message):
    manager = await make_user("manager")
    owner = await make_user("applicant")
    await open_call(manager)
    application = await draft(owner)
    headers = await api_token(owner)
    response = await client.patch(f"/api/v1/applications/{application.id}", headers=headers,
                                  json={"title": "Changé", **body})
    assert response.status_code == 200
    answer = response.json()
    assert [e["field"] for e in answer["errors"]] == [field] and message in answer["errors"][0]["message"]
    assert answer["title"] == "Changé"
    assert field in [m["field"] for m in answer["missing"]]
    stored = await Application.objects().get(Application.id == application.id)
    # The valid title is stored; the invalid value does not replace the stored one but is kept as typed.
    assert stored.title == "Changé" and stored.requested_amount == 50_000
    assert stored.licence == "EUPL-1.2" and stored.org_siren == "732829320"
    raw = body.get("organisation", body)
    assert pending_of(stored)[field]["raw"] == next(iter(raw.values()))
    again = await client.get(f"/api/v1/applications/{application.id}", headers=headers)
    assert [e["field"] for e in again.json()["errors"]] == [field]
    submit = await client.post(f"/api/v1/applications/{application.id}/submit", headers=headers)
    assert submit.status_code == 422 and field in [e["field"] for e in submit.json()["errors"]]


async def test_licence_error_names_authorised_licences(client, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant")
    await open_call(manager, policy=["MIT", "EUPL-1.2"])
    application = await draft(owner)
    response = await client.patch(f"/api/v1/applications/{application.id}", headers=await api_token(owner),
                                  json={"licence": "Apache-2.0"})
    assert response.json()["errors"][0]["message"] == (
        "Licence non autorisée pour cet appel : Apache-2.0 ne figure pas sur la liste des licences autorisées. "
        "Licences autorisées : EUPL-1.2, MIT.")


async def test_page_shows_error_beside_field_and_keeps_typed_values(client, make_user):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    application = await draft(owner)
    await login(client, "owner@example.org")
    form = await client.get(f"/applications/{application.id}/edit")
    response = await client.post(f"/applications/{application.id}/edit", data={
        "_csrf_token": csrf_from(form.text), "action": "save", "title": "Mon texte tapé", "public_title": "",
        "public_summary": "", "description": "Longue description tapée", "requested_amount": "-3",
        "repositories": "", "licence": "", "org_name": "", "org_siren": "123", "org_ror": ""})
    assert [r.status_code for r in response.history] == [303] and response.status_code == 200
    assert response.url.path == f"/applications/{application.id}/edit"
    assert "Brouillon enregistré, sauf les valeurs signalées ci-dessous" in response.text
    page = await client.get(f"/applications/{application.id}/edit")  # on every later visit too
    assert "Valeurs non valides : à corriger avant le dépôt" in page.text
    assert '<p class="error-message" id="error-requested_amount">' in page.text
    assert "Le montant ne peut pas être négatif." in page.text
    assert 'id="error-org_siren"' in page.text and 'value="123"' in page.text and 'value="-3"' in page.text
    assert 'value="Mon texte tapé"' in page.text and "Longue description tapée</textarea>" in page.text
    stored = await Application.objects().get(Application.id == application.id)
    assert (stored.title, stored.description, stored.requested_amount, stored.org_siren) == (
        "Mon texte tapé", "Longue description tapée", 50_000, "732829320")
    assert sorted(pending_of(stored)) == ["organisation.siren", "requested_amount"]


@pytest.mark.parametrize("content, message", [
    (b"<html>pas un pdf</html>", "Seuls les fichiers PDF sont acceptés"),
    (b"%PDF-1.4\n" + b"0" * 5000, "Fichier trop volumineux"),
])
async def test_attachment_wrong_type_or_oversized_is_refused(make_user, settings, app_factory, content, message):


    small = dataclasses.replace(settings, attachment_max_bytes=4096)
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    application = await draft(owner)
    async with http_client(app_factory(small)) as client:
        await login(client, "owner@example.org")
        form = await client.get(f"/applications/{application.id}/edit")
        response = await client.post(f"/applications/{application.id}/attachments",
                                     data={"_csrf_token": csrf_from(form.text)},
                                     files={"attachment": ("x.pdf", content, "application/pdf")})
    assert response.status_code == 422
    assert 'id="error-attachment"' in response.text and message in response.text
    assert await Attachment.count() == 0


async def test_call_weights_must_total_100(client, make_user, api_token):
    manager = await make_user("manager")
    response = await client.post("/api/v1/calls", headers=await api_token(manager), json={
        "slug": "ami-x", "title": "X", "opens_at": "2027-01-01T09:00", "closes_at": "2027-03-01T12:00",
        "criteria": [{"name": "A", "weight": 50}, {"name": "B", "weight": 30}]})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "criteria", "message": "Les poids des critères doivent totaliser 100 % (total actuel : 80 %)."}]
