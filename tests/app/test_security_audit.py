"""Findings of the outside security audit, each through real HTTP on the engine under test."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from litestar import get
from litestar.middleware.csrf import generate_csrf_token

from registry.accounts.service import (
    check_email,
    create_api_token,
    issue_email_token,
    start_password_reset,
)
from registry.accounts.tables import ApiToken, EmailToken, RateLimitHit, Session, User
from registry.applications.tables import CoApplicant
from registry.errors import InvalidInput
from tests.applications.helpers import draft, open_call
from tests.conftest import PASSWORD, csrf_from, login, post_form

WRONG = "not the right password"  # noqa: S105


def client_from(app, address: str) -> httpx.AsyncClient:
    """Like tests.conftest.http_client, from another client address."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False,
                                                           client=(address, 50000)),
                             base_url="http://testserver.local", follow_redirects=True)


# 1. Login rate limits ---------------------------------------------------------------------


async def test_concurrent_wrong_logins_evaluate_exactly_the_limit(app, client, make_user, settings):
    await make_user("applicant", email="owner@example.org")
    form = await client.get("/login")
    token = csrf_from(form.text)

    async def attempt():
        return await client.post("/login", data={"email": "owner@example.org", "password": WRONG,
                                                 "_csrf_token": token})

    responses = await asyncio.gather(*[attempt() for _ in range(12)])
    statuses = sorted(r.status_code for r in responses)
    assert settings.login_attempts_per_account == 5
    assert statuses == [422] * 5 + [429] * 7
    for response in responses:
        if response.status_code == 422:
            assert "Adresse électronique ou mot de passe incorrect." in response.text
        else:
            assert "Trop de tentatives de connexion" in response.text
            assert 1 <= int(response.headers["retry-after"]) <= settings.rate_limit_window_seconds
    # Only the five evaluated attempts were counted (the refused ones took no place).
    assert await RateLimitHit.count().where(
        RateLimitHit.key == "login:account-client:owner@example.org|127.0.0.1") == 5

    # Even the right password now waits, from this address, with Retry-After on the page.
    blocked = await login(client, "owner@example.org")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= settings.rate_limit_window_seconds
    assert "ami_session" not in client.cookies

    # The owner, from another address, is not locked out.
    async with client_from(app, "192.0.2.44") as elsewhere:
        profile = await login(elsewhere, "owner@example.org")
        assert profile.status_code == 200
        assert '<dd id="profile-email">owner@example.org</dd>' in profile.text

    # Once the window has passed (the stored hits moved back in time), the first address may again.
    window = timedelta(seconds=settings.rate_limit_window_seconds + 1)
    for hit in await RateLimitHit.objects():
        hit.at = hit.at - window
        await hit.save([RateLimitHit.at])
    again = await login(client, "owner@example.org")
    assert again.status_code == 200
    assert '<dd id="profile-email">owner@example.org</dd>' in again.text


async def test_retry_after_counts_down_to_when_the_oldest_attempt_leaves_the_window(client, make_user, settings):
    await make_user("applicant", email="owner@example.org")
    for _ in range(settings.login_attempts_per_account):
        assert (await login(client, "owner@example.org", WRONG)).status_code == 422
    # Pretend the attempts were made 600 seconds ago: 300 seconds remain of the 900-second window.
    for hit in await RateLimitHit.objects():
        hit.at = hit.at - timedelta(seconds=600)
        await hit.save([RateLimitHit.at])
    blocked = await login(client, "owner@example.org", WRONG)
    assert blocked.status_code == 429
    assert 290 <= int(blocked.headers["retry-after"]) <= 300


async def test_a_right_password_does_not_use_up_the_address_limit(client, make_user, settings):
    await make_user("applicant", email="owner@example.org")
    for _ in range(settings.login_attempts_per_client + 2):
        assert (await login(client, "owner@example.org")).status_code == 200
    assert await RateLimitHit.count() == 0


