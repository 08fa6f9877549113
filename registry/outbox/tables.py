from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

STATES = ("queued", "sending", "sent", "failed")


class OutboxMessage(Table, tablename="ami_outbox_message"):
    """One mail, rendered when its cause committed; delivered afterwards, with retries."""

    created_at = Timestamptz(default=TimestamptzNow())
    recipient = Varchar(length=320)
    subject = Varchar(length=300)
    body = Text()
    language = Varchar(length=8, default="fr")
    template = Varchar(length=60)
    # A body carrying a secret link (password reset, address check) is never shown on a page.
    secret = Boolean(default=False)
    # What caused it, e.g. "application" / "12" (the audit log says the rest).
    object_type = Varchar(length=40, default="")
    object_id = Varchar(length=80, default="")
    message_id = Varchar(length=200, unique=True)
    state = Varchar(length=16, default="queued", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_attempt_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
