"""Progress reports and the per-call schedules that request them."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from registry.accounts.tables import User
from registry.calls.tables import Call
from registry.projects.tables import Project

REPORT_STATES = ("requested", "draft", "submitted", "accepted", "more_requested")
# The states in which the project's members may write (and are reminded).
OPEN_REPORT_STATES = ("requested", "draft", "more_requested")
CONTENT_FIELDS = ("summary", "achievements", "difficulties", "next_steps", "data_ethics")


class Report(Table, tablename="ami_report"):
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    due_on = Date(index=True)
    period_label = Varchar(length=200, default="")
    period_start = Date(null=True, default=None)
    period_end = Date(null=True, default=None)
    state = Varchar(length=20, default="requested", index=True)
    summary = Text(default="")
    achievements = Text(default="")
    difficulties = Text(default="")
    next_steps = Text(default="")
    data_ethics = Text(default="")
    request_note = Text(default="")  # the manager's request
    feedback = Text(default="")  # the manager's last message (acceptance or request for more)
    published = Boolean(default=False)
    published_at = Timestamptz(null=True, default=None)
    # The nth period of the call's schedule that created it (None: requested by hand).
    schedule_period = Integer(null=True, default=None)
    requested_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    requested_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    revision = Integer(default=0)
    # Reminders, each claimed once (UPDATE … WHERE … IS NULL).
    reminded_7d_at = Timestamptz(null=True, default=None)
    reminded_1d_at = Timestamptz(null=True, default=None)
    reminded_late_at = Timestamptz(null=True, default=None)


class ReportSchedule(Table, tablename="ami_report_schedule"):
    """Every `every_months` months from a funded project's release date, a report is requested
    `lead_days` before the end of the period, due on that end."""

    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, unique=True, index=True)
    every_months = Integer(default=6)
    lead_days = Integer(default=30)
    active = Boolean(default=True)
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
