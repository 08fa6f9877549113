"""Test set-up shared by every suite: a real database on the engine chosen by AMI_TEST_ENGINE.

AMI_TEST_ENGINE=sqlite (default) uses a temporary SQLite file; AMI_TEST_ENGINE=postgres uses
the server named by AMI_TEST_POSTGRES_URL (scripts/with-postgres.sh starts one).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

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