# 2. E-mail addresses ----------------------------------------------------------------------

BAD_ADDRESSES = ['"x"<a@b.fr>', "a@b.fr, c@d.fr", "<a@b.fr>", "Jeanne <jeanne@example.org>", "a@b.fr c@d.fr"]
ONE_ADDRESS = "Saisissez une seule adresse électronique, sans nom ni chevrons (par exemple : nom@exemple.fr)."


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_check_email_refuses_names_brackets_and_lists(address):
    with pytest.raises(InvalidInput) as caught:
        check_email(address)
    assert [(e.field, e.message) for e in caught.value.errors] == [("email", ONE_ADDRESS)]


def test_check_email_returns_the_normalised_address():
    assert check_email("  Jeanne.Dupont@EXAMPLE.Org ") == "jeanne.dupont@example.org"
    with pytest.raises(InvalidInput) as caught:
        check_email("a..b@example.org")
    assert caught.value.errors[0].message == "Cette adresse électronique n'est pas valide."


async def register(client, email: str):
    return await post_form(client, "/register", "/register", {
        "name": "Jeanne Dupont", "email": email, "organisation": "", "password": PASSWORD,
        "password_confirm": PASSWORD})


@pytest.mark.parametrize("address", BAD_ADDRESSES)
async def test_registration_refuses_display_names_and_lists(client, address):
    response = await register(client, address)
    assert response.status_code == 422
    assert re.search(r'id="error-email"[^>]*>.*Saisissez une seule adresse électronique, sans nom ni chevrons',
                     response.text, re.S)
    assert await User.count() == 0


async def test_registration_message_in_english(client):
    client.cookies.set("ami_lang", "en", domain="testserver.local")
    response = await register(client, '"x"<a@b.fr>')
    assert response.status_code == 422
    assert "Enter a single email address, without a name or angle brackets" in response.text


async def test_registration_stores_the_normalised_address(client):
    response = await register(client, " Jeanne.Dupont@EXAMPLE.org ")
    assert response.status_code == 200
    assert [row["email"] for row in await User.select(User.email)] == ["jeanne.dupont@example.org"]


