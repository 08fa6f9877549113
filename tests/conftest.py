"""Test set-up shared by every suite: a real database on the engine chosen by AMI_TEST_ENGINE.

AMI_TEST_ENGINE=sqlite (default) uses a temporary SQLite file; AMI_TEST_ENGINE=postgres uses
the server named by AMI_TEST_POSTGRES_URL (scripts/with-postgres.sh starts one).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

ENGINE = os.environ.get("AMI_TEST_ENGINE", "sqlite")
_tmp = Path(tempfile.mkdtemp(prefix="ami-tests-"))
if ENGINE == "postgres":
    url = os.environ.get("AMI_TEST_POSTGRES_URL")
    if not url:
        raise RuntimeError("AMI_TEST_ENGINE=postgres needs AMI_TEST_POSTGRES_URL")
    os.environ["AMI_DATABASE_URL"] = url
else:
    os.environ["AMI_DATABASE_URL"] = f"sqlite:///{_tmp / 'test.sqlite3'}"
os.environ["PICCOLO_CONF"] = "registry.piccolo_conf"
os.environ["AMI_VAR_DIR"] = str(_tmp / "var")
os.environ["AMI_SCHEDULER"] = "off"
os.environ["AMI_PASSWORD_HASHING"] = "fast"
os.environ.setdefault("AMI_SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database engine: {ENGINE} ({os.environ['AMI_DATABASE_URL']})"


@pytest.fixture(scope="session")
async def database():
    """The engine, migrated once per run."""
    from piccolo.engine import engine_finder

    from registry.db import use_engine
    from registry.migrate import migrate_all

    engine = engine_finder()
    use_engine(engine)
    await migrate_all()
    # The pool belongs to this (session) loop: the `client` fixture runs the app in it too.
    if ENGINE == "postgres":
        await engine.start_connection_pool(min_size=1, max_size=10)
    yield engine
    if ENGINE == "postgres":
        await engine.close_connection_pool()


@pytest.fixture
async def db(database):
    """An empty, migrated database for one test."""
    from registry.db import truncate_all

    await truncate_all(database)
    yield database


PASSWORD = "correct horse battery staple"  # noqa: S105


@pytest.fixture
def settings(db, tmp_path):
    """Settings from the environment, with a var/ folder (outbox, attachments) of the test's own."""
    import dataclasses

    from app.settings import load_settings

    return dataclasses.replace(load_settings(), var_dir=tmp_path / "var")


@pytest.fixture
def app_factory(database):
    """Builds an app on the test's engine, for tests that need other settings."""
    from app.factory import create_app

    def factory(settings):
        return create_app(settings, engine=database)

    return factory


@pytest.fixture
async def app(settings, app_factory):
    return app_factory(settings)


def http_client(app):
    """HTTP requests through the whole app (middleware, CSRF, templates, error handlers), run in the
    test's own event loop so the app shares the test's database pool. The app's lifespan has nothing
    to do in tests (the engine belongs to the test, the scheduler is off), so it is not run."""
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False,
                                                           client=("127.0.0.1", 50000)),
                             base_url="http://testserver.local", follow_redirects=True)


@pytest.fixture
async def client(app):
    async with http_client(app) as test_client:
        yield test_client


@pytest.fixture
def make_user(db):
    """Creates a verified user with the given roles; returns the User row."""
    from registry.accounts.service import create_user

    counter = {"n": 0}

    async def factory(*roles: str, email: str | None = None, name: str | None = None,
                      password: str = PASSWORD, organisation: str = ""):
        counter["n"] += 1
        return await create_user(
            email=email or f"user{counter['n']}@example.org",
            name=name or f"Utilisatrice {counter['n']}", password=password,
            roles=list(roles), verified=True, organisation=organisation)

    return factory


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


async def login(client, email: str, password: str = PASSWORD):
    """Logs in through the real form; returns the response of the POST."""
    page = await client.get("/login")
    return await client.post("/login", data={"email": email, "password": password,
                                             "_csrf_token": csrf_from(page.text)})


async def post_form(client, page_url: str, action: str, data: dict):
    """Loads a page for its CSRF token, then posts the form to `action`."""
    page = await client.get(page_url)
    return await client.post(action, data={**data, "_csrf_token": csrf_from(page.text)})


@pytest.fixture
def api_token(db):
    """Creates a personal API token for a user; returns the Authorization header."""
    from registry.accounts.service import create_api_token

    async def factory(user) -> dict[str, str]:
        token = await create_api_token(user.id, name="tests")
        return {"Authorization": f"Bearer {token}"}

    return factory


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(settings, database):
    """The app under uvicorn on a free 127.0.0.1 port, in a thread; yields (base_url, settings).

    The server runs its own event loop, so it gets an engine of its own without a pool (one
    connection per query works from any loop); the test's engine is restored afterwards.
    """
    import dataclasses
    import threading
    import time

    import uvicorn

    from app.factory import create_app
    from registry.db import make_engine, use_engine

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    live_settings = dataclasses.replace(settings, base_url=base_url)
    server_app = create_app(live_settings, engine=make_engine(live_settings.database))
    server = uvicorn.Server(uvicorn.Config(server_app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield base_url, live_settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        use_engine(database)


@pytest.fixture
def live_server(settings, database):
    """(base_url, settings) of the app served on 127.0.0.1 for a browser."""
    with serving(settings, database) as served:
        yield served


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
async def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser), one for the whole run."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("AMI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing (install Debian's chromium package)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        await instance.close()


@pytest.fixture
async def demo(db):
    """The demo projects and the label taxonomy, loaded through the real demo loaders."""
    from registry.labels.taxonomy import load_taxonomy
    from registry.projects.demo import load_demo_projects

    await load_taxonomy()
    await load_demo_projects()
    return db


@pytest.fixture
async def full_demo(db):
    """Everything `ami demo` loads: accounts of every role, calls, applications, reviews, projects."""
    from registry.demo import load_demo

    await load_demo()
    return db


# ---- a real SMTP server ---------------------------------------------------------------------------

class Collector:
    """An aiosmtpd handler keeping every message that arrives, parsed with the modern email policy."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    async def settle(self, count: int, within: float = 5.0) -> list[EmailMessage]:
        """The messages once `count` have arrived (or after `within` seconds)."""
        deadline = time.monotonic() + within
        while len(self.messages) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.messages

    def to(self, address: str) -> list[str]:
        return [message["Subject"] for message in self.messages if message["To"] == address]

    async def wait_for(self, to: str, subject: str, within: float = 5.0) -> EmailMessage:
        """The message to `to` with this subject; the app sends before answering, so this rarely waits."""
        deadline = time.monotonic() + within
        while True:
            for message in self.messages:
                if message["To"] == to and message["Subject"] == subject:
                    return message
            if time.monotonic() > deadline:
                seen = [(m["To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no mail to {to} with subject {subject!r}; received: {seen}")
            await asyncio.sleep(0.05)


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, Collector]]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()
