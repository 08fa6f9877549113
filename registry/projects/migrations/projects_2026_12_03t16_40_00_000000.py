from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "milestones: planned becomes pending, a version target becomes a release deliverable"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="projects", description=DESCRIPTION)

    async def old_statuses():
        engine = engine_finder()
        await engine.run_ddl("UPDATE ami_milestone SET status = 'pending' WHERE status = 'planned'")
        await engine.run_ddl(
            "UPDATE ami_milestone SET kind = 'release', min_version = expected_version WHERE expected_version <> ''"
        )

    manager.add_raw(old_statuses)

    return manager
