"""Enquiries and the call's FAQ: privacy of enquiries, FAQ publication through the API and the
manager page (mailed once to each draft owner through a real SMTP server), the public block, both languages."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import csrf_from, http_client, login

pytestmark = pytest.mark.asyncio


@pytest.fixture
def inbox(smtp_server):
    return smtp_server


@pytest.fixture
async def open_call(make_user):
    from registry.applications.tables import Application
    from registry.calls.tables import Call

    now = datetime.now(UTC)
    call = Call(slug="ami-faq", title_fr="AMI FAQ", title_en="FAQ call", budget_total=100_000, amount_min=1000,
                amount_max=80_000, opens_at=now - timedelta(days=5), closes_at=now + timedelta(days=30),
                status="published", published_at=now - timedelta(days=6))
    await call.save()
    people = {
        "manager": await make_user("manager", email="gestion@hdh.fr", name="Luc Gestionnaire"),
        "asker": await make_user("applicant", email="asker@chu.fr", name="Camille Demande"),
        "drafter": await make_user("applicant", email="draft@chu.fr", name="Noé Brouillon"),
        "submitter": await make_user("applicant", email="soumis@chu.fr", name="Ada Soumise"),
    }
    await Application(call=call.id, owner=people["drafter"].id, state="draft", title="Brouillon").save()
    await Application(call=call.id, owner=people["drafter"].id, state="draft", title="Second brouillon").save()
    await Application(call=call.id, owner=people["asker"].id, state="draft", title="Autre").save()
    await Application(call=call.id, owner=people["submitter"].id, state="submitted", title="Soumise").save()
    return call, people


async def test_enquiry_privacy_and_validation(client, api_token, open_call):
    call, people = open_call
    anonymous = await client.post("/api/v1/calls/ami-faq/enquiries", json={"question": "Et les CHU ?"})
    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    asker = await api_token(people["asker"])
    created = await client.post("/api/v1/calls/ami-faq/enquiries", headers=asker,
                                json={"question": "  Les CHU sont-ils éligibles ?  "})
    assert created.status_code == 201, created.text
    assert created.json()["question"] == "Les CHU sont-ils éligibles ?" and created.json()["state"] == "open"
    empty = await client.post("/api/v1/calls/ami-faq/enquiries", headers=asker, json={"question": " "})
    assert empty.status_code == 422 and [e["field"] for e in empty.json()["errors"]] == ["question"]
    missing = await client.post("/api/v1/calls/nope/enquiries", headers=asker, json={"question": "?"})
    assert missing.status_code == 404
    from registry.calls.tables import Call

    now = datetime.now(UTC)
    await Call(slug="ami-clos", title_fr="AMI clos", budget_total=1000, amount_min=1, amount_max=1000,
               opens_at=now - timedelta(days=50), closes_at=now - timedelta(days=1), status="published",
               published_at=now - timedelta(days=51)).save()
    closed = await client.post("/api/v1/calls/ami-clos/enquiries", headers=asker, json={"question": "Encore ?"})
    assert closed.status_code == 409 and closed.json()["detail"]

    other = await api_token(people["drafter"])
    theirs = await client.get("/api/v1/calls/ami-faq/enquiries", headers=other)
    assert theirs.status_code == 200 and theirs.json() == []
    mine = await client.get("/api/v1/calls/ami-faq/enquiries", headers=asker)
    assert [e["question"] for e in mine.json()] == ["Les CHU sont-ils éligibles ?"]
    manager = await client.get("/api/v1/calls/ami-faq/enquiries", headers=await api_token(people["manager"]))
    assert len(manager.json()) == 1
    # Nowhere public: neither the call page nor the FAQ.
    assert "Les CHU sont-ils" not in (await client.get("/calls/ami-faq")).text
    assert (await client.get("/api/v1/calls/ami-faq/faq")).json() == []
    # An applicant cannot publish in the FAQ.
    refused = await client.post("/api/v1/calls/ami-faq/faq", headers=asker, json={"question": "q", "answer": "a"})
    assert refused.status_code == 403


async def test_faq_published_mailed_once_per_draft_owner(settings, app_factory, api_token, open_call, inbox):
    from registry.audit.tables import AuditEntry
    from registry.enquiries.tables import Enquiry

    call, people = open_call
    url, box = inbox
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    async with http_client(app) as api:
        asked = await api.post("/api/v1/calls/ami-faq/enquiries", headers=await api_token(people["asker"]),
                               json={"question": "Les CHU sont-ils éligibles ?"})
        manager = await api_token(people["manager"])
        bad = await api.post("/api/v1/calls/ami-faq/faq", headers=manager, json={"question": "", "answer": ""})
        assert bad.status_code == 422
        assert sorted(e["field"] for e in bad.json()["errors"]) == ["answer", "question"]
        published = await api.post("/api/v1/calls/ami-faq/faq", headers=manager, json={
            "question": "Un CHU peut-il candidater ?", "answer": "Oui, comme tout établissement public.",
            "enquiries": [asked.json()["id"]]})
        assert published.status_code == 201, published.text
        body = published.json()
        assert set(body) >= {"id", "question", "answer", "published_at"} and body["published_at"]
        await box.settle(2)
        await asyncio.sleep(0.3)
        subject = "Nouvelle réponse dans la FAQ de l’appel — AMI FAQ"
        # One mail per person, though the drafter has two drafts; the asker once too; no mail to submitters.
        assert box.to("draft@chu.fr") == [subject]
        assert box.to("asker@chu.fr") == [subject]
        assert box.to("soumis@chu.fr") == []
        enquiry = await Enquiry.objects().get(Enquiry.id == asked.json()["id"])
        assert enquiry.state == "answered" and enquiry.faq_entry == body["id"]
        assert await AuditEntry.count().where(AuditEntry.action == "faq.published") == 1

        page = await api.get("/calls/ami-faq")
        assert "Un CHU peut-il candidater ?" in page.text and "Publié le" in page.text
        listed = await api.get("/api/v1/calls/ami-faq/faq")
        assert [e["question"] for e in listed.json()] == ["Un CHU peut-il candidater ?"]
        call_json = (await api.get("/api/v1/calls/ami-faq")).json()
        assert [e["answer"] for e in call_json["faq"]] == ["Oui, comme tout établissement public."]

        edited = await api.patch(f"/api/v1/faq/{body['id']}", headers=manager,
                                 json={"question": "Un CHU peut-il candidater ?", "answer": "Oui, sans réserve."})
        assert edited.status_code == 200 and edited.json()["updated_at"]
        page = await api.get("/calls/ami-faq")
        assert "Oui, sans réserve." in page.text and "modifié le" in page.text
        english = await api.get("/calls/ami-faq?lang=en")
        assert "Frequently asked questions" in english.text and "edited on" in english.text
        from tests.app.test_english_pages import untranslated_french
        assert untranslated_french(english.text) == []

        withdrawn = await api.delete(f"/api/v1/faq/{body['id']}", headers=manager)
        assert withdrawn.status_code == 200
        again = await api.delete(f"/api/v1/faq/{body['id']}", headers=manager)
        assert again.status_code == 409
        assert "Oui, sans réserve." not in (await api.get("/calls/ami-faq")).text
        assert await AuditEntry.count().where(AuditEntry.action.is_in(["faq.edited", "faq.withdrawn"])) == 2


async def test_pages_enquiry_form_and_manager_faq(settings, app_factory, open_call):
    call, people = open_call
    app = app_factory(settings)
    async with http_client(app) as applicant:
        await login(applicant, "asker@chu.fr")
        page = await applicant.get("/calls/ami-faq")
        assert "Poser une question" in page.text
        empty = await applicant.post("/calls/ami-faq/enquiries", data={"question": "",
                                                                       "_csrf_token": csrf_from(page.text)})
        assert empty.status_code == 422 and 'href="#field-question"' in empty.text
        page = await applicant.get("/calls/ami-faq")
        sent = await applicant.post("/calls/ami-faq/enquiries", data={"question": "Quel format de budget ?",
                                                                      "_csrf_token": csrf_from(page.text)})
        assert sent.status_code == 200 and "Quel format de budget ?" in sent.text and "en attente" in sent.text
    async with http_client(app) as other:
        await login(other, "draft@chu.fr")
        assert "Quel format de budget ?" not in (await other.get("/calls/ami-faq")).text
        assert (await other.get("/manage/calls/ami-faq/faq")).status_code in (403, 404)
    async with http_client(app) as manager:
        await login(manager, "gestion@hdh.fr")
        detail = await manager.get("/manage/calls/ami-faq")
        assert 'href="/manage/calls/ami-faq/faq"' in detail.text
        faq = await manager.get("/manage/calls/ami-faq/faq")
        assert faq.status_code == 200 and "Quel format de budget ?" in faq.text
        refused = await manager.post("/manage/calls/ami-faq/faq", data={
            "question": "Budget ?", "answer": "", "_csrf_token": csrf_from(faq.text)})
        assert refused.status_code == 422 and 'href="#field-answer"' in refused.text and "Budget ?" in refused.text
        from registry.enquiries.tables import Enquiry

        enquiry = await Enquiry.objects().where(Enquiry.question == "Quel format de budget ?").first()
        done = await manager.post("/manage/calls/ami-faq/faq", data={
            "question": "Quel format de budget ?", "answer": "Le modèle fourni.", "enquiries": str(enquiry.id),
            "_csrf_token": csrf_from(faq.text)})
        assert done.status_code == 200 and "Aucune question en attente." in done.text
        english = await manager.get("/manage/calls/ami-faq/faq?lang=en")
        assert "Published" in english.text and "Questions and FAQ" in english.text
        from tests.app.test_english_pages import untranslated_french
        assert untranslated_french(english.text) == []


async def test_demo_has_faq_and_an_open_enquiry(full_demo, client):
    from registry.calls.state import call_state
    from registry.calls.tables import Call
    from registry.enquiries.tables import Enquiry, FaqEntry

    now = datetime.now(UTC)
    open_calls = [c for c in await Call.objects() if c.status != "draft" and call_state(c, now) == "open"]
    assert open_calls
    for call in open_calls:
        assert await FaqEntry.count().where(FaqEntry.call == call.id) == 2
        page = await client.get(f"/calls/{call.slug}")
        assert "Un établissement de santé privé peut-il candidater ?" in page.text
    assert await Enquiry.count().where(Enquiry.state == "open") >= 1
