"""Applies every app's migrations, in dependency order, then installs the missing labels; safe to run again."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards


class MigrationError(RuntimeError):
    pass


async def applied_migrations() -> int:
    from piccolo.apps.migrations.tables import Migration

    if not await Migration.table_exists():
        return 0
    return await Migration.count()


async def migrate_all() -> int:
    """Applies what is missing; returns how many migrations were applied."""
    before = await applied_migrations()
    output = io.StringIO()
    # Piccolo prints its progress; keep it for callers that want to show it.
    with contextlib.redirect_stdout(output):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise MigrationError(result.message or output.getvalue())
    # Tables added by later migrations get their data-version triggers too (HTTP caching).
    from piccolo.engine import engine_finder

    from registry.cache.version import ensure_version_triggers

    await ensure_version_triggers(engine_finder())
    applied = await applied_migrations() - before
    # The shipped label taxonomy, on every install: only the labels still missing (registry.labels.service).
    from registry.labels.service import install_taxonomy

    await install_taxonomy()
    return applied

