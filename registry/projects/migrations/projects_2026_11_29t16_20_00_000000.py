from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints the ORM cannot declare"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="projects", description=DESCRIPTION)

    async def unique_pairs():
        engine = engine_finder()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX ami_project_label_unique ON ami_project_label (project, label)"
        )
        await engine.run_ddl(
            "CREATE UNIQUE INDEX ami_release_unique ON ami_release (repository, tag)"
        )

    manager.add_raw(unique_pairs)


    return manager
