from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index for the facet counts of a set of projects"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="projects", description=DESCRIPTION)

    async def facet_covering_index():
        engine = engine_finder()
        # Counting the facets of the matching ids reads this index alone (no table lookups).
        await engine.run_ddl("CREATE INDEX ami_project_facet_by_project ON ami_project_facet (project, kind, value)")

    manager.add_raw(facet_covering_index)

    return manager
