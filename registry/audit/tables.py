from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="ami_audit_entry"):
    """Append-only; each row's hash covers its content and the previous row's hash."""

    at = Timestamptz(default=TimestamptzNow())
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=320, default="")
    action = Varchar(length=80, index=True)
    object_type = Varchar(length=40, default="")
    object_id = Varchar(length=80, default="")
    data = Text(default="{}")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64, unique=True)
