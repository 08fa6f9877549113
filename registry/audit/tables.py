from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="ami_audit_entry"):
    """Append-only; each row's hash covers all its columns and the previous row's hash.

    Migrations add what the ORM cannot declare: a unique index on seq, and triggers refusing
    UPDATE and DELETE (and TRUNCATE on PostgreSQL).
    """

    at = Timestamptz(default=TimestamptzNow())
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=320, default="")
    action = Varchar(length=80, index=True)
    object_type = Varchar(length=40, default="")
    object_id = Varchar(length=80, default="")
    data = Text(default="{}")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64, unique=True)
    # 1, 2, 3… with no gap, so a removed row shows even where the hashes were recomputed.
    seq = Integer(default=0)
    # HMAC-SHA256 of `hash` under AMI_SECRET_KEY: recomputing hashes without the key shows.
    seal = Varchar(length=64, default="")
