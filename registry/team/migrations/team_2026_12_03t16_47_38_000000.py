from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:47:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "one membership per person and project (the ORM cannot declare it)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="team", description=DESCRIPTION)

    async def unique_members():
        column = "user" if engine_finder().engine_type == "sqlite" else '"user"'
        await engine_finder().run_ddl(
            f"CREATE UNIQUE INDEX ami_project_member_unique ON ami_project_member (project, {column})")

    manager.add_raw(unique_members)

    return manager
