"""Drafts saved whatever their validity, the recap with its sworn statement, the PDF receipt, withdrawal
confirmed, and the form macro's attributes — through real HTTP on the test engine."""

from __future__ import annotations

import hashlib
import io
import json
import re

from pypdf import PdfReader

from registry.applications.service import invite_co_applicant, pending_of, reopen_application
from registry.applications.submission import ATTESTATION, submit_application
from registry.applications.tables import Application, ApplicationVersion
from registry.audit.tables import AuditEntry
from registry.labels.tables import Label
from tests.conftest import csrf_from, login

from .helpers import actor, draft, open_call

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


async def _world(make_user, *, complete: bool = True):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org", name="Inès Moreau")
    await open_call(manager)
    application = await draft(owner, complete=complete)
    return owner, application


async def test_page_draft_with_bad_amount_keeps_the_rest_and_fixing_clears_the_error(client, make_user):
    _owner, application = await _world(make_user, complete=False)
    await login(client, "owner@example.org")
    form = await client.get(f"/applications/{application.id}/edit")
    fields = {"title": "Outil d’anonymisation", "public_title": "Cacher les noms", "public_summary": "Un résumé.",
              "description": "Une description.", "requested_amount": "beaucoup", "repositories": "",
              "licence": "", "org_name": "", "org_siren": "", "org_ror": ""}
    saved = await client.post(f"/applications/{application.id}/edit",
                              data={"_csrf_token": csrf_from(form.text), "action": "save", **fields})
    assert "Brouillon enregistré, sauf les valeurs signalées ci-dessous" in saved.text
    stored = await Application.objects().get(Application.id == application.id)
    assert (stored.title, stored.public_summary, stored.requested_amount) == (
        "Outil d’anonymisation", "Un résumé.", None)
    assert pending_of(stored) == {"requested_amount": {
        "raw": "beaucoup", "message": "Indiquez un montant en euros, sans centimes."}}
    later = await client.get(f"/applications/{application.id}/edit")
    assert 'id="pending-summary"' in later.text and '<a href="#field-requested_amount">' in later.text
    assert 'value="beaucoup"' in later.text and 'aria-invalid="true"' in later.text
    # the recap lists the error (linked to the field) and refuses to submit
    recap = await client.get(f"/applications/{application.id}/recap")
    assert (f'<a href="/applications/{application.id}/edit#field-requested_amount">'
            "Indiquez un montant en euros, sans centimes.</a>") in recap.text
    assert "Renseignez" not in recap.text.split("Indiquez un montant")[0]  # text fields are filled
    fixed = await client.post(f"/applications/{application.id}/edit", data={
        "_csrf_token": csrf_from(later.text), "action": "save", **fields, "requested_amount": "60 000"})
    assert "Brouillon enregistré. Il n&#39;est pas encore soumis." in fixed.text
    stored = await Application.objects().get(Application.id == application.id)
    assert stored.requested_amount == 60_000 and pending_of(stored) == {}
    assert 'id="pending-summary"' not in fixed.text


async def test_api_patch_amount_as_text_is_kept_then_replaced(client, make_user, api_token):
    owner, application = await _world(make_user)
    headers = await api_token(owner)
    url = f"/api/v1/applications/{application.id}"
    bad = await client.patch(url, headers=headers, json={"description": "Nouvelle", "requested_amount": "12,5 k€"})
    assert bad.status_code == 200
    body = bad.json()
    assert body["description"] == "Nouvelle" and body["requested_amount"] == 50_000
    assert body["errors"] == [{"field": "requested_amount", "message": "Indiquez un montant en euros, sans centimes."}]
    # a PATCH that does not send the amount leaves its pending value alone
    other = await client.patch(url, headers=headers, json={"title": "Autre titre"})
    assert other.json()["errors"] == body["errors"] and other.json()["revision"] == body["revision"] + 1
    good = await client.patch(url, headers=headers, json={"requested_amount": "70 000 €"})
    assert good.json()["errors"] == [] and good.json()["requested_amount"] == 70_000
    wrong_type = await client.patch(url, headers=headers, json={"requested_amount": {"euros": 3}})
    assert wrong_type.status_code == 400  # cannot be kept even as typed: the request is refused, field named
    assert [e["field"] for e in wrong_type.json()["errors"]] == ["requested_amount"]
    assert (await Application.objects().get(Application.id == application.id)).requested_amount == 70_000


