from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

CATEGORIES = ("theme", "data_source", "standard", "therapeutic_area")


class Label(Table, tablename="ami_label"):
    slug = Varchar(length=80, unique=True, index=True)
    category = Varchar(length=20, index=True)
    name_fr = Varchar(length=200)
    name_en = Varchar(length=200)
    description_fr = Text(default="")
    description_en = Text(default="")
    position = Integer(default=0)
    # Retired: kept on the projects and drafts that hold it, no longer offered nor accepted for new ones.
    retired_at = Timestamptz(null=True, default=None)


class LabelAlias(Table, tablename="ami_label_alias"):
    """The slug of a label merged into another: URLs, filters and feeds naming it resolve to `label`."""

    old_slug = Varchar(length=80, unique=True, index=True)
    label = ForeignKey(references=Label, null=False)
