from piccolo.columns import Integer, Text, Varchar
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
