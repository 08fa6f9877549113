from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints the ORM cannot declare"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def append_only():
        engine = engine_finder()
        if engine.engine_type == "sqlite":
            await engine.run_ddl(
                "CREATE TRIGGER ami_audit_entry_append_only BEFORE UPDATE ON ami_audit_entry "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        else:
            await engine.run_ddl(
                "CREATE FUNCTION ami_audit_entry_append_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql"
            )
            await engine.run_ddl(
                "CREATE TRIGGER ami_audit_entry_append_only BEFORE UPDATE ON ami_audit_entry "
                "FOR EACH ROW EXECUTE FUNCTION ami_audit_entry_append_only()"
            )

    manager.add_raw(append_only)


    return manager
