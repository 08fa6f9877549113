from piccolo.columns import BigInt, Timestamptz
from piccolo.table import Table


class DataVersion(Table, tablename="ami_data_version"):
    """A single row: `version` goes up with every write (see registry.cache.version)."""

    version = BigInt(default=0)
    changed_at = Timestamptz()
