"""A funded project's team: release makes members, invitation mail through a real SMTP server and
acceptance, removal (last lead refused), public edits by PATCH (member/manager/outsider/anonymous) and
their public history, pages in both languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import csrf_from, http_client, login
from tests.followup.test_reports import inbox  # noqa: F401 - the real SMTP server fixture

pytestmark = pytest.mark.asyncio


@dataclasses.dataclass
class World:
    manager: object
    lead: object
    co: object
    outsider: object
    call: object
    application: object


@pytest.fixture
async def world(make_user):
    from registry.applications.tables import Application, CoApplicant
    from registry.calls.tables import Call
    from registry.reviews.tables import Decision

    manager = await make_user("manager", email="gestion@hdh.fr", name="Luc Gestionnaire")
    lead = await make_user("applicant", email="porteuse@chu.fr", name="Camille Porteuse", organisation="CHU")
    co = await make_user("applicant", email="co@chu.fr", name="Noé Coporteur")
    outsider = await make_user("applicant", email="autre@ailleurs.fr", name="Autre Personne")
    now = datetime.now(UTC)
    call = Call(slug="ami-equipe", title_fr="AMI équipe", budget_total=100_000, amount_min=1000, amount_max=80_000,
                opens_at=now - timedelta(days=200), closes_at=now - timedelta(days=150), status="in_review",
                published_at=now - timedelta(days=201))
    await call.save()
    application = Application(call=call.id, owner=lead.id, state="under_review", title="Outil",
                              public_title="Outil public", public_summary="Résumé", org_name="CHU")
    await application.save()
    await CoApplicant(application=application.id, email="co@chu.fr").save()
    await CoApplicant(application=application.id, email="nouvelle@labo.fr").save()
    await Decision(application=application.id, call=call.id, outcome="funded", amount=40_000,
                   reason="Bien.", prepared_by=manager.id).save()
    return World(manager, lead, co, outsider, call, application)


def _actor(user, *roles):
    from registry.accounts.permissions import Actor

    return Actor(id=user.id, email=user.email, name=user.name, roles=frozenset(roles))


async def _release(world):
    from registry.projects.tables import Project
    from registry.reviews.decisions import release_decisions

    await release_decisions("ami-equipe", actor=_actor(world.manager, "manager"))
    return await Project.objects().where(Project.application_id == world.application.id).first()


async def _logged(app, email):
    client = http_client(app)
    await client.__aenter__()
    response = await login(client, email)
    assert "/login" not in str(response.url), response.text[:300]
    return client


async def test_release_makes_members_and_invites_the_others(settings, app_factory, world, inbox):  # noqa: F811
    from registry.team.members import members_of, public_members
    from registry.team.tables import TeamInvitation

    url, box = inbox
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    project = await _release(world)
    members = await members_of(project.id)
    assert [(m["name"], m["role"]) for m in members] == [("Camille Porteuse", "lead"), ("Noé Coporteur", "member")]
    assert await public_members(project.id) == [
        {"name": "Camille Porteuse", "role": "lead", "organisation": "CHU"},
        {"name": "Noé Coporteur", "role": "member", "organisation": ""}]
    invitation = await TeamInvitation.objects().where(TeamInvitation.email == "nouvelle@labo.fr").first()
    assert invitation is not None and invitation.accepted_at is None
    await box.settle(1)
    assert box.to("nouvelle@labo.fr") == ["Invitation à rejoindre l’équipe d’un projet financé — Outil public"]
    # The public API shows public names only, never addresses.
    async with http_client(app) as client:
        body = (await client.get(f"/api/v1/projects/{project.slug}")).json()
    assert body["members"] == [{"name": "Camille Porteuse", "role": "lead", "organisation": "CHU"},
                               {"name": "Noé Coporteur", "role": "member", "organisation": ""}]
    assert "@" not in str(body["members"])


async def test_invite_by_mail_accept_remove_and_last_lead(settings, app_factory, world, inbox, make_user):  # noqa: F811
    from registry.audit.tables import AuditEntry
    from registry.team.members import member_role

    url, box = inbox
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    project = await _release(world)
    slug = project.slug
    lead = await _logged(app, "porteuse@chu.fr")
    try:
        page = await lead.get(f"/projects/{slug}/team")
        assert "Noé Coporteur" in page.text and "nouvelle@labo.fr" in page.text
        bad = await lead.post(f"/projects/{slug}/team/invite",
                              data={"email": "pas-une-adresse", "role": "member", "_csrf_token": csrf_from(page.text)})
        assert bad.status_code == 422 and 'href="#field-email"' in bad.text and 'value="pas-une-adresse"' in bad.text
        sent = await lead.post(f"/projects/{slug}/team/invite",
                               data={"email": "Invitee@Example.org", "role": "member",
                                     "_csrf_token": csrf_from(page.text)})
        assert sent.status_code == 200 and "Invitation envoyée" in sent.text and "invitee@example.org" in sent.text
        await box.settle(2)
        mail = [m for m in box.messages if m["To"] == "invitee@example.org"][0]
        link = re.search(r"(/team/invitations/[\w-]+)", mail.get_content()).group(1)
        # Someone else cannot use it; the invited person can, once; then it is spent.
        other = await _logged(app, "autre@ailleurs.fr")
        try:
            landing = await other.get(link)
            refused = await other.post(link, data={"_csrf_token": csrf_from(landing.text)})
            assert refused.status_code == 403 and "autre adresse" in refused.text
        finally:
            await other.__aexit__(None, None, None)
        invitee = await make_user("applicant", email="invitee@example.org", name="Ines Invitée")
        guest = await _logged(app, "invitee@example.org")
        try:
            landing = await guest.get(link)
            joined = await guest.post(link, data={"_csrf_token": csrf_from(landing.text)})
            assert joined.status_code == 200 and "Ines Invitée" in joined.text
            assert await member_role(project.id, invitee.id) == "member"
            again = await guest.get(link)
            assert again.status_code == 410
            mine = await guest.get("/account/projects")
            assert f'href="/projects/{slug}/team"' in mine.text
        finally:
            await guest.__aexit__(None, None, None)
        # Removal goes through a confirmation; the last lead can neither be removed nor leave.
        ask = await lead.post(f"/projects/{slug}/team/members/{invitee.id}/remove",
                              data={"_csrf_token": csrf_from(page.text)})
        assert "Ines Invitée ne pourra plus" in ask.text and await member_role(project.id, invitee.id) == "member"
        done = await lead.post(f"/projects/{slug}/team/members/{invitee.id}/remove",
                               data={"confirm": "1", "_csrf_token": csrf_from(page.text)})
        assert done.status_code == 200 and await member_role(project.id, invitee.id) is None
        last = await lead.post(f"/projects/{slug}/team/members/{world.lead.id}/remove",
                               data={"confirm": "1", "_csrf_token": csrf_from(page.text)})
        assert last.status_code == 409 and "dernier responsable" in last.text
        assert await member_role(project.id, world.lead.id) == "lead"
    finally:
        await lead.__aexit__(None, None, None)
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "project") & (AuditEntry.object_id == str(project.id)))]
    assert actions.count("team.member_added") == 3 and "team.member_removed" in actions
    assert actions.count("team.invited") == 2


async def test_patch_permissions_validation_and_public_history(settings, app_factory, world, api_token):
    app = app_factory(settings)
    project = await _release(world)
    slug = project.slug
    async with http_client(app) as client:
        anonymous = await client.patch(f"/api/v1/projects/{slug}", json={"public_title": "X"})
        assert anonymous.status_code == 401 and "detail" in anonymous.json()
        outsider = await client.patch(f"/api/v1/projects/{slug}", json={"public_title": "X"},
                                      headers=await api_token(world.outsider))
        assert outsider.status_code == 403 and "detail" in outsider.json()
        bad = await client.patch(f"/api/v1/projects/{slug}", headers=await api_token(world.co),
                                 json={"public_title": "", "repositories": ["http://insecure.example/x"]})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {"public_title", "repositories"}
        done = await client.patch(f"/api/v1/projects/{slug}", headers=await api_token(world.co),
                                  json={"public_title": "Outil clair", "team": [{"name": "Noé C.", "role": "dev"}]})
        assert done.status_code == 200 and done.json()["public_title"] == "Outil clair"
        assert done.json()["team"][0]["name"] == "Noé C."
        managed = await client.patch(f"/api/v1/projects/{slug}", headers=await api_token(world.manager),
                                     json={"public_summary": "Résumé revu"})
        assert managed.status_code == 200 and managed.json()["public_summary"] == "Résumé revu"
        history = await client.get(f"/projects/{slug}/history")
        assert history.status_code == 200
        text = history.text
        assert text.index("Luc Gestionnaire") < text.index("Noé Coporteur")  # newest first
        assert "<del>Outil public</del>" in text and "<ins>Outil clair</ins>" in text
        english = await client.get(f"/projects/{slug}/history", headers={"Accept-Language": "en"},
                                   params={"lang": "en"})
        assert english.status_code == 200 and "Public history" in english.text
        page = await client.get(f"/projects/{slug}")
        assert f'href="/projects/{slug}/history"' in page.text and f'href="/projects/{slug}/edit"' not in page.text


async def test_edit_page_redisplays_errors_and_saves(settings, app_factory, world):
    app = app_factory(settings)
    project = await _release(world)
    slug = project.slug
    member = await _logged(app, "co@chu.fr")
    try:
        home = await member.get(f"/projects/{slug}")
        assert f'href="/projects/{slug}/edit"' in home.text and f'href="/projects/{slug}/team"' in home.text
        form = await member.get(f"/projects/{slug}/edit")
        data = {"public_title": "", "public_summary": "Mon résumé gardé", "description": "D",
                "team": "Noé ; dev ; CHU", "repositories": "", "_csrf_token": csrf_from(form.text)}
        bad = await member.post(f"/projects/{slug}/edit", data=data)
        assert bad.status_code == 422 and 'href="#field-public_title"' in bad.text
        assert "Mon résumé gardé" in bad.text and 'aria-invalid="true"' in bad.text
        saved = await member.post(f"/projects/{slug}/edit", data={**data, "public_title": "Titre neuf"})
        assert saved.status_code == 200 and "<h1>Titre neuf</h1>" in saved.text
        english = await member.get(f"/projects/{slug}/edit?lang=en")
        assert english.status_code == 200
    finally:
        await member.__aexit__(None, None, None)
    outsider = await _logged(app, "autre@ailleurs.fr")
    try:
        assert (await outsider.get(f"/projects/{slug}/edit")).status_code == 403
        assert (await outsider.get(f"/projects/{slug}/team")).status_code == 403
    finally:
        await outsider.__aexit__(None, None, None)
