"""The data version's row, and the triggers that bump it on every table public pages show.

Piccolo runs a migration's raw steps before its tables, hence a migration of its own after the
table's. registry.migrate.migrate_all runs the same (idempotent) step after every migration, so
tables added later get their triggers too.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T13:05:33:000000"
VERSION = "1.38.0"
DESCRIPTION = "data version row and triggers"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cache", description=DESCRIPTION)

    async def row_and_triggers():
        from piccolo.engine import engine_finder

        from registry.cache.version import ensure_version_triggers

        await ensure_version_triggers(engine_finder())

    manager.add_raw(row_and_triggers)
    return manager
