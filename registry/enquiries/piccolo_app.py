from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="enquiries",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=table_finder(["registry.enquiries.tables"], exclude_imported=True),
    migration_dependencies=["registry.accounts.piccolo_app", "registry.calls.piccolo_app",
                           "registry.applications.piccolo_app"],
    commands=[],
)
