from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "full-text search and facet indexes"

SQLITE = [
    # Accents and case are folded by the tokenizer; French stems are computed in Python (search.py).
    "CREATE VIRTUAL TABLE ami_project_fts USING fts5(body, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ami_project_fts_delete AFTER DELETE ON ami_project "
    "BEGIN DELETE FROM ami_project_fts WHERE rowid = old.id; END",
]
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TABLE ami_project_search (project integer PRIMARY KEY REFERENCES ami_project (id) "
    "ON DELETE CASCADE, document tsvector NOT NULL)",
    "CREATE INDEX ami_project_search_document ON ami_project_search USING gin (document)",
]
COMMON = [
    "CREATE UNIQUE INDEX ami_project_facet_lookup ON ami_project_facet (kind, value, project)",
    "CREATE INDEX ami_release_repository_published ON ami_release (repository, published_at)",
    "CREATE INDEX ami_project_amount ON ami_project (amount_granted)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="projects", description=DESCRIPTION)

    async def search_structures():
        engine = engine_finder()
        for statement in (SQLITE if engine.engine_type == "sqlite" else POSTGRES) + COMMON:
            await engine.run_ddl(statement)

    manager.add_raw(search_structures)

    return manager
