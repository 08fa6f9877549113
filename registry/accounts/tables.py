from piccolo.columns import (
    Boolean,
    ForeignKey,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ROLES = ("applicant", "reviewer", "manager", "admin")


class User(Table, tablename="ami_user"):
    email = Varchar(length=320, unique=True, index=True)
    name = Varchar(length=200)
    password_hash = Text(default="")
    organisation = Varchar(length=300, default="")
    locale = Varchar(length=5, default="fr")
    email_verified_at = Timestamptz(null=True, default=None)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class UserRole(Table, tablename="ami_user_role"):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=20)
    granted_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="ami_session"):
    """Server-side sessions: the cookie holds a random token, the table its SHA-256."""

    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    data = Text(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    last_seen_at = Timestamptz(default=TimestamptzNow())
    user_agent = Varchar(length=300, default="")


class ApiToken(Table, tablename="ami_api_token"):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    # The token whose bearer created this one (None when made from a session or the CLI): revoking a
    # token revokes every token made with it.
    parent = ForeignKey(references="self", on_delete=OnDelete.cascade, null=True, default=None, index=True)


class EmailToken(Table, tablename="ami_email_token"):
    """One-time links sent by email (address verification, password reset)."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=20)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class RateLimitHit(Table, tablename="ami_rate_limit_hit"):
    """Shared by every process, so a limit holds behind a load balancer."""

    key = Varchar(length=200, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
