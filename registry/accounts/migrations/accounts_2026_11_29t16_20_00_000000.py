from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints the ORM cannot declare"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def unique_roles():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX ami_user_role_unique ON ami_user_role (user, role)"
            if engine_finder().engine_type == "sqlite"
            else 'CREATE UNIQUE INDEX ami_user_role_unique ON ami_user_role ("user", role)'
        )

    manager.add_raw(unique_roles)


    return manager
