"""Registration errors all at once, the verification link sent again, a link followed twice."""

from __future__ import annotations

import dataclasses
import re

from registry.accounts.tables import EmailToken, User
from tests.app.test_accounts import link_in, outbox_messages, register
from tests.app.test_mail_errors_settings import smtp_server  # noqa: F401 - the fixture
from tests.conftest import PASSWORD, http_client, login, post_form


async def test_registration_reports_every_field_error_at_once_in_form_order(client):
    response = await register(client, name="", email="pas-une-adresse", password="court",
                              password_confirm="autre chose")
    assert response.status_code == 422
    html = response.text
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#field-(\w+)">([^<]+)</a>', summary)
    assert [field for field, _ in links] == ["name", "email", "password", "password_confirm"]
    assert dict(links)["password_confirm"] == "Les deux mots de passe ne sont pas identiques."
    for field in ("name", "email", "password", "password_confirm"):
        assert f'id="error-{field}"' in html and f'id="field-{field}"' in html
    assert re.search(r'<div class="error-summary"[^>]*tabindex="-1"', html)
    assert '<script src="/static/focus-errors.js" defer></script>' in html
    assert 'value="pas-une-adresse"' in html
    assert await User.count() == 0
    script = await client.get("/static/focus-errors.js")
    assert ".error-summary" in script.text and "focus()" in script.text


async def test_registration_errors_in_english(client):
    page = await client.get("/register?lang=en")
    response = await client.post("/register?lang=en", data={
        "name": "", "email": "x", "password": "short", "password_confirm": "other",
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)})
    assert response.status_code == 422
    assert "There is a problem with the form" in response.text
    assert "The two passwords do not match." in response.text
    assert "The password must be at least 12 characters long." in response.text
    assert "(required)" in response.text and "obligatoire" not in response.text


async def test_a_verification_link_followed_twice_says_the_address_is_verified(client, settings):
    await register(client)
    link = link_in(outbox_messages(settings)[0], "/verify")
    assert "Votre adresse est confirmée" in (await client.get(link)).text
    again = await client.get(link)
    assert again.status_code == 200
    assert ("Ce lien a déjà été utilisé : votre adresse est vérifiée, vous pouvez vous connecter."
            in again.text)
    assert '<a href="/login">' in again.text and "/password/forgot" not in again.text.split("<main")[-1]
    english = await client.get(link + "&lang=en")
    assert "This link has already been used: your address is verified, you can log in." in english.text


async def test_an_unknown_link_offers_a_new_confirmation_link(client):
    response = await client.get("/verify?token=nope")
    assert response.status_code == 400
    assert "Ce lien n&#39;est pas valide ou a expiré" in response.text
    assert '<a href="/verify/resend">' in response.text


async def test_login_on_an_unverified_account_offers_to_resend_the_link(client, settings):
    await register(client)
    refused = await login(client, "jeanne@example.org")
    assert refused.status_code == 422
    assert 'id="login-unverified"' in refused.text
    assert '<a href="/verify/resend?email=jeanne%40example.org">' in refused.text
    form = await client.get("/verify/resend?email=jeanne%40example.org")
    assert 'value="jeanne@example.org"' in form.text


async def test_resend_verification_through_a_real_smtp_server(settings, smtp_server, app_factory):  # noqa: F811
    url, handler = smtp_server
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    async with http_client(app) as client:
        await register(client)
        [first] = handler.messages
        sent = await post_form(client, "/verify/resend", "/verify/resend", {"email": "Jeanne@Example.org"})
        assert sent.status_code == 200
        assert 'id="resend-sent"' in sent.text
        assert len(handler.messages) == 2
        second = handler.messages[1]
        assert second["To"] == "jeanne@example.org"
        assert second["Subject"] == "Confirmez votre adresse électronique"
        old_link, new_link = link_in(first, "/verify"), link_in(second, "/verify")
        assert old_link != new_link
        # Only the newest link works.
        assert (await client.get(old_link)).status_code == 400
        assert "Votre adresse est confirmée" in (await client.get(new_link)).text
        assert (await login(client, "jeanne@example.org")).status_code == 200

        # The same answer, and no mail, for an unknown address or a verified account.
        for email in ("personne@example.org", "jeanne@example.org"):
            same = await post_form(client, "/verify/resend", "/verify/resend", {"email": email})
            assert same.status_code == 200 and 'id="resend-sent"' in same.text
        assert len(handler.messages) == 2


async def test_resend_is_limited_per_address_with_the_same_answer(client, settings, make_user):
    await register(client, email="lent@example.org")
    for _ in range(4):
        answer = await post_form(client, "/verify/resend", "/verify/resend", {"email": "lent@example.org"})
        assert answer.status_code == 200 and 'id="resend-sent"' in answer.text
    # One mail at registration, then three links: the fourth request is counted but sends nothing.
    assert len(outbox_messages(settings)) == 4
    user = await User.objects().get(User.email == "lent@example.org")
    live = await EmailToken.count().where((EmailToken.user == user.id) & EmailToken.used_at.is_null())
    assert live == 1


async def test_resend_is_limited_per_client_address(settings, app_factory):
    app = app_factory(dataclasses.replace(settings, login_attempts_per_client=2))
    async with http_client(app) as client:
        for n in range(2):
            ok = await post_form(client, "/verify/resend", "/verify/resend", {"email": f"x{n}@example.org"})
            assert ok.status_code == 200
        refused = await post_form(client, "/verify/resend", "/verify/resend", {"email": "x9@example.org"})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert "Trop de demandes de lien de confirmation" in refused.text
        assert 'value="x9@example.org"' in refused.text


async def test_resend_without_an_address_says_so_beside_the_field(client):
    response = await post_form(client, "/verify/resend", "/verify/resend", {"email": " "})
    assert response.status_code == 422
    assert 'id="error-email"' in response.text and "L&#39;adresse électronique est obligatoire." in response.text
    assert PASSWORD not in response.text


async def test_mails_are_written_in_the_reader_s_language(client, settings):
    from tests.app.test_english_pages import untranslated_french

    page = await client.get("/register?lang=en")
    await client.post("/register?lang=en", data={
        "name": "Jane Doe", "email": "jane@example.org", "password": PASSWORD, "password_confirm": PASSWORD,
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)})
    [message] = outbox_messages(settings)
    assert message["Subject"] == "Confirm your email address"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Jane Doe" in body and "/verify?token=" in body
    problems = [found for line in body.splitlines() if line.strip()
                for found in untranslated_french(f"<p>{line}</p>")]
    assert problems == [] and untranslated_french(f"<p>{message['Subject']}</p>") == []
