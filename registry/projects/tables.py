from piccolo.columns import (
    JSON,
    Boolean,
    Date,
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

from registry.calls.tables import Call
from registry.labels.tables import Label


class Project(Table, tablename="ami_project"):
    slug = Varchar(length=120, unique=True, index=True)
    title = Varchar(length=300)
    public_title = Varchar(length=300, default="")
    public_summary = Text(default="")
    description = Text(default="")
    call = ForeignKey(references=Call, on_delete=OnDelete.set_null, null=True, index=True)
    application_id = Integer(null=True, default=None)
    amount_granted = Integer(default=0)
    decided_at = Timestamptz(null=True, default=None)
    organisation_name = Varchar(length=300, default="")
    organisation_siren = Varchar(length=9, default="")
    organisation_ror = Varchar(length=40, default="")
    team = JSON(default=[])
    declared_licence = Varchar(length=200, default="")
    status = Varchar(length=20, default="active", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Denormalised by registry.projects.search.refresh_search_index, for sorting and listing.
    sort_name = Varchar(length=300, default="", index=True)
    latest_release_at = Timestamptz(null=True, default=None, index=True)
    latest_release_tag = Varchar(length=200, default="")
    licence_expression = Varchar(length=300, default="")
    licence_compliant = Boolean(null=True, default=None)


class ProjectFacet(Table, tablename="ami_project_facet"):
    """One (kind, value) a project can be filtered and counted by: label, licence, language, forge…"""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)
    value = Varchar(length=200)


class ProjectLabel(Table, tablename="ami_project_label"):
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    label = ForeignKey(references=Label, on_delete=OnDelete.cascade, index=True)


class Repository(Table, tablename="ami_repository"):
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    url = Varchar(length=500)
    forge = Varchar(length=10)  # github | gitlab | git
    host = Varchar(length=200, default="")
    forge_id = Varchar(length=100, default="")
    full_name = Varchar(length=300, default="")
    default_branch = Varchar(length=200, default="")
    description = Text(default="")
    homepage = Varchar(length=500, default="")
    topics = JSON(default=[])
    languages = JSON(default={})
    stars = Integer(null=True, default=None)
    forks = Integer(null=True, default=None)
    archived = Boolean(default=False)
    last_push_at = Timestamptz(null=True, default=None)
    head_sha = Varchar(length=64, default="")
    readme_html = Text(default="")
    # Parsed codemeta.json, CITATION.cff and publiccode.yml, keyed by file name.
    metadata_files = JSON(default={})
    # File paths of the default branch seen by the last listing (root for the forges' APIs, the whole tree for Git).
    files = JSON(default=[])
    licence_forge = Varchar(length=100, default="")
    # Raw licence file texts keyed by path, for the detector.
    licence_texts = JSON(default={})
    gone = Boolean(default=False)
    moved_from = Varchar(length=500, default="")
    # Harvest state: validators (ETag / Last-Modified) per resource, outcome of the last runs.
    validators = JSON(default={})
    last_success_at = Timestamptz(null=True, default=None)
    last_attempt_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    last_error_at = Timestamptz(null=True, default=None)
    consecutive_failures = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Release(Table, tablename="ami_release"):
    repository = ForeignKey(references=Repository, on_delete=OnDelete.cascade, index=True)
    tag = Varchar(length=200)
    name = Varchar(length=300, default="")
    published_at = Timestamptz(null=True, default=None, index=True)
    notes_html = Text(default="")
    url = Varchar(length=500, default="")
    commit_sha = Varchar(length=64, default="")
    from_tag_only = Boolean(default=False)
    licence_expression = Varchar(length=200, default="")


class LicenceFinding(Table, tablename="ami_licence_finding"):
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    repository = ForeignKey(references=Repository, on_delete=OnDelete.cascade, null=True, index=True)
    release = ForeignKey(references=Release, on_delete=OnDelete.cascade, null=True)
    source = Varchar(length=30)  # forge_api | file | spdx_header | codemeta | publiccode | declared
    path = Varchar(length=500, default="")
    expression = Varchar(length=200)
    confidence = Float(default=1.0)
    detected_at = Timestamptz(default=TimestamptzNow())


class Milestone(Table, tablename="ami_milestone"):
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=300)
    due_on = Date(null=True, default=None)
    deliverable = Varchar(length=300, default="")
    expected_version = Varchar(length=50, default="")
    # Kept from the first model: `deliverable` is the free text, `expected_version` the old release target.
    status = Varchar(length=20, default="pending")  # pending | met | late | missed | waived
    verified_at = Timestamptz(null=True, default=None)  # last evaluation
    # Deliverable checked against harvested data (registry.projects.milestones).
    kind = Varchar(length=20, default="manual")  # release | licence | activity | file | manual
    min_version = Varchar(length=100, default="")
    path = Varchar(length=500, default="")
    since = Date(null=True, default=None)
    evidence = JSON(default={})
    met_at = Timestamptz(null=True, default=None)
    note = Text(default="")
    waived_reason = Text(default="")
    position = Integer(default=0)
    # Payment tranche: none when tranche_amount is NULL.
    tranche_amount = Integer(null=True, default=None)
    tranche_state = Varchar(length=20, default="")  # planned | due | approved | paid
    tranche_approved_at = Timestamptz(null=True, default=None)
    tranche_approved_by = Integer(null=True, default=None)
    tranche_paid_at = Timestamptz(null=True, default=None)
    tranche_paid_by = Integer(null=True, default=None)


class Result(Table, tablename="ami_result"):
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)  # publication | doi | dataset | swh | other
    title = Varchar(length=500)
    url = Varchar(length=500, default="")
    identifier = Varchar(length=200, default="")
    year = Integer(null=True, default=None)
