"""The `ami` command line."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from app.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


def current_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        click.echo(f"Erreur de configuration : {error}", err=True)
        sys.exit(2)


def run_with_database(work: Callable[[], Awaitable[T]], settings: Settings | None = None) -> T:
    """Runs a coroutine with every table pointed at the configured database."""
    from registry.db import is_postgres, make_engine, use_engine

    settings = settings or current_settings()
    engine = make_engine(settings.database)
    use_engine(engine)

    async def pooled() -> T:
        if not is_postgres(engine):
            return await work()
        # A pool for the command's queries too (without one, asyncpg opens a connection per query).
        await engine.start_connection_pool(min_size=1, max_size=4)
        try:
            return await work()
        finally:
            await engine.close_connection_pool()

    return asyncio.run(pooled())


@click.group(help="AMI Algorithmes ouverts : appels, candidatures, évaluations et registre public.")
def main() -> None:
    pass


@main.command(help="Lance l'application web (et l'ordonnanceur sauf si AMI_SCHEDULER=off).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processus uvicorn partageant le port (l'ordonnanceur ne tourne que dans un seul).")
def serve(host: str, port: int, workers: int) -> None:
    """N worker processes share the socket (uvicorn's supervisor restarts any that dies); each builds
    its own app and engine, and the scheduler's election (app.scheduler) keeps one leader."""
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    current_settings()  # fail now, naming the bad key, rather than inside a worker
    log_config = copy.deepcopy(LOGGING_CONFIG)  # the app's own log lines (scheduler, harvests) too
    for name in ("ami", "app", "registry", "harvesters"):
        log_config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run("app.factory:create_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, log_level="info", log_config=log_config,
                # A worker still importing the app on a busy machine is not a dead one.
                timeout_worker_healthcheck=60)


@main.command(help="Applique les migrations de la base (sans effet si elles le sont déjà).")
def migrate() -> None:
    from registry.migrate import migrate_all

    settings = current_settings()
    applied = run_with_database(migrate_all, settings)
    target = settings.database.sqlite_path or "PostgreSQL"
    click.echo(f"Base {target} : {applied} migration(s) appliquée(s), schéma à jour.")


@main.command(help="Charge les données de démonstration (sans effet si elles le sont déjà).")
def demo() -> None:
    from registry.demo import DEMO_ACCOUNTS, load_demo

    for line in run_with_database(load_demo):
        click.echo(line)
    click.echo("\nComptes de démonstration (adresse / mot de passe) :")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.role:<10} {account.email:<28} {account.password}")


@main.group(help="Comptes utilisateurs.")
def users() -> None:
    pass


@users.command("create", help="Crée un compte ; avec --token, affiche un jeton d'API sur la dernière ligne.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["applicant", "reviewer", "manager", "admin"]))
@click.option("--password", default=None, help="Sans mot de passe, le compte passe par « mot de passe oublié ».")
@click.option("--token", is_flag=True, help="Crée aussi un jeton d'API personnel et l'affiche.")
def users_create(email: str, name: str, roles: tuple[str, ...], password: str | None, token: bool) -> None:
    from registry.accounts.service import create_api_token, create_user
    from registry.errors import InvalidInput

    async def work() -> tuple[Any, str | None]:
        user = await create_user(email=email, name=name, password=password, roles=list(roles), verified=True)
        return user, (await create_api_token(user.id, name="ligne de commande") if token else None)

    try:
        user, api_token = run_with_database(work)
    except InvalidInput as error:
        for item in error.errors:
            click.echo(f"--{item.field}: {item.message}", err=True)
        sys.exit(2)
    click.echo(f"Compte créé : {user.email} ({', '.join(roles)})")
    if api_token:
        click.echo(api_token)


@main.group(help="Journal d'audit.")
def audit() -> None:
    pass


@audit.command("verify", help="Vérifie la chaîne de hachage, les sceaux et l'ancre du journal d'audit.")
def audit_verify() -> None:
    from registry.audit.log import inspect_chain

    settings = current_settings()
    report = run_with_database(lambda: inspect_chain(settings.var_dir), settings)
    for problem in report.problems:
        where = f"entrée {problem.entry_id} (n° {problem.seq})" if problem.entry_id is not None else "journal"
        click.echo(f"{where} : [{problem.kind}] {problem.reason}")
    if report.problems:
        click.echo(f"Journal altéré : {len(report.problems)} problème(s) sur {report.count} entrées.", err=True)
    else:
        click.echo(f"Journal intact : {report.count} entrées vérifiées.")
    click.echo(f"Tête : n° {report.head.seq} {report.head.hash}" if report.head else "Tête : journal vide")
    anchor = report.anchor
    click.echo(f"Ancre ({report.anchor_path}) : "
               + (f"n° {anchor.seq} {anchor.hash}, {anchor.count} entrées" if anchor else "aucune"))
    if not report.sealed:
        click.echo("Sceaux non vérifiés : AMI_SECRET_KEY n'est pas défini.")
    if report.problems:
        sys.exit(1)


# Command groups contributed by other areas, registered when present.
for module_name, attribute in (("app.commands.licence", "licence"), ("app.commands.harvest", "harvest"),
                               ("app.commands.export", "export")):
    try:
        main.add_command(getattr(importlib.import_module(module_name), attribute))
    except ModuleNotFoundError:
        pass


if __name__ == "__main__":
    main()
