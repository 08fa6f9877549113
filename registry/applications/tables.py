from piccolo.columns import (
    JSON,
    BigInt,
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
from registry.calls.tables import Call
from registry.labels.tables import Label


class Application(Table, tablename="ami_application"):
    """The working copy; submitted content is frozen in ApplicationVersion."""

    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, index=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    state = Varchar(length=20, default="draft", index=True)
    title = Varchar(length=300, default="")
    public_title = Varchar(length=300, default="")
    public_summary = Text(default="")
    description = Text(default="")
    requested_amount = Integer(null=True, default=None)
    repositories = JSON(default=[])
    licence = Varchar(length=300, default="")
    org_name = Varchar(length=300, default="")
    org_siren = Varchar(length=9, default="")
    org_ror = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    # Bumped at every save: a stale editor cannot overwrite newer text unnoticed.
    revision = Integer(default=0)
    # Draft values that did not pass validation, kept as typed until fixed:
    # {field: {"raw": value, "message": error}}; submission is refused while any remain.
    pending = JSON(default={})
    # Answers to the call's questions {key: value} and the questions version they answer
    # (set at submission; None while a draft follows the call's current version).
    answers = JSON(default={})
    questions_version = Integer(null=True, default=None)


class ApplicationVersion(Table, tablename="ami_application_version"):
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    submitted_at = Timestamptz()
    submitted_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    # The canonical JSON exactly as hashed (docs/calls-and-applications.md).
    content = Text()
    sha256 = Varchar(length=64)
    # The sworn statement ("attestation sur l'honneur") given at submission, as shown; "" if none.
    attestation = Text(default="")


class CoApplicant(Table, tablename="ami_co_applicant"):
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=320, index=True)
    invited_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Attachment(Table, tablename="ami_attachment"):
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    stored_name = Varchar(length=80, unique=True)
    size = BigInt()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class DetachedAttachment(Table, tablename="ami_attachment_detached"):
    """A file taken off a draft. Its bytes stay: if the draft is not resubmitted, the call's move to
    review puts the submitted version's files back (registry/applications/service.py)."""

    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    stored_name = Varchar(length=80, unique=True)
    size = BigInt()
    sha256 = Varchar(length=64, index=True)
    uploaded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    detached_at = Timestamptz(default=TimestamptzNow())


class ApplicationLabel(Table, tablename="ami_application_label"):
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    label = ForeignKey(references=Label, on_delete=OnDelete.cascade, index=True)


class ReminderSent(Table, tablename="ami_reminder_sent"):
    """One row per (application, kind): the unique index makes a second send impossible."""

    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10)
    sent_at = Timestamptz(default=TimestamptzNow())
    recipient = Varchar(length=320, default="")
