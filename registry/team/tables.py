"""A funded project's team (members, leads) and the pending invitations to join it."""

from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from registry.accounts.tables import User
from registry.projects.tables import Project

ROLES = ("lead", "member")


class ProjectMember(Table, tablename="ami_project_member"):
    """Unique (project, user): a raw index in the app's first migration."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=10, default="member")
    added_at = Timestamptz(default=TimestamptzNow())


class TeamInvitation(Table, tablename="ami_team_invitation"):
    """Single-use: only the token's SHA-256 is kept; accepted_at/revoked_at close it."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=320, index=True)
    role = Varchar(length=10, default="member")
    token_hash = Varchar(length=64, unique=True, index=True)
    invited_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
