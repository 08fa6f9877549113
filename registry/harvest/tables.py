from piccolo.columns import Float, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class HarvestRun(Table, tablename="ami_harvest_run"):
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)
    mode = Varchar(length=10, default="check")  # check | full
    trigger = Varchar(length=20, default="cli")  # cli | scheduler | api
    requests = Integer(default=0)
    # Responses other than 304: the ones GitHub counts against the quota.
    rate_limited_requests = Integer(default=0)
    not_modified = Integer(default=0)
    rate_limit_remaining = Integer(null=True, default=None)
    duration_seconds = Float(default=0.0)
    repositories = Integer(default=0)
    unchanged = Integer(default=0)
    changed = Integer(default=0)
    failed = Integer(default=0)
    deferred = Integer(default=0)
    summary = Text(default="")
