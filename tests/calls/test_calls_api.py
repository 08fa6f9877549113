from datetime import UTC, datetime, timedelta

from tests.applications.helpers import open_call

BODY = {
    "slug": "ami-2030", "title": "AMI 2030", "description": "Texte", "budget_total": 500000, "amount_min": 10000,
    "amount_max": 100000, "opens_at": "2030-01-10T09:00", "closes_at": "2030-03-31T12:00", "blind": True,
    "reviews_per_application": 3,
    "criteria": [{"name": "Valeur publique", "weight": 70, "scale_max": 4, "description": "d"},
                 {"name": "Budget", "weight": 30, "scale_max": 4, "eliminatory_below": 1}],
}


async def test_manager_creates_then_publishes_call(client, make_user, api_token):
    manager = await make_user("manager")
    headers = await api_token(manager)
    created = await client.post("/api/v1/calls", json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    call = created.json()
    assert (call["state"], call["opens_at"], call["closes_at"]) == (
        "draft", "2030-01-10T09:00:00+01:00", "2030-03-31T12:00:00+02:00")
    assert [(c["name"], c["weight"], c["eliminatory_below"]) for c in call["criteria"]] == [
        ("Valeur publique", 70, None), ("Budget", 30, 1.0)]
    assert "EUPL-1.2" in call["licence_policy"] and len(call["licence_policy"]) == 15
    assert (await client.get("/api/v1/calls/ami-2030")).status_code == 404
    assert (await client.get("/api/v1/calls")).json() == {"items": [], "total": 0, "page": 1, "per_page": 20}
    published = await client.post("/api/v1/calls/ami-2030/publish", headers=headers)
    assert published.json()["state"] == "upcoming"
    public = (await client.get("/api/v1/calls/ami-2030")).json()
    assert public["state"] == "upcoming" and public["title"] == "AMI 2030"
    again = await client.post("/api/v1/calls/ami-2030/publish", headers=headers)
    assert again.status_code == 409


async def test_applicant_cannot_create_call_and_anonymous_gets_401(client, make_user, api_token):
    from registry.calls.tables import Call

    applicant = await make_user("applicant")
    forbidden = await client.post("/api/v1/calls", json=BODY, headers=await api_token(applicant))
    assert (forbidden.status_code, forbidden.json()["errors"]) == (403, [])
    anonymous = await client.post("/api/v1/calls", json=BODY)
    assert (anonymous.status_code, anonymous.json()) == (401, {"detail": "Authentification requise.", "errors": []})
    assert await Call.count() == 0


async def test_open_and_closed_follow_the_dates(client, make_user):
    manager = await make_user("manager")
    now = datetime.now(UTC)
    await open_call(manager, slug="ouvert")
    await open_call(manager, slug="clos", opens_at=now - timedelta(days=9), closes_at=now - timedelta(seconds=1))
    await open_call(manager, slug="brouillon", publish=False)
    items = (await client.get("/api/v1/calls?per_page=100")).json()["items"]
    assert sorted((i["slug"], i["state"]) for i in items) == [("clos", "closed"), ("ouvert", "open")]
    page = await client.get("/calls")
    assert 'id="call-ouvert"' in page.text and 'id="call-clos"' in page.text and "brouillon" not in page.text
    assert (await client.get("/api/v1/calls?per_page=101")).status_code == 422


async def test_manager_page_counts_drafts_and_submissions(client, make_user):
    from registry.applications.submission import submit_application
    from tests.applications.helpers import actor, draft
    from tests.conftest import login

    manager = await make_user("manager", email="m@example.org")
    owner = await make_user("applicant")
    await open_call(manager)
    await draft(owner)
    done = await draft(owner)
    await submit_application(done.id, actor=await actor(owner))
    await login(client, "m@example.org")
    page = await client.get("/manage/calls/ami-test")
    assert '<dd id="count-draft">1</dd>' in page.text and '<dd id="count-submitted">1</dd>' in page.text
