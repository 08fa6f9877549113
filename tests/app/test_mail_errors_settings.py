"""Mail through a real SMTP server, error pages in both languages, settings validation, language choice."""

from __future__ import annotations

import dataclasses
import socket
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from litestar import get

from app.i18n import negotiate
from app.settings import SettingsError, load_settings
from tests.conftest import PASSWORD, csrf_from, http_client, post_form


class Collector:
    """An aiosmtpd handler that keeps what arrives, parsed with the modern email policy."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", handler
    controller.stop()


async def test_registration_mail_goes_through_a_real_smtp_server(settings, smtp_server, app_factory):
    url, handler = smtp_server
    app = app_factory(dataclasses.replace(settings, smtp_url=url))
    async with http_client(app) as client:
        await post_form(client, "/register", "/register", {
            "name": "Paul Sabatier", "email": "paul@example.org", "password": PASSWORD,
            "password_confirm": PASSWORD})
    [message] = handler.messages
    assert message["To"] == "paul@example.org"
    assert message["Subject"] == "Confirmez votre adresse électronique"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Paul Sabatier," in body
    assert "http://127.0.0.1:8000/verify?token=" in body or "/verify?token=" in body
    assert not (settings.var_dir / "outbox").exists()  # SMTP replaces the outbox


async def test_outbox_dashboard_hides_people_from_managers_and_secret_links_from_everyone(client, make_user):
    from tests.conftest import login

    await make_user("manager", email="m@example.org")
    await make_user("admin", email="a@example.org")
    await post_form(client, "/register", "/register", {
        "name": "Zoé", "email": "zoe@example.org", "password": PASSWORD, "password_confirm": PASSWORD})
    await login(client, "m@example.org")
    page = await client.get("/manage/outbox")
    assert "En attente : 0" in page.text and "Envoyés : 1" in page.text and "En échec : 0" in page.text
    assert "zoe@example.org" not in page.text and "Confirmez votre adresse" not in page.text
    assert "confirmation d’adresse n° " in page.text and "verify_email" not in page.text
    message_id = int(page.text.split('href="/manage/outbox/')[1].split('"')[0])
    detail = await client.get(f"/manage/outbox/{message_id}")
    assert "zoe@example.org" not in detail.text and "token=" not in detail.text
    assert "son contenu n’est jamais affiché" in detail.text
    await client.post("/logout", data={"_csrf_token": csrf_from(detail.text)})
    await login(client, "a@example.org")
    page = await client.get("/manage/outbox")
    assert "zoe@example.org" in page.text and "Confirmez votre adresse électronique" in page.text
    detail = await client.get(f"/manage/outbox/{message_id}")
    assert "zoe@example.org" in detail.text and "token=" not in detail.text and "Bonjour Zoé" not in detail.text
    assert (await client.get("/manage/outbox/..%2F..%2Fetc%2Fpasswd")).status_code == 404


async def test_not_found_page_in_both_languages(client):
    french = await client.get("/nulle-part")
    assert french.status_code == 404
    assert "Page introuvable" in french.text and '<html lang="fr">' in french.text
    english = await client.get("/nulle-part", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.status_code == 404
    assert '<html lang="en">' in english.text


async def test_unexpected_error_shows_500_page_without_trace(settings, app_factory):
    @get("/boom", include_in_schema=False)
    async def boom() -> str:
        raise RuntimeError("secret internal detail")

    @get("/api/v1/boom", include_in_schema=False)
    async def api_boom() -> str:
        raise RuntimeError("secret internal detail")

    app = app_factory(settings)
    app.register(boom)
    app.register(api_boom)
    async with http_client(app) as client:
        page = await client.get("/boom")
        api = await client.get("/api/v1/boom")
    assert page.status_code == 500
    assert "Erreur du serveur" in page.text and "secret internal detail" not in page.text
    assert "Traceback" not in page.text
    assert api.status_code == 500
    assert api.json() == {"detail": "Erreur interne du serveur.", "errors": []}


async def test_language_switch_sets_cookie_and_sticks(client):
    switched = await client.get("/?lang=en")
    assert '<html lang="en">' in switched.text
    assert "ami_lang=en" in switched.headers["set-cookie"]
    assert '<html lang="en">' in (await client.get("/")).text
    assert '<html lang="fr">' in (await client.get("/?lang=fr")).text


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    (None, None, "", "fr"),
    (None, None, "en-US,en;q=0.8", "en"),
    (None, None, "de-DE, en;q=0.5, fr;q=0.9", "fr"),
    (None, "en", "fr", "en"),
    ("fr", "en", "en", "fr"),
    ("es", None, "", "fr"),
    (None, None, "en;q=0, fr;q=0.1", "fr"),
])
def test_language_negotiation(query, cookie, header, expected):
    assert negotiate(query, cookie, header) == expected


@pytest.mark.parametrize(("env", "message"), [
    ({"AMI_SCHEDULER": "sometimes"}, "AMI_SCHEDULER='sometimes': expected on/off (or true/false, 1/0)"),
    ({"AMI_DATABASE_URL": "mysql://u@h/db"}, "AMI_DATABASE_URL='mysql://u@h/db': unsupported scheme 'mysql'"),
    ({"AMI_DATABASE_URL": "postgresql://"}, "AMI_DATABASE_URL='postgresql://': expected postgresql://"),
    ({"AMI_HARVEST_CONCURRENCY": "0"}, "AMI_HARVEST_CONCURRENCY='0': must be at least 1"),
    ({"AMI_SESSION_DAYS": "two"}, "AMI_SESSION_DAYS='two': expected a whole number"),
    ({"AMI_GITHUB_API_URL": "api.github.com"}, "AMI_GITHUB_API_URL='api.github.com': expected an http(s) URL"),
    ({"AMI_GITLAB_API_URLS": "gitlab.com"}, "AMI_GITLAB_API_URLS='gitlab.com': expected host=url pairs"),
    ({"AMI_PRODUCTION": "on"}, "AMI_SECRET_KEY is empty: it is required when AMI_PRODUCTION=on"),
    ({"AMI_SECRET_KEY": "short"}, "AMI_SECRET_KEY=<hidden>: must be at least 32 characters long"),
    ({"AMI_SMTP_URL": "mail.example.org"}, "AMI_SMTP_URL='mail.example.org': expected smtp://host:port"),
])
def test_bad_settings_name_the_key_and_value(env, message, tmp_path):
    with pytest.raises(SettingsError) as raised:
        load_settings(env, env_file=tmp_path / "none.env")
    assert str(raised.value).startswith(message)


def test_settings_parse_database_urls_and_forge_pairs(tmp_path):
    settings = load_settings({
        "AMI_DATABASE_URL": "postgresql://ami:s%40cret@db.internal:6543/ami",
        "AMI_GITLAB_HOSTS": "gitlab.com, framagit.org ,gitlab.example.fr",
        "AMI_GITLAB_API_URLS": "gitlab.com=http://127.0.0.1:9000/api/v4",
        "AMI_SCHEDULER": "off",
    }, env_file=tmp_path / "none.env")
    assert settings.database.postgres == {"host": "db.internal", "port": 6543, "database": "ami",
                                          "user": "ami", "password": "s@cret"}
    assert settings.gitlab_hosts == ("gitlab.com", "framagit.org", "gitlab.example.fr")
    assert settings.gitlab_api_urls == {"gitlab.com": "http://127.0.0.1:9000/api/v4"}
    assert settings.scheduler is False
    relative = load_settings({"AMI_DATABASE_URL": "sqlite:///var/x.sqlite3"}, env_file=tmp_path / "none.env")
    assert relative.database.sqlite_path.is_absolute() and relative.database.sqlite_path.name == "x.sqlite3"


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("AMI_BASE_URL=https://ami.example.fr\nAMI_SCHEDULER=off\n")
    settings = load_settings({"AMI_SCHEDULER": "on"}, env_file=env_file)
    assert settings.base_url == "https://ami.example.fr"
    assert settings.scheduler is True


async def test_pages_carry_security_headers(client):
    response = await client.get("/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
