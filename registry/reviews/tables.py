from piccolo.columns import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from registry.accounts.tables import User
from registry.applications.tables import Application
from registry.calls.tables import Call

CONFLICT_KINDS = ("collaborator", "same_institution", "personal", "financial", "other")


class ReviewerProfile(Table, tablename="ami_reviewer_profile"):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    # Empty means the organisation of the user account.
    organisation = Varchar(length=300, default="")
    expertise = JSON(default=[])  # label slugs
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class Assignment(Table, tablename="ami_assignment"):
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, index=True)
    reviewer = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    state = Varchar(length=20, default="assigned", index=True)
    automatic = Boolean(default=False)
    reason = Text(default="")
    assigned_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    assigned_at = Timestamptz(default=TimestamptzNow())
    due_at = Timestamptz(null=True, default=None)
    declared_at = Timestamptz(null=True, default=None)
    confidentiality_attested = Boolean(default=False)
    conflict_kind = Varchar(length=20, default="")
    conflict_note = Text(default="")
    # Due-date reminders, each claimed once (UPDATE … WHERE … IS NULL).
    reminded_3d_at = Timestamptz(null=True, default=None)
    reminded_1d_at = Timestamptz(null=True, default=None)


class Review(Table, tablename="ami_review"):
    assignment = ForeignKey(references=Assignment, on_delete=OnDelete.cascade, unique=True, index=True)
    state = Varchar(length=20, default="draft", index=True)
    # {criterion name: number | null}; null is "not applicable".
    scores = JSON(default={})
    score = Float(null=True, default=None)  # the review's 0–100 score, kept for listings
    comment_applicant = Text(default="")
    comment_committee = Text(default="")
    # {criterion name: comment}, optional, for the committee (never sent to the applicant).
    criterion_comments = JSON(default={})
    confidence = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    reopened_at = Timestamptz(null=True, default=None)
    reopened_count = Integer(default=0)
    reopen_reason = Text(default="")


class Decision(Table, tablename="ami_decision"):
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, unique=True, index=True)
    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, index=True)
    outcome = Varchar(length=10)  # funded | rejected
    amount = Integer(null=True, default=None)
    reason = Text(default="")
    state = Varchar(length=20, default="prepared", index=True)
    prepared_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    prepared_at = Timestamptz(default=TimestamptzNow())
    released_at = Timestamptz(null=True, default=None)
    project_id = Integer(null=True, default=None)