async def test_co_applicant_invitation_refuses_display_names(client, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    application = await draft(owner)
    headers = await api_token(owner)
    for address in BAD_ADDRESSES:
        refused = await client.post(f"/api/v1/applications/{application.id}/co-applicants",
                                    json={"email": address}, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["errors"] == [{"field": "email", "message": ONE_ADDRESS}]
    assert await CoApplicant.count() == 0

    accepted = await client.post(f"/api/v1/applications/{application.id}/co-applicants",
                                 json={"email": "Paul.Martin@EXAMPLE.org"}, headers=headers)
    assert accepted.status_code == 201
    assert accepted.json()["email"] == "paul.martin@example.org"

    await login(client, "owner@example.org")
    page = await post_form(client, f"/applications/{application.id}",
                           f"/applications/{application.id}/co-applicants", {"email": "<b@example.org>"})
    assert page.status_code == 422
    assert "Saisissez une seule adresse électronique, sans nom ni chevrons" in page.text
    assert [row["email"] for row in await CoApplicant.select(CoApplicant.email)] == ["paul.martin@example.org"]


# 3. Password reset ------------------------------------------------------------------------


async def reset_with(client, token: str, password: str):
    page = await client.get(f"/password/reset?token={token}")
    return await client.post("/password/reset", data={"token": token, "password": password,
                                                      "password_confirm": password,
                                                      "_csrf_token": csrf_from(page.text)})


async def test_a_new_reset_request_voids_the_earlier_link(client, make_user):
    user = await make_user("applicant", email="a@example.org")
    first = await start_password_reset("a@example.org", client="198.51.100.1", per_client=20,
                                       window_seconds=900)
    second = await start_password_reset("a@example.org", client="198.51.100.1", per_client=20,
                                        window_seconds=900)
    assert first and second and first[1] != second[1]
    old = await reset_with(client, first[1], "an old link must not work")
    assert old.status_code == 422
    assert "Ce lien n&#39;est pas valide ou a expiré." in old.text
    done = await reset_with(client, second[1], "the newest link works")
    assert "Votre mot de passe a été changé." in done.text
    assert await EmailToken.count().where(
        (EmailToken.user == user.id) & EmailToken.used_at.is_null()) == 0


async def test_a_successful_reset_voids_every_other_link(client, make_user):
    user = await make_user("applicant", email="a@example.org")
    one = await issue_email_token(user.id, purpose="reset", hours=2)
    other = await issue_email_token(user.id, purpose="reset", hours=2)
    done = await reset_with(client, one, "the first new passphrase")
    assert "Votre mot de passe a été changé." in done.text
    stale = await reset_with(client, other, "an attacker's passphrase")
    assert stale.status_code == 422
    assert "Ce lien n&#39;est pas valide ou a expiré." in stale.text
    assert (await login(client, "a@example.org", "the first new passphrase")).status_code == 200


async def test_a_reset_revokes_every_api_token_and_session(client, make_user, api_token):
    user = await make_user("applicant", email="a@example.org")
    headers = await api_token(user)
    other = {"Authorization": f"Bearer {await create_api_token(user.id, name='nightly')}"}
    assert (await client.get("/api/v1/me", headers=headers)).json()["email"] == "a@example.org"
    await login(client, "a@example.org")
    assert await Session.count() == 1
    client.cookies.clear()

    token = await issue_email_token(user.id, purpose="reset", hours=2)
    done = await reset_with(client, token, "a brand new passphrase")
    assert "Votre mot de passe a été changé." in done.text
    for credentials in (headers, other):
        refused = await client.get("/api/v1/me", headers=credentials)
        assert refused.status_code == 401
        assert refused.json()["detail"] == "Jeton d'API inconnu ou révoqué."
    assert await Session.count() == 0
    assert await ApiToken.count().where(ApiToken.revoked_at.is_null()) == 0


async def test_tokens_made_with_a_token_are_revoked_with_it(client, make_user):
    user = await make_user("applicant", email="a@example.org")
    parent = await create_api_token(user.id, name="parent")
    keeper = await create_api_token(user.id, name="keeper")
    child = (await client.post("/api/v1/me/tokens", json={"name": "child"},
                               headers={"Authorization": f"Bearer {parent}"})).json()["token"]
    grandchild = (await client.post("/api/v1/me/tokens", json={"name": "grandchild"},
                                    headers={"Authorization": f"Bearer {child}"})).json()["token"]
    for token in (parent, child, grandchild, keeper):
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    rows = {row["name"]: row for row in await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.parent)}
    assert rows["child"]["parent"] == rows["parent"]["id"]
    assert rows["grandchild"]["parent"] == rows["child"]["id"]
    assert rows["keeper"]["parent"] is None

    revoked = await client.delete(f"/api/v1/me/tokens/{rows['parent']['id']}",
                                  headers={"Authorization": f"Bearer {keeper}"})
    assert revoked.status_code == 204
    for token in (parent, child, grandchild):
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["detail"] == "Jeton d'API inconnu ou révoqué."
    listed = (await client.get("/api/v1/me/tokens", headers={"Authorization": f"Bearer {keeper}"})).json()
    assert {t["name"]: t["revoked_at"] is not None for t in listed} == {
        "keeper": False, "grandchild": True, "child": True, "parent": True}


async def test_a_child_of_a_revoked_token_is_refused_even_if_not_marked(client, make_user):
    """Revocation racing with a child's creation: the chain is checked at every use too."""
    user = await make_user("applicant")
    parent = await create_api_token(user.id, name="parent")
    parent_id = (await ApiToken.select(ApiToken.id).first())["id"]
    child = await create_api_token(user.id, name="child", parent_id=parent_id)
    await ApiToken.update({ApiToken.revoked_at: ApiToken.created_at}).where(ApiToken.id == parent_id)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {child}"})
    assert response.status_code == 401
    assert parent.startswith("ami_")


# 4. Ids out of range ----------------------------------------------------------------------

OUT_OF_RANGE = ["9223372036854775808", "-1", "0", "99999999999999999999999"]


def int_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if ":int}" not in route.path:
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method not in {"OPTIONS", "HEAD"}:
                found.append((method, route.path))
    return found


def fill(path: str, number: str) -> str:
    def value(match: re.Match) -> str:
        kind = match.group(2)
        assert kind in {"int", "str"}, f"no sample value for {match.group(0)}"
        return number if kind == "int" else "x"

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


async def test_out_of_range_ids_are_404_on_every_route(app, client, make_user):
    routes = int_routes(app)
    assert len(routes) >= 17
    await make_user("admin", "manager", "reviewer", "applicant", email="admin@example.org")
    anonymous = client_from(app, "127.0.0.2")
    async with anonymous:
        await login(client, "admin@example.org")
        for who, http in (("anonymous", anonymous), ("admin", client)):
            for method, path in routes:
                for number in OUT_OF_RANGE:
                    url = fill(path, number)
                    response = await http.request(method, url, follow_redirects=False)
                    assert response.status_code == 404, (who, method, url, response.status_code)
                    if path.startswith("/api/"):
                        assert response.json() == {"detail": "Ressource introuvable.", "errors": []}, url
                    else:
                        assert response.headers["content-type"].startswith("text/html"), url
                        assert "Page introuvable" in response.text, url


@pytest.mark.parametrize("number", [2**31 - 1, 2**31, 2**63 - 1])
async def test_large_ids_are_simply_missing(client, make_user, number):
    """Ids the engine can hold reach the handler (its own 404); larger ones (past 2^31-1 on PostgreSQL,
    whose ids are 32-bit) stop before it: a 404 either way, never a 500."""
    await make_user("admin", email="admin@example.org")
    await login(client, "admin@example.org")
    api = await client.get(f"/api/v1/applications/{number}")
    assert api.status_code == 404
    assert api.json()["detail"] in {"Candidature introuvable.", "Ressource introuvable."}
    page = await client.get(f"/manage/outbox/{number}")
    assert page.status_code == 404
    assert "Page introuvable" in page.text


async def test_out_of_range_page_is_in_the_visitors_language(client):
    response = await client.get("/applications/9223372036854775808", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "<html lang=\"en\"" in response.text or "lang=\"en\"" in response.text


# 5. Security headers ----------------------------------------------------------------------


async def test_every_response_carries_the_security_headers(app, client):
    @get("/_test/boom", include_in_schema=False)
    async def boom() -> str:
        raise RuntimeError("boom")

    app.register(boom)
    normal = await client.get("/")
    assert normal.status_code == 200
    names = ["content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"]
    expected = {name: normal.headers[name] for name in names}
    assert expected["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in expected["content-security-policy"]
    checks = [
        ("GET", "/no-such-page", 404), ("GET", "/api/v1/no-such-thing", 404),
        ("POST", "/healthz", 405), ("GET", "/static/site.css", 200), ("GET", "/static/missing.css", 404),
        ("GET", "/_test/boom", 500), ("GET", "/applications/9223372036854775808", 404),
    ]
    for method, url, status in checks:
        response = await client.request(method, url)
        assert response.status_code == status, url
        assert {name: response.headers.get(name) for name in names} == expected, url
        assert len(response.headers.get_list("content-security-policy")) == 1, url
    bad_token = await client.get("/api/v1/me", headers={"Authorization": "Bearer ami_forged"})
    assert bad_token.status_code == 401
    assert {name: bad_token.headers.get(name) for name in names} == expected


# 6. CSRF on the API -----------------------------------------------------------------------


def plant(client, value: str) -> None:
    client.cookies.delete("csrftoken")
    client.cookies.set("csrftoken", value, domain="testserver.local")


async def test_api_refuses_a_planted_cookie_and_header_pair(app, client, make_user, settings):
    await make_user("applicant", email="victim@example.org")
    await make_user("applicant", email="attacker@example.org")
    async with client_from(app, "203.0.113.5") as attacker:
        await login(attacker, "attacker@example.org")
        attackers_own = csrf_from((await attacker.get("/account/tokens")).text)
    await login(client, "victim@example.org")
    forged = [
        "0" * 128,  # anything equal in cookie and header
        generate_csrf_token(settings.secret_key),  # signed by the app, but for no session
        attackers_own,  # signed and bound, to another session
    ]
    for value in forged:
        plant(client, value)
        refused = await client.post("/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRFToken": value})
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Jeton CSRF manquant ou invalide (en-tête X-CSRFToken).", "errors": []}
    assert await ApiToken.count() == 0

    page = await client.get("/account/tokens")  # gives the browser its session's token back
    real = csrf_from(page.text)
    assert real not in forged
    assert client.cookies.get("csrftoken", domain="testserver.local") == real
    allowed = await client.post("/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRFToken": real})
    assert allowed.status_code == 201
    assert allowed.json()["name"] == "x"


async def test_forms_refuse_a_planted_token_too(client, make_user, settings):
    await make_user("applicant", email="victim@example.org", name="Victime")
    await login(client, "victim@example.org")
    planted = generate_csrf_token(settings.secret_key)
    plant(client, planted)
    refused = await client.post("/account", data={"name": "Pirate", "organisation": "", "locale": "fr",
                                                  "_csrf_token": planted})
    assert refused.status_code == 403
    assert (await User.objects().first()).name == "Victime"
    saved = await post_form(client, "/account", "/account", {"name": "Vraie", "organisation": "", "locale": "fr"})
    assert saved.status_code == 200
    assert (await User.objects().first()).name == "Vraie"


# 7. Harvest: one guard for the page and the API -------------------------------------------


@pytest.mark.parametrize(("roles", "allowed"), [
    (("admin",), True), (("manager",), True), (("reviewer",), False), (("applicant",), False),
])
async def test_harvest_page_and_api_agree(client, make_user, api_token, roles, allowed):
    user = await make_user(*roles, email="someone@example.org")
    headers = await api_token(user)
    api = await client.post("/api/v1/projects/no-such-project/harvest", headers=headers)
    await login(client, "someone@example.org")
    dashboard = await client.get("/manage/harvest")
    harvest_now = await post_form(client, "/account", "/manage/harvest/no-such-project", {})
    if allowed:
        assert api.status_code == 404
        assert api.json() == {"detail": "Projet introuvable.", "errors": []}
        assert dashboard.status_code == 200
        assert "Collecte" in dashboard.text or "collecte" in dashboard.text
        assert harvest_now.status_code == 404
    else:
        assert api.status_code == 403
        assert api.json() == {"detail": "Réservé à l'équipe du programme.", "errors": []}
        assert dashboard.status_code == 403
        assert "Réservé à l&#39;équipe du programme." in dashboard.text
        assert harvest_now.status_code == 403


async def test_reset_requests_are_limited_per_address_with_retry_after(app_factory, settings):
    import dataclasses

    from tests.conftest import http_client

    app = app_factory(dataclasses.replace(settings, login_attempts_per_client=2))
    async with http_client(app) as client:
        for _ in range(2):
            sent = await post_form(client, "/password/forgot", "/password/forgot", {"email": "x@example.org"})
            assert "Si un compte existe avec cette adresse" in sent.text
        refused = await post_form(client, "/password/forgot", "/password/forgot", {"email": "x@example.org"})
        assert refused.status_code == 429
        assert "Trop de demandes de réinitialisation. Réessayez plus tard." in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= settings.rate_limit_window_seconds
