from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

# Last: its migration puts the version triggers on the tables the other apps created.
APP_CONFIG = AppConfig(
    app_name="cache",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=table_finder(["registry.cache.tables"], exclude_imported=True),
    migration_dependencies=[f"registry.{name}.piccolo_app" for name in (
        "accounts", "audit", "labels", "calls", "projects", "harvest", "applications", "reviews", "outbox")],
    commands=[],
)
