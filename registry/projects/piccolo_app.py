from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="projects",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=table_finder(["registry.projects.tables"], exclude_imported=True),
    migration_dependencies=["registry.calls.piccolo_app", "registry.labels.piccolo_app"],
    commands=[],
)
