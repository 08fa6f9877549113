"""`ami harvest run` and `ami harvest status`."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

import click

from app.scheduler import harvest_config
from app.settings import load_settings
from registry.harvest.timefmt import PARIS

BUSY_EXIT_CODE = 75  # EX_TEMPFAIL: another harvest run holds the lock; try again later


def _use_database() -> None:
    os.environ.setdefault("PICCOLO_CONF", "registry.piccolo_conf")
    from registry.db import make_engine, use_engine

    use_engine(make_engine(load_settings().database))


def _when(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if moment else "jamais"


@click.group("harvest")
def harvest() -> None:
    """Collecte des dépôts des projets financés."""


@harvest.command("run")
@click.option("--project", "project_slug", default=None, help="Seulement les dépôts de ce projet.")
@click.option("--all", "everything", is_flag=True, help="Tous les dépôts, même non échus (collecte complète).")
def run_command(project_slug: str | None, everything: bool) -> None:
    """Collecte maintenant ; code de sortie 0 même si des dépôts échouent, 75 sans rien collecter si une
    autre collecte est en cours."""
    from harvesters.run import run_harvest
    from registry.harvest.lock import HarvestAlreadyRunning
    from registry.harvest.queries import project_exists

    settings = load_settings()
    config = harvest_config(settings)
    _use_database()
    from app.scheduler import _mailer

    _mailer(settings)  # milestones met after the harvest mail the managers (queue_mail)
    interactive = sys.stdout.isatty()

    async def main() -> str:
        if project_slug is not None and not await project_exists(project_slug):
            raise click.UsageError(f"--project {project_slug!r} : projet inconnu")
        bar: list[object] = []

        def on_start(total: int) -> None:
            if interactive and total:
                progress = click.progressbar(length=total, label="Collecte")
                progress.__enter__()
                bar.append(progress)

        def on_progress(*_: object) -> None:
            if bar:
                bar[0].update(1)  # type: ignore[attr-defined]

        try:
            report = await run_harvest(config, full=everything or project_slug is not None,
                                       project_slug=project_slug, everything=everything,
                                       trigger="cli", on_start=on_start, on_progress=on_progress)
        finally:
            if bar:
                bar[0].__exit__(None, None, None)  # type: ignore[attr-defined]
        return report.summary

    try:
        summary = asyncio.run(main())
    except HarvestAlreadyRunning as busy:
        click.echo(busy.detail, err=True)
        sys.exit(BUSY_EXIT_CODE)
    click.echo(summary)


@harvest.command("status")
@click.option("--project", "project_slug", default=None)
def status_command(project_slug: str | None) -> None:
    """Une ligne par dépôt : dernier succès, dernière erreur, prochain passage."""
    from registry.harvest.queries import repository_statuses

    _use_database()
    statuses = asyncio.run(repository_statuses(project_slug=project_slug))
    if not statuses:
        click.echo("Aucun dépôt enregistré.")
    for status in statuses:
        error = status.last_error or "aucune erreur"
        gone = " [supprimé]" if status.gone else ""
        click.echo(f"{status.project_slug}  {status.url}{gone}  succès : {_when(status.last_success_at)}"
                   f"  erreur : {error}  prochain : {_when(status.next_attempt_at)}")
