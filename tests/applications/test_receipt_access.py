"""The receipt page is the applicants' own: owner, co-applicants and staff; everyone else gets the 404 of a
missing application (an assigned reviewer of a non-blind call included, who may read the application)."""

from __future__ import annotations

import pytest

from registry.applications.service import invite_co_applicant
from registry.applications.submission import submit_application
from registry.reviews.tables import Assignment
from tests.conftest import login

from .helpers import actor, draft, open_call, people_by_role

ROLES = ["anonymous", "other_applicant", "reviewer", "other_reviewer", "owner", "co_applicant", "manager", "admin"]
SEES = {"owner", "co_applicant", "manager", "admin"}


@pytest.fixture
async def world(make_user):
    people = await people_by_role(make_user, other_reviewer=True)
    call = await open_call(people["manager"])
    assert call.blind is False
    application = await draft(people["owner"])
    owner = await actor(people["owner"])
    await invite_co_applicant(application.id, "co@example.org", actor=owner)
    receipt = await submit_application(application.id, actor=owner)
    # An assigned reviewer who declared no conflict: the applications area is open to them (non-blind call).
    await Assignment(application=application.id, call=call.id, reviewer=people["reviewer"].id,
                     state="no_conflict", confidentiality_attested=True).save()
    return people, application, receipt


@pytest.mark.parametrize("role", ROLES)
async def test_receipt_page_by_role(client, api_token, world, role):
    people, application, receipt = world
    if role != "anonymous":
        await login(client, people[role].email)
    page = await client.get(f"/applications/{application.id}/receipt", follow_redirects=False)
    missing = await client.get("/applications/999999/receipt", follow_redirects=False)
    if role == "anonymous":
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        return
    if role in SEES:
        assert page.status_code == 200
        assert f'<code id="receipt-sha256">{receipt.sha256}</code>' in page.text
        assert '<dd id="receipt-version">1</dd>' in page.text
    else:
        assert page.status_code == missing.status_code == 404
        assert "Candidature introuvable." in page.text
        # nothing tells a hidden receipt from a missing application (but the page's own links)
        assert page.text.replace(f"/applications/{application.id}/", "/applications/999999/") == missing.text
        assert receipt.sha256 not in page.text and "Pseudonymisation" not in page.text
    api = await client.get(f"/api/v1/applications/{application.id}", headers=await api_token(people[role]))
    if role in SEES:
        assert api.json()["receipt"]["sha256"] == receipt.sha256
    elif role == "reviewer":  # reads the application, not the applicant's receipt
        assert api.status_code == 200 and api.json()["title"] == "Pseudonymisation de comptes rendus"
        assert api.json()["receipt"] is None
    else:
        assert api.status_code == 404