async def test_recap_without_attestation_submits_nothing(client, make_user):
    owner, application = await _world(make_user)
    await invite_co_applicant(application.id, "co@example.org", actor=await actor(owner))
    await login(client, "owner@example.org")
    form = await client.get(f"/applications/{application.id}/edit")
    assert '<button type="submit" name="action" value="submit" id="submit-application">Vérifier et déposer' in form.text
    recap = await client.post(f"/applications/{application.id}/edit", data={
        "_csrf_token": csrf_from(form.text), "action": "submit", "title": "Titre revu",
        "public_title": "Masquer les noms", "public_summary": "Un outil libre.", "description": "Longue.",
        "requested_amount": "50000", "repositories": "https://github.com/example/pseudo", "licence": "EUPL-1.2",
        "org_name": "CHU de Test", "org_siren": "732829320", "org_ror": ""})
    assert recap.url.path == f"/applications/{application.id}/recap"
    assert "<dd>Titre revu</dd>" in recap.text and "co@example.org" in recap.text
    assert "AMI test" in recap.text and 'name="attestation"' in recap.text
    refused = await client.post(f"/applications/{application.id}/submit",
                                data={"_csrf_token": csrf_from(recap.text)})
    assert refused.status_code == 422
    assert 'id="error-attestation"' in refused.text
    assert "Cochez l’attestation sur l’honneur pour déposer la candidature." in refused.text
    assert await ApplicationVersion.count() == 0
    assert (await Application.objects().get(Application.id == application.id)).state == "draft"
    done = await client.post(f"/applications/{application.id}/submit",
                             data={"_csrf_token": csrf_from(recap.text), "attestation": "on"})
    assert done.url.path == f"/applications/{application.id}/receipt"
    version = await ApplicationVersion.objects().first()
    assert version.attestation == ATTESTATION and ATTESTATION.replace("'", "&#39;") in done.text
    assert json.loads(version.content)["title"] == "Titre revu"


async def test_recap_refuses_submission_while_a_value_is_invalid(client, make_user, api_token):
    owner, application = await _world(make_user)
    await client.patch(f"/api/v1/applications/{application.id}", headers=await api_token(owner),
                       json={"licence": "GPL-2.0-only"})
    await login(client, "owner@example.org")
    recap = await client.get(f"/applications/{application.id}/recap")
    refused = await client.post(f"/applications/{application.id}/submit",
                                data={"_csrf_token": csrf_from(recap.text), "attestation": "on"})
    assert refused.status_code == 422
    assert f'<a href="/applications/{application.id}/edit#field-licence">Licence non autorisée' in refused.text
    assert await ApplicationVersion.count() == 0


async def test_api_submit_records_optional_attestation(client, make_user, api_token):
    owner, application = await _world(make_user)
    response = await client.post(f"/api/v1/applications/{application.id}/submit", headers=await api_token(owner),
                                 json={"attestation": True})
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    version = await ApplicationVersion.objects().first()
    assert version.attestation == ATTESTATION and response.json()["receipt"]["sha256"] == version.sha256
    entry = await AuditEntry.objects().where(AuditEntry.action == "application.submit").first()
    data = entry.data if isinstance(entry.data, dict) else json.loads(entry.data)
    assert data["attested"] is True


async def test_receipt_pdf_lists_hash_fields_files_and_attestation(client, make_user, settings):
    owner, application = await _world(make_user)
    await login(client, "owner@example.org")
    form = await client.get(f"/applications/{application.id}/edit")
    await client.post(f"/applications/{application.id}/attachments", data={"_csrf_token": csrf_from(form.text)},
                      files={"attachment": ("protocole d’étude.pdf", PDF, "application/pdf")})
    await invite_co_applicant(application.id, "co@example.org", actor=await actor(owner))
    receipt = await submit_application(application.id, actor=await actor(owner), attestation=ATTESTATION)
    response = await client.get(f"/applications/{application.id}/receipt.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="attestation-de-depot-{application.id}-v1.pdf"')
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert receipt.sha256 in flat.replace(" ", "")
    assert hashlib.sha256(PDF).hexdigest() in flat.replace(" ", "")
    for expected in ("Attestation de dépôt", "AMI test", "Pseudonymisation de comptes rendus",
                     "Masquer les noms dans les comptes rendus", "CHU de Test", "SIREN 732829320",
                     "Inès Moreau", "co@example.org", "EUPL-1.2", "https://github.com/example/pseudo",
                     "protocole d’étude.pdf", f"{len(PDF)} octets", "50 000 €", "J'atteste sur l'honneur"):
        assert expected.replace("\u202f", " ") in flat.replace("\u202f", " ").replace("\xa0", " "), expected
    page = await client.get(f"/applications/{application.id}/receipt")
    assert f'href="/applications/{application.id}/receipt.pdf"' in page.text
    shown = await client.get(f"/applications/{application.id}")
    assert 'id="receipt-pdf-link"' in shown.text and f"({len(PDF)}\u00a0octets)" in shown.text
    english = await client.get(f"/applications/{application.id}/receipt.pdf?lang=en")
    english_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)
    # the headings follow the reader; the sworn statement stays the sentence the applicant ticked
    assert "Proof of submission" in english_text and "Submitted content" in english_text
    assert "J'atteste sur l'honneur" in english_text
    assert 'filename="proof-of-submission-' in english.headers["content-disposition"]


