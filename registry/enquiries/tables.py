"""Private enquiries about a call and the public FAQ entries that answer them."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from registry.accounts.tables import User
from registry.applications.tables import Application
from registry.calls.tables import Call

ENQUIRY_STATES = ("open", "answered")


class FaqEntry(Table, tablename="ami_faq_entry"):
    """A published question and answer on a call's public page (withdrawn entries are kept, hidden)."""

    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, index=True)
    question = Text()
    answer = Text()
    published_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    published_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)


class Enquiry(Table, tablename="ami_enquiry"):
    """An applicant's private question: seen by its author and the programme's managers only."""

    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    question = Text()
    state = Varchar(length=20, default="open", index=True)
    faq_entry = ForeignKey(references=FaqEntry, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    answered_at = Timestamptz(null=True, default=None)


CORRECTION_STATES = ("open", "resubmitted", "expired")


class CorrectionRequest(Table, tablename="ami_correction_request"):
    """A manager's request for changes on a submitted application (« demande de correction »): the
    application reopens for its applicants until the end of `due_on` (Paris time)."""

    application = ForeignKey(references=Application, on_delete=OnDelete.cascade,
                             index=True)
    requested_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    message = Text()
    due_on = Date()
    visible_to_reviewers = Boolean(default=False)
    return_state = Varchar(length=20, default="submitted")  # where resubmission or expiry takes it back
    state = Varchar(length=20, default="open", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


class CorrectionMessage(Table, tablename="ami_correction_message"):
    """One item of a correction's thread after the request: a reply, the resubmission, the expiry."""

    correction = ForeignKey(references=CorrectionRequest, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    kind = Varchar(length=20, default="reply")  # reply | resubmitted | expired
    message = Text(default="")
    version = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
