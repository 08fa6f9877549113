from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T17:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes matching the registry's three sort orders"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="projects", description=DESCRIPTION)

    async def sort_indexes():
        engine = engine_finder()
        # SQLite already sorts NULLs last in DESC order; PostgreSQL must be told, or it will not use the index.
        nulls_last = "" if engine.engine_type == "sqlite" else " NULLS LAST"
        await engine.run_ddl(
            f"CREATE INDEX ami_project_order_recent ON ami_project (latest_release_at DESC{nulls_last}, id DESC)"
        )
        await engine.run_ddl("CREATE INDEX ami_project_order_name ON ami_project (sort_name, id)")
        await engine.run_ddl("CREATE INDEX ami_project_order_funding ON ami_project (amount_granted DESC, id)")

    manager.add_raw(sort_indexes)

    return manager
