"""Synthetic registry: N projects, one repository each, R releases per repository, labels, facets, search index.

Rows are written in bulk (sqlite3 executemany / asyncpg COPY) with the same denormalised columns,
facets and search documents that registry.projects.search.refresh_search_index computes.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from registry.projects.search import stem_words

WORDS = (
    "données santé algorithme pseudonymisation cohorte hôpital entrepôt qualité synthétiques patients "
    "comptes rendus cliniques diabète cancer apprentissage fédéré interopérabilité registre épidémiologie "
    "médicaments parcours soins territoire indicateurs visualisation appariement"
).split()
LICENCES = (
    ("MIT", True),
    ("Apache-2.0", True),
    ("CECILL-B", True),
    ("BSD-3-Clause", True),
    ("EUPL-1.2", True),
    ("CC-BY-NC-4.0", False),
    ("GPL-2.0-only", False),
)
LANGUAGES = ("Python", "R", "Scala", "Java", "SQL")
FORGES = (("github", "github.com"), ("gitlab", "gitlab.com"))
NOW = datetime(2026, 11, 28, 6, tzinfo=UTC)


def build(
    projects: int, releases_per_project: int, label_ids: dict[str, int], call_id: int, seed: int = 7
) -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    slugs = list(label_ids)
    rows: dict[str, list[tuple[Any, ...]]] = {
        "project": [],
        "label": [],
        "repository": [],
        "release": [],
        "facet": [],
        "search": [],
    }
    release_id = 0
    for pid in range(1, projects + 1):
        words = rng.sample(WORDS, 6)
        title = f"Projet {pid} : {' '.join(words[:3])}"
        public_title = f"{words[3].capitalize()} et {words[4]} pour {words[5]} n°{pid}"
        summary = " ".join(rng.choices(WORDS, k=25))
        licence, compliant = rng.choice(LICENCES)
        language = rng.choice(LANGUAGES)
        forge, host = rng.choice(FORGES)
        labels = rng.sample(slugs, 3)
        latest = NOW - timedelta(days=rng.randint(0, 900))
        amount = rng.randrange(20_000, 200_000, 1000)
        rows["project"].append(
            (
                pid,
                f"p-{pid:05d}",
                title,
                public_title,
                summary,
                call_id,
                amount,
                licence,
                public_title.lower(),
                latest,
                f"v1.{releases_per_project - 1}.0",
                licence,
                compliant,
                "Organisation de démonstration",
            )
        )
        rows["label"] += [(pid, label_ids[s]) for s in labels]
        url = f"https://{host}/bench/projet-{pid}"
        rows["repository"].append(
            (
                pid,
                pid,
                url,
                forge,
                host,
                f"bench/projet-{pid}",
                summary[:120],
                json.dumps({language: 1000}),
                rng.randint(0, 500),
                NOW - timedelta(hours=3),
            )
        )
        for r in range(releases_per_project):
            release_id += 1
            published = latest - timedelta(days=30 * (releases_per_project - 1 - r))
            rows["release"].append(
                (
                    release_id,
                    pid,
                    f"v1.{r}.0",
                    f"Version 1.{r}",
                    published,
                    f"<p>Notes de la version 1.{r} : {' '.join(rng.choices(WORDS, k=8))}</p>",
                    f"{url}/releases/tag/v1.{r}.0",
                )
            )
        facets = {("label", s) for s in labels} | {
            ("licence", licence),
            ("language", language),
            ("forge", forge),
            ("status", "active"),
            ("release", "yes"),
            ("call", str(call_id)),
            ("compliant", "true" if compliant else "false"),
        }
        rows["facet"] += [(pid, kind, value) for kind, value in sorted(facets)]
        document = "\n".join((title, public_title, summary))
        rows["search"].append((pid, document, " ".join(stem_words(document))))
    return rows


PROJECT_COLUMNS = (
    "id",
    "slug",
    "title",
    "public_title",
    "public_summary",
    "call",
    "amount_granted",
    "declared_licence",
    "sort_name",
    "latest_release_at",
    "latest_release_tag",
    "licence_expression",
    "licence_compliant",
    "organisation_name",
)
REPOSITORY_COLUMNS = (
    "id",
    "project",
    "url",
    "forge",
    "host",
    "full_name",
    "description",
    "languages",
    "stars",
    "last_success_at",
)
RELEASE_COLUMNS = ("id", "repository", "tag", "name", "published_at", "notes_html", "url")


def write_sqlite(path: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    import sqlite3

    def ts(value: Any) -> Any:
        return value.isoformat(" ") if isinstance(value, datetime) else value

    with sqlite3.connect(path) as db:

        def insert(table: str, columns: tuple[str, ...], data: list[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" * len(columns))
            names = ", ".join(f'"{c}"' for c in columns)
            db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [tuple(ts(v) for v in r) for r in data])

        insert("ami_project", PROJECT_COLUMNS, rows["project"])
        insert("ami_project_label", ("project", "label"), rows["label"])
        insert("ami_repository", REPOSITORY_COLUMNS, rows["repository"])
        insert("ami_release", RELEASE_COLUMNS, rows["release"])
        insert("ami_project_facet", ("project", "kind", "value"), rows["facet"])
        db.executemany(
            "INSERT INTO ami_project_fts (rowid, body) VALUES (?, ?)", [(r[0], r[2]) for r in rows["search"]]
        )
        db.execute("ANALYZE")


async def write_postgres(dsn: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table("ami_project", records=rows["project"], columns=PROJECT_COLUMNS)
        await connection.copy_records_to_table("ami_project_label", records=rows["label"], columns=("project", "label"))
        await connection.copy_records_to_table("ami_repository", records=rows["repository"], columns=REPOSITORY_COLUMNS)
        await connection.copy_records_to_table("ami_release", records=rows["release"], columns=RELEASE_COLUMNS)
        await connection.copy_records_to_table(
            "ami_project_facet", records=rows["facet"], columns=("project", "kind", "value")
        )
        await connection.executemany(
            "INSERT INTO ami_project_search (project, document) VALUES ($1, to_tsvector('french', unaccent($2)))",
            [(r[0], r[1]) for r in rows["search"]],
        )
        for table in ("ami_project", "ami_repository", "ami_release"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")  # what autovacuum would have done by now
    finally:
        await connection.close()
