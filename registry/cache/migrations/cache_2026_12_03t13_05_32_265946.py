"""The data version table (its row and triggers: the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T13:05:32:265946"
VERSION = "1.38.0"
DESCRIPTION = "data version for HTTP caching"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="cache", description=DESCRIPTION
    )

    manager.add_table(
        class_name="DataVersion",
        tablename="ami_data_version",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="DataVersion",
        tablename="ami_data_version",
        column_name="version",
        db_column_name="version",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="DataVersion",
        tablename="ami_data_version",
        column_name="changed_at",
        db_column_name="changed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