async def test_receipt_pdf_is_hidden_like_the_receipt(client, make_user):
    owner, application = await _world(make_user)
    await make_user("applicant", email="other@example.org")
    await submit_application(application.id, actor=await actor(owner))
    await login(client, "other@example.org")
    hidden = await client.get(f"/applications/{application.id}/receipt.pdf")
    missing = await client.get("/applications/999999/receipt.pdf")
    assert hidden.status_code == missing.status_code == 404 and "Candidature introuvable." in hidden.text


async def test_withdraw_asks_for_confirmation_first(client, make_user):
    owner, application = await _world(make_user)
    await submit_application(application.id, actor=await actor(owner))
    await login(client, "owner@example.org")
    shown = await client.get(f"/applications/{application.id}")
    ask = await client.post(f"/applications/{application.id}/withdraw", data={"_csrf_token": csrf_from(shown.text)})
    assert ask.status_code == 200 and "Retirer la candidature ?" in ask.text
    assert "La version déposée (n° 1) ne comptera plus." in ask.text
    assert '<input type="hidden" name="confirm" value="1">' in ask.text
    assert (await Application.objects().get(Application.id == application.id)).state == "submitted"
    done = await client.post(f"/applications/{application.id}/withdraw",
                             data={"_csrf_token": csrf_from(ask.text), "confirm": "1"})
    assert done.url.path == f"/applications/{application.id}" and "Votre candidature est retirée." in done.text
    assert (await Application.objects().get(Application.id == application.id)).state == "withdrawn"


async def test_reopened_application_shows_the_version_that_still_counts(client, make_user):
    owner, application = await _world(make_user)
    await submit_application(application.id, actor=await actor(owner))
    await login(client, "owner@example.org")
    submitted_edit = await client.get(f"/applications/{application.id}/edit")
    assert "Non soumise" not in submitted_edit.text and 'class="notice notice-info banner-submitted"' in submitted_edit.text
    await reopen_application(application.id, actor=await actor(owner))
    mine = await client.get("/applications")
    row = mine.text.split(f'id="application-{application.id}"')[1].split("</tr>")[0]
    assert "rouverte" in row and "reste valable tant que vous ne redéposez pas" in row
    assert "brouillon (non soumis)" not in row
    edit = await client.get(f"/applications/{application.id}/edit")
    assert "Rouverte." in edit.text and "Non soumise" not in edit.text


async def test_form_macro_renders_extra_attributes_and_grouped_checkboxes(client, make_user):
    _owner, application = await _world(make_user)
    await Label(slug="pseudonymisation", category="theme", name_fr="Pseudonymisation", name_en="Pseudonymisation").save()
    await login(client, "owner@example.org")
    form = await client.get(f"/applications/{application.id}/edit")
    assert 'accept="application/pdf,.pdf"' in form.text and "&#34;" not in form.text
    assert re.search(r'id="field-requested_amount"[^>]*inputmode="numeric"', form.text, re.S)
    assert re.search(r'<fieldset class="field checkboxes" id="labels-1">\s*<legend>Thèmes</legend>', form.text)
    assert ('<label class="checkbox" for="labels-pseudonymisation"><input type="checkbox" id="labels-pseudonymisation"'
            ' name="labels" value="pseudonymisation"> <span>Pseudonymisation</span></label>') in form.text
