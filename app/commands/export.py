"""`ami export`: the registry's open data (etalab-2.0), as the /exports/ URLs serve it."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click


@click.group("export", help="Exporte les données ouvertes du registre (Licence Ouverte / etalab-2.0).")
def export() -> None:
    pass


@export.command("projects", help="Tous les projets financés, en CSV ou en JSON.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Fichier à écrire (par défaut : la sortie standard).")
def export_projects(fmt: str, output: Path | None) -> None:
    from app.cli import current_settings, run_with_database
    from registry.projects import exports
    from registry.projects.browse import parse_browse_query
    from registry.projects.queries import all_matching

    settings = current_settings()

    async def work() -> list[dict]:
        return await exports.add_funding(await all_matching(parse_browse_query({})))

    items = run_with_database(work, settings)
    if fmt == "csv":
        text = exports.projects_csv(items, settings.base_url)
    else:
        document = exports.projects_json(items, settings.base_url, datetime.now(UTC))
        text = json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(items)} projets exportés dans {output} ({fmt}, licence etalab-2.0)", err=True)
