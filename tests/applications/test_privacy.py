"""Who sees what: pages, API and attachment URLs over every role; hidden means 404."""

import pytest

from registry.applications.attachments import add_attachment
from registry.applications.service import invite_co_applicant
from tests.applications.helpers import actor, draft, open_call, people_by_role
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ["anonymous", "other_applicant", "owner", "co_applicant", "reviewer", "manager", "admin"]
# (page status, API status) per role; anonymous pages redirect to the login form.
SEES = {"owner", "co_applicant", "manager", "admin"}


@pytest.fixture
async def world(make_user, settings):
    people = await people_by_role(make_user)
    await open_call(people["manager"])
    application = await draft(people["owner"])
    owner = await actor(people["owner"])
    await invite_co_applicant(application.id, "co@example.org", actor=owner)
    attachment = await add_attachment(application.id, filename="annexe.pdf", content=PDF, actor=owner,
                                      var_dir=settings.var_dir, max_bytes=settings.attachment_max_bytes)
    return people, application, attachment


@pytest.mark.parametrize("role", ROLES)
async def test_application_visibility_matrix(client, api_token, world, role):
    people, application, attachment = world
    headers = {} if role == "anonymous" else await api_token(people[role])
    api = await client.get(f"/api/v1/applications/{application.id}", headers=headers)
    api_file = await client.get(f"/api/v1/applications/{application.id}/attachments/{attachment.id}",
                                headers=headers)
    listing = await client.get("/api/v1/applications", headers=headers)
    patch = await client.patch(f"/api/v1/applications/{application.id}", json={"title": "piraté"}, headers=headers)
    if role == "anonymous":
        assert (api.status_code, api_file.status_code, listing.status_code, patch.status_code) == (401, 401, 401, 401)
    elif role in SEES:
        assert api.status_code == 200 and api.json()["title"] == "Pseudonymisation de comptes rendus"
        assert api_file.status_code == 200 and api_file.content == PDF
        assert [item["id"] for item in listing.json()["items"]] == [application.id]
        assert patch.status_code == (200 if role in {"owner", "co_applicant"} else 403)
    else:
        assert api.status_code == 404 and api.json()["detail"] == "Candidature introuvable."
        assert api_file.status_code == 404
        assert listing.json() == {"items": [], "total": 0, "page": 1, "per_page": 20}
        assert patch.status_code == 404
    if role != "anonymous":
        await login(client, people[role].email)
    page = await client.get(f"/applications/{application.id}", follow_redirects=False)
    page_file = await client.get(f"/applications/{application.id}/attachments/{attachment.id}",
                                 follow_redirects=False)
    if role == "anonymous":
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        assert page_file.status_code == 303
    elif role in SEES:
        title = "piraté" if role in {"owner", "co_applicant"} else "Pseudonymisation de comptes rendus"
        assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
        assert page_file.content == PDF and page_file.headers["content-type"] == "application/pdf"
    else:
        assert page.status_code == 404 and "Pseudonymisation" not in page.text
        assert page_file.status_code == 404
    mine = await client.get("/applications", follow_redirects=False)
    if role in {"owner", "co_applicant"}:
        assert f'id="application-{application.id}"' in mine.text
    elif role != "anonymous":
        assert f'id="application-{application.id}"' not in mine.text
    if role not in {"owner", "co_applicant"}:
        from registry.applications.tables import Application

        stored = await Application.objects().get(Application.id == application.id)
        assert stored.title == "Pseudonymisation de comptes rendus"


async def test_guessing_ids_gives_404_for_absent_and_foreign_alike(client, api_token, world):
    people, application, attachment = world
    headers = await api_token(people["other_applicant"])
    from registry.applications.tables import Application

    answers = []
    for url in (f"/api/v1/applications/{application.id}", f"/api/v1/applications/{application.id + 999}"):
        response = await client.get(url, headers=headers)
        answers.append((response.status_code, response.json()))
    # Someone else's application and one that does not exist get the very same answer.
    assert answers[0] == answers[1] and answers[0][0] == 404
    missing = await client.get(f"/api/v1/applications/{application.id}/attachments/{attachment.id + 999}",
                               headers=headers)
    assert missing.status_code == 404
    submit = await client.post(f"/api/v1/applications/{application.id}/submit", headers=headers)
    withdraw = await client.post(f"/api/v1/applications/{application.id}/withdraw", headers=headers)
    assert (submit.status_code, withdraw.status_code) == (404, 404)
    stored = await Application.select(Application.state).where(Application.id == application.id).first()
    assert stored["state"] == application.state


async def test_public_call_page_never_shows_applications(client, world):
    _, application, _ = world
    listing = await client.get("/calls")
    detail = await client.get("/calls/ami-test")
    assert detail.status_code == 200 and "Pseudonymisation" not in detail.text
    assert "Pseudonymisation" not in listing.text
    assert 'href="/calls/ami-test/apply"' in detail.text
