"""Progress reports: request → draft → submit → ask for more → resubmit → accept → publish, with the mails
through a real SMTP server, reminders once each, permissions, the public block, pages in both languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import csrf_from, http_client, login

pytestmark = pytest.mark.asyncio


@pytest.fixture
def inbox(smtp_server):
    return smtp_server


@dataclasses.dataclass
class Team:
    manager: object
    lead: object
    co: object
    outsider: object
    project: object


@pytest.fixture
async def team(make_user):
    from registry.applications.tables import Application, CoApplicant
    from registry.calls.tables import Call
    from registry.projects.tables import Project

    manager = await make_user("manager", email="gestion@hdh.fr", name="Luc Gestionnaire")
    lead = await make_user("applicant", email="porteuse@chu.fr", name="Camille Porteuse")
    co = await make_user("applicant", email="co@chu.fr", name="Noé Coporteur")
    outsider = await make_user("applicant", email="autre@ailleurs.fr", name="Autre Personne")
    now = datetime.now(UTC)
    call = Call(slug="ami-suivi", title_fr="AMI suivi", budget_total=100_000, amount_min=1000, amount_max=80_000,
                opens_at=now - timedelta(days=200), closes_at=now - timedelta(days=150), status="decided",
                published_at=now - timedelta(days=201))
    await call.save()
    application = Application(call=call.id, owner=lead.id, state="funded", title="Outil", public_title="Outil public")
    await application.save()
    await CoApplicant(application=application.id, email="co@chu.fr").save()
    project = Project(slug="outil-public", title="Outil", public_title="Outil public", call=call.id,
                      application_id=application.id, amount_granted=50_000, decided_at=now - timedelta(days=100))
    await project.save()
    try:  # the team area, when present, records the members itself
        from registry.team import members as team_members  # noqa: F401
    except ImportError:
        pass
    return Team(manager, lead, co, outsider, project)


async def _client_for(app, email: str):
    client = http_client(app)
    await client.__aenter__()
    response = await login(client, email)
    assert "/login" not in str(response.url), response.text[:500]
    return client


async def _form(client, page_url: str, action: str, data: dict):
    page = await client.get(page_url)
    assert page.status_code == 200, page.text[:500]
    return await client.post(action, data={**data, "_csrf_token": csrf_from(page.text)})


async def test_full_cycle_through_pages_and_api_with_mails(settings, app_factory, api_token, team, inbox):
    from registry.audit.tables import AuditEntry
    from registry.reports.tables import Report

    url, box = inbox
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    manager_headers = await api_token(team.manager)
    lead_headers = await api_token(team.lead)
    async with http_client(app) as api:
        due = (date.today() + timedelta(days=30)).isoformat()
        # The manager requests a report through the API: 201 {id, state}; each member is mailed.
        created = await api.post("/api/v1/projects/outil-public/reports", headers=manager_headers,
                                 json={"due_on": due, "period": "Premier semestre"})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["state"] == "requested" and body["due_on"] == due
        report_id = body["id"]
        await box.settle(2)
        assert box.to("porteuse@chu.fr") == ["Rapport d’avancement demandé — Outil public"]
        assert box.to("co@chu.fr") == ["Rapport d’avancement demandé — Outil public"]

        # Draft (autosave path), then a submission with an empty summary is refused, naming the field.
        saved = await api.put(f"/api/v1/reports/{report_id}", headers=lead_headers,
                              json={"achievements": "Version 0.9", "submit": False})
        assert saved.status_code == 200 and saved.json()["state"] == "draft"
        refused = await api.put(f"/api/v1/reports/{report_id}", headers=lead_headers,
                                json={"achievements": "Version 0.9", "submit": True})
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["summary"]
        assert (await Report.objects().get(Report.id == report_id)).state == "draft"

    # The lead submits on the page, through the confirmation step.
    lead = await _client_for(app, "porteuse@chu.fr")
    try:
        data = {"summary": "Bilan du semestre", "achievements": "Version 1.0", "difficulties": "",
                "next_steps": "OMOP", "data_ethics": ""}
        asked = await _form(lead, f"/reports/{report_id}", f"/reports/{report_id}", {**data, "action": "submit"})
        assert asked.status_code == 200 and 'name="confirm"' in asked.text
        assert (await Report.objects().get(Report.id == report_id)).state == "draft"
        done = await lead.post(f"/reports/{report_id}", data={**data, "action": "submit", "confirm": "1",
                                                               "_csrf_token": csrf_from(asked.text)})
        assert done.status_code == 200 and "Rapport remis" in done.text
    finally:
        await lead.__aexit__(None, None, None)
    await box.settle(3)
    assert box.to("gestion@hdh.fr") == ["Rapport d’avancement remis — Outil public"]

    manager = await _client_for(app, "gestion@hdh.fr")
    try:
        # Asking for more without a message: the form comes back with the message beside the field.
        empty = await _form(manager, f"/manage/reports/{report_id}", f"/manage/reports/{report_id}/more",
                            {"message": " "})
        assert empty.status_code == 422 and 'id="error-message"' in empty.text and 'href="#field-message"' in empty.text
        first = await _form(manager, f"/manage/reports/{report_id}", f"/manage/reports/{report_id}/more",
                            {"message": "Précisez le calendrier."})
        assert first.status_code == 200 and 'name="confirm"' in first.text
        more = await manager.post(f"/manage/reports/{report_id}/more", data={
            "message": "Précisez le calendrier.", "confirm": "1", "_csrf_token": csrf_from(first.text)})
        assert more.status_code == 200 and "Compléments demandés" in more.text
    finally:
        await manager.__aexit__(None, None, None)
    report = await Report.objects().get(Report.id == report_id)
    assert report.state == "more_requested" and report.feedback == "Précisez le calendrier."
    await box.settle(5)
    assert box.to("co@chu.fr")[-1] == "Compléments demandés sur votre rapport d’avancement — Outil public"

    async with http_client(app) as api:
        again = await api.put(f"/api/v1/reports/{report_id}", headers=lead_headers,
                              json={"summary": "Bilan complété", "next_steps": "OMOP en mars", "submit": True})
        assert again.status_code == 200 and again.json()["state"] == "submitted"
        # Anonymous visitors see that a report was received, not its content.
        public = await api.get("/projects/outil-public")
        assert "Rapports d’avancement" in public.text and "Premier semestre" in public.text
        assert "Bilan complété" not in public.text
        accepted = await api.post(f"/api/v1/reports/{report_id}/decision", headers=manager_headers,
                                  json={"accept": True, "message": "Merci."})
        assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
        assert "Bilan complété" not in (await api.get("/projects/outil-public")).text
        # Publishing twice is harmless; the content then shows on the public page.
        for _ in range(2):
            published = await api.post(f"/api/v1/reports/{report_id}/publish", headers=manager_headers)
            assert published.status_code == 200 and published.json()["published"] is True
        page = await api.get("/projects/outil-public")
        assert "Bilan complété" in page.text and "OMOP en mars" in page.text
        # Once accepted, the members cannot change it any more.
        late = await api.put(f"/api/v1/reports/{report_id}", headers=lead_headers, json={"summary": "x"})
        assert late.status_code == 409 and late.json()["detail"]
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.object_type == "report").order_by(AuditEntry.id)]
    assert actions == ["report.requested", "report.submitted", "report.more_requested", "report.submitted",
                       "report.accepted", "report.published"]
    await box.settle(8)
    assert box.to("porteuse@chu.fr")[-1] == "Rapport d’avancement accepté — Outil public"


async def test_permissions_and_validation(client, api_token, team):
    outsider = await api_token(team.outsider)
    lead = await api_token(team.lead)
    manager = await api_token(team.manager)
    anonymous = await client.get("/api/v1/projects/outil-public/reports")
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    forbidden = await client.get("/api/v1/projects/outil-public/reports", headers=outsider)
    assert forbidden.status_code == 403 and forbidden.json()["detail"]
    # Only managers request reports, and the request names every bad field.
    refused = await client.post("/api/v1/projects/outil-public/reports", headers=lead,
                                json={"due_on": "2027-01-01", "period": "S1"})
    assert refused.status_code == 403 and "detail" in refused.json()
    bad = await client.post("/api/v1/projects/outil-public/reports", headers=manager,
                            json={"due_on": "demain", "period": ""})
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["due_on", "period"]
    missing = await client.post("/api/v1/projects/nulle-part/reports", headers=manager,
                                json={"due_on": "2027-01-01", "period": "S1"})
    assert missing.status_code == 404 and "detail" in missing.json()
    from registry.reports.tables import Report
    assert await Report.count() == 0  # none of the refused requests made a report
    created = await client.post("/api/v1/projects/outil-public/reports", headers=manager,
                                json={"due_on": "2027-01-01", "period": "S1"})
    report_id = created.json()["id"]
    assert (await client.put(f"/api/v1/reports/{report_id}", headers=outsider,
                             json={"summary": "intrus"})).status_code == 403
    typed = await client.put(f"/api/v1/reports/{report_id}", headers=lead, json={"summary": 12})
    assert typed.status_code == 422 and typed.json()["errors"][0]["field"] == "summary"
    listed = await client.get("/api/v1/projects/outil-public/reports", headers=lead)
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert listed.json()["items"][0]["period"] == "S1"
    # The pages: anonymous → login, outsider → 403 page, not the content.
    page = await client.get(f"/reports/{report_id}")
    assert "/login" in str(page.url)
    assert (await client.get("/manage/reports")).url.path == "/login"


async def test_reminders_are_sent_once_each_and_late(settings, app_factory, api_token, team, inbox):
    from registry.outbox.tables import OutboxMessage
    from registry.reports.reminders import send_report_reminders
    from registry.reports.tables import Report

    url, box = inbox
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    headers = await api_token(team.manager)
    now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    async with http_client(app) as api:
        created = await api.post("/api/v1/projects/outil-public/reports", headers=headers,
                                 json={"due_on": "2027-03-08", "period": "S1"})
        report_id = created.json()["id"]
    assert await send_report_reminders(now=now - timedelta(days=1)) == 0  # 8 days before: nothing yet
    assert await send_report_reminders(now=now) == 1  # 7 days before
    assert await send_report_reminders(now=now + timedelta(hours=5)) == 0  # never twice
    assert await send_report_reminders(now=now + timedelta(days=6)) == 1  # the day before
    assert await send_report_reminders(now=now + timedelta(days=6, hours=3)) == 0
    assert await send_report_reminders(now=now + timedelta(days=8)) == 1  # late
    assert await send_report_reminders(now=now + timedelta(days=9)) == 0
    subjects = [r["subject"] for r in await OutboxMessage.select(OutboxMessage.subject).where(
        (OutboxMessage.template == "report_reminder") & (OutboxMessage.recipient == "porteuse@chu.fr")
    ).order_by(OutboxMessage.id)]
    assert subjects == ["Rappel : rapport d’avancement à remettre dans 7 jours — Outil public",
                        "Rappel : rapport d’avancement à remettre demain — Outil public",
                        "Rapport d’avancement en retard — Outil public"]
    # A submitted report is never reminded.
    await Report.update({Report.state: "submitted", Report.reminded_late_at: None}).where(Report.id == report_id)
    assert await send_report_reminders(now=now + timedelta(days=10)) == 0


async def test_schedule_requests_reports_once(settings, app_factory, team, make_user):
    from registry.reports.reminders import add_months, paris_day, run_schedules
    from registry.reports.tables import Report, ReportSchedule

    app_factory(settings)  # configures the outbox for the scheduled mails
    await ReportSchedule(call=team.project.call, every_months=3, lead_days=30,
                         created_at=datetime.now(UTC) - timedelta(days=1)).save()
    released = paris_day(team.project.decided_at)
    end = add_months(released, 6)
    # Periods that ended before the schedule existed are not requested; the next one is, once.
    now = datetime.combine(end - timedelta(days=29), datetime.min.time(), UTC) + timedelta(hours=12)
    assert await run_schedules(now=now) == 1
    assert await run_schedules(now=now) == 0
    [report] = await Report.objects()
    assert report.schedule_period == 2 and report.due_on == end and report.state == "requested"


async def test_schedule_and_request_forms_redisplay_with_errors(settings, app_factory, team):
    app = app_factory(settings)
    manager = await _client_for(app, "gestion@hdh.fr")
    try:
        bad = await _form(manager, "/manage/reports/schedules/ami-suivi", "/manage/reports/schedules/ami-suivi",
                          {"every_months": "0", "lead_days": "abc", "active": "on"})
        assert bad.status_code == 422 and 'id="error-every_months"' in bad.text and 'value="abc"' in bad.text
        good = await _form(manager, "/manage/reports/schedules/ami-suivi", "/manage/reports/schedules/ami-suivi",
                           {"every_months": "6", "lead_days": "20", "active": "on"})
        assert good.status_code == 200 and "Le calendrier des rapports" in good.text
        missing = await _form(manager, "/manage/reports/new", "/manage/reports/new",
                              {"project": "outil-public", "period": "S2", "due_on": "", "note": "Merci"})
        assert missing.status_code == 422 and 'href="#field-due_on"' in missing.text and "Merci" in missing.text
        made = await _form(manager, "/manage/reports/new?project=outil-public", "/manage/reports/new",
                           {"project": "outil-public", "period": "S2", "due_on": "2027-06-30"})
        assert made.status_code == 200 and re.search(r"/manage/reports/\d+$", str(made.url))
        listing = await manager.get("/manage/reports")
        assert "Outil public" in listing.text and "S2" in listing.text
    finally:
        await manager.__aexit__(None, None, None)


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_pages_in_both_languages(settings, app_factory, api_token, team, lang):
    from tests.app.test_english_pages import untranslated_french

    app = app_factory(settings)
    headers = await api_token(team.manager)
    async with http_client(app) as api:
        created = await api.post("/api/v1/projects/outil-public/reports", headers=headers,
                                 json={"due_on": "2020-01-01", "period": "S1", "note": "Détaillez les versions."})
        report_id = created.json()["id"]
    pages = {"porteuse@chu.fr": [f"/reports/{report_id}", "/projects/outil-public/reports", "/projects/outil-public"],
             "gestion@hdh.fr": ["/manage/reports", f"/manage/reports/{report_id}", "/manage/reports/new",
                                "/manage/reports/schedules/ami-suivi", "/projects/outil-public/reports"]}
    for email, urls in pages.items():
        client = await _client_for(app, email)
        try:
            for url in urls:
                response = await client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
                assert response.status_code == 200, (url, response.text[:300])
                assert re.search(r"<title>\s*\S", response.text), url
                if lang == "en":
                    assert untranslated_french(response.text) == [], (url, untranslated_french(response.text))
                    assert "Progress report" in response.text or "progress report" in response.text, url
        finally:
            await client.__aexit__(None, None, None)
    outsider = await _client_for(app, "autre@ailleurs.fr")
    try:
        refused = await outsider.get(f"/reports/{report_id}?lang={lang}")
        assert refused.status_code == 403 and "Détaillez" not in refused.text
    finally:
        await outsider.__aexit__(None, None, None)


async def test_demo_has_a_report_in_every_state(full_demo, client):
    from registry.reports.demo import load_demo_reports
    from registry.reports.tables import Report

    rows = await Report.select(Report.state, Report.published, Report.project.slug)
    assert {r["state"] for r in rows} >= {"requested", "draft", "submitted", "accepted", "more_requested"}
    await load_demo_reports()  # idempotent
    assert await Report.count() == len(rows)
    published = next(r for r in rows if r["published"])
    page = await client.get(f"/projects/{published['project.slug']}")
    assert "Rapports d’avancement" in page.text and "Première version publiée" in page.text
    hidden = next(r for r in rows if r["state"] == "submitted")
    other = await client.get(f"/projects/{hidden['project.slug']}")
    assert "reçu le" in other.text and "Première version publiée" not in other.text
