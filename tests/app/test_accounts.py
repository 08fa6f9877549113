"""Registration, verification, login, sessions, password reset and profile, through real HTTP."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from registry.accounts.tables import Session, User
from registry.audit.tables import AuditEntry
from tests.conftest import PASSWORD, csrf_from, login, post_form


def outbox_messages(settings) -> list:
    folder = Path(settings.var_dir) / "outbox"
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def link_in(message, path: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"http://[^\s]+{re.escape(path)}\?token=([\w-]+)", body)
    assert match, body
    return f"{path}?token={match.group(1)}"


async def register(client, **fields):
    data = {"name": "Jeanne Dupont", "email": "jeanne@example.org", "organisation": "CHU de Lille",
            "password": PASSWORD, "password_confirm": PASSWORD, **fields}
    return await post_form(client, "/register", "/register", data)


async def test_register_verify_login_and_see_profile(client, settings):
    response = await register(client)
    assert response.status_code == 200
    assert "Un courriel de confirmation a été envoyé à" in response.text
    assert "<strong>jeanne@example.org</strong>" in response.text

    [message] = outbox_messages(settings)
    assert message["To"] == "jeanne@example.org"
    assert message["Subject"] == "Confirmez votre adresse électronique"

    refused = await login(client, "jeanne@example.org")
    assert refused.status_code == 422
    assert "Confirmez d&#39;abord votre adresse" in refused.text

    verified = await client.get(link_in(message, "/verify"))
    assert verified.status_code == 200
    assert "Votre adresse est confirmée. Vous pouvez vous connecter." in verified.text

    profile = await login(client, "jeanne@example.org")
    assert '<dd id="profile-email">jeanne@example.org</dd>' in profile.text
    assert "candidat" in profile.text
    user = await User.objects().get(User.email == "jeanne@example.org")
    assert user.organisation == "CHU de Lille"
    assert user.password_hash.startswith("$argon2id$")


async def test_verification_link_works_once(client, settings):
    await register(client)
    link = link_in(outbox_messages(settings)[0], "/verify")
    assert (await client.get(link)).status_code == 200
    again = await client.get(link)
    assert again.status_code == 200
    assert "Ce lien a déjà été utilisé : votre adresse est vérifiée" in again.text
    assert await User.count().where(User.email_verified_at.is_not_null()) == 1


async def test_register_bad_input_redisplays_messages_and_keeps_values(client):
    response = await register(client, email="pas-une-adresse", password="court", password_confirm="court",
                              name="Jeanne Dupont")
    assert response.status_code == 422
    html = response.text
    assert 'id="error-email"' in html and "Cette adresse électronique n&#39;est pas valide." in html
    assert 'id="error-password"' in html and "au moins 12 caractères" in html
    assert 'value="Jeanne Dupont"' in html and 'value="pas-une-adresse"' in html
    assert 'aria-invalid="true"' in html
    assert await User.count() == 0


async def test_register_mismatched_confirmation_is_refused(client):
    response = await register(client, password_confirm="another long passphrase")
    assert response.status_code == 422
    assert "Les deux mots de passe ne sont pas identiques." in response.text
    assert await User.count() == 0


async def test_register_existing_email_is_refused(client, make_user):
    await make_user("applicant", email="jeanne@example.org")
    response = await register(client)
    assert response.status_code == 422
    assert "Un compte existe déjà avec cette adresse." in response.text
    assert await User.count() == 1


async def test_login_wrong_password_gives_message_beside_field(client, make_user):
    await make_user("applicant", email="a@example.org")
    response = await login(client, "a@example.org", "wrong password 123")
    assert response.status_code == 422
    assert 'id="error-password"' in response.text
    assert "Adresse électronique ou mot de passe incorrect." in response.text
    assert 'value="a@example.org"' in response.text


async def test_login_is_rate_limited_per_account(client, make_user, settings):
    await make_user("applicant", email="a@example.org")
    for _ in range(settings.login_attempts_per_account):
        assert (await login(client, "a@example.org", "wrong password 123")).status_code == 422
    blocked = await login(client, "a@example.org")  # even the right password now waits
    assert blocked.status_code == 429
    assert "Trop de tentatives de connexion" in blocked.text
    assert "ami_session" not in blocked.cookies


async def test_session_cookie_is_httponly_samesite_and_renewed_at_login(client, make_user):
    await make_user("applicant", email="a@example.org")
    first = await login(client, "a@example.org")
    old_token = client.cookies.get("ami_session")
    assert old_token
    raw = [h for h in first.history[0].headers.get_list("set-cookie") if h.startswith("ami_session=")][0]
    assert "HttpOnly" in raw and "SameSite=lax" in raw.replace("Lax", "lax") and "Path=/" in raw

    await login(client, "a@example.org")
    new_token = client.cookies.get("ami_session")
    assert new_token and new_token != old_token
    assert await Session.count() == 1  # the old session row is gone

    client.cookies.set("ami_session", old_token)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_logout_ends_the_session(client, make_user):
    await make_user("applicant", email="a@example.org")
    await login(client, "a@example.org")
    response = await post_form(client, "/account", "/logout", {})
    assert "Vous êtes déconnecté." in response.text
    assert await Session.count() == 0
    assert (await client.get("/account", follow_redirects=False)).headers["location"] == "/login?next=/account"


async def test_post_without_csrf_token_is_refused(client, make_user):
    await make_user("applicant", email="a@example.org")
    response = await client.post("/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert await Session.count() == 0


async def test_password_reset_flow_changes_password_and_ends_sessions(client, make_user, settings):
    await make_user("applicant", email="a@example.org")
    await login(client, "a@example.org")
    assert await Session.count() == 1
    client.cookies.clear()

    response = await post_form(client, "/password/forgot", "/password/forgot", {"email": "a@example.org"})
    assert "Si un compte existe avec cette adresse" in response.text
    unknown = await post_form(client, "/password/forgot", "/password/forgot", {"email": "nobody@example.org"})
    assert "Si un compte existe avec cette adresse" in unknown.text  # same answer: no account oracle
    [message] = outbox_messages(settings)
    assert message["Subject"] == "Réinitialisation de votre mot de passe"

    link = link_in(message, "/password/reset")
    page = await client.get(link)
    new_password = "a brand new passphrase"
    done = await client.post("/password/reset", data={
        "token": link.split("=", 1)[1], "password": new_password, "password_confirm": new_password,
        "_csrf_token": csrf_from(page.text)})
    assert "Votre mot de passe a été changé." in done.text
    assert await Session.count() == 0
    assert (await login(client, "a@example.org")).status_code == 422
    assert '<dd id="profile-email">a@example.org</dd>' in (await login(client, "a@example.org", new_password)).text


async def test_profile_update_and_validation(client, make_user):
    user = await make_user("applicant", email="a@example.org")
    await login(client, "a@example.org")
    bad = await post_form(client, "/account", "/account", {"name": "  ", "organisation": "Inserm", "locale": "fr"})
    assert bad.status_code == 422
    assert "Le nom est obligatoire." in bad.text
    assert 'value="Inserm"' in bad.text
    ok = await post_form(client, "/account", "/account", {"name": "Anne", "organisation": "Inserm", "locale": "en"})
    assert "Your profile has been saved." in ok.text or "Votre profil a été enregistré." in ok.text
    saved = await User.objects().get(User.id == user.id)
    assert (saved.name, saved.organisation, saved.locale) == ("Anne", "Inserm", "en")


async def test_password_never_stored_or_logged_in_clear(client, settings, caplog):
    caplog.set_level("DEBUG")
    await register(client)
    rows = await User.select()
    assert PASSWORD not in repr(rows)
    assert PASSWORD not in repr(await AuditEntry.select())
    assert PASSWORD not in caplog.text
    for message in outbox_messages(settings):
        assert PASSWORD not in message.as_string()
