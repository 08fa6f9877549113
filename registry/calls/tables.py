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


class Call(Table, tablename="ami_call"):
    slug = Varchar(length=80, unique=True, index=True)
    title_fr = Varchar(length=300)
    title_en = Varchar(length=300, default="")
    description_fr = Text(default="")
    description_en = Text(default="")
    eligibility_fr = Text(default="")
    eligibility_en = Text(default="")
    budget_total = Integer(default=0)
    amount_min = Integer(default=0)
    amount_max = Integer(default=0)
    opens_at = Timestamptz()
    closes_at = Timestamptz()
    # SPDX ids; empty means the authorised list of CRPA art. D.323-2-1.
    licence_policy = JSON(default=[])
    blind = Boolean(default=False)
    reviews_per_application = Integer(default=2)
    reviews_visibility = Varchar(length=20, default="after_own")
    # When reviews are due (an assignment's own due_at wins); reminders go out before it.
    reviews_due_at = Timestamptz(null=True, default=None)
    # The call's own questions (registry/calls/questions.py), ordered; frozen once an application
    # is submitted: a change then stores a new version, earlier ones kept in question_versions
    # as [{"version": n, "questions": [...], "replaced_at": iso}].
    questions = JSON(default=[])
    questions_version = Integer(default=1)
    question_versions = JSON(default=[])
    # Stored phase; "upcoming/open/closed" are derived from the dates while published.
    status = Varchar(length=20, default="draft", index=True)
    published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)


class Criterion(Table, tablename="ami_criterion"):
    call = ForeignKey(references=Call, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    name = Varchar(length=200)
    description = Text(default="")
    description_en = Text(default="")
    # Score anchors: [{"score": int, "label": str, "label_en": str}], what each level means.
    anchors = JSON(default=[])
    weight = Integer()
    scale_max = Integer(default=4)
    eliminatory_below = Float(null=True, default=None)
