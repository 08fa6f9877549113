from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique composite indexes the ORM cannot declare"

_INDEXES = (
    ("ami_reminder_sent_unique", "ami_reminder_sent", "application, kind"),
    ("ami_application_version_unique", "ami_application_version", "application, number"),
    ("ami_co_applicant_unique", "ami_co_applicant", "application, email"),
    ("ami_application_label_unique", "ami_application_label", "application, label"),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="applications", description=DESCRIPTION)

    async def unique_indexes():
        for name, table, columns in _INDEXES:
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")

    manager.add_raw(unique_indexes)
    return manager
