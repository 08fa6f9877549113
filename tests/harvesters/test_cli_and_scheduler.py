from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from registry.harvest.queries import recent_runs, repository_statuses

from .conftest import add_repository, sample_repo
from .fakes import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from app.commands.harvest import harvest; harvest()", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "AMI_ALLOW_LOOPBACK_FORGES": "on", "AMI_PRODUCTION": "off", **env},
    )


async def test_cli_run_prints_summary_and_exits_zero_on_failures(db, fake_github: FakeGitHub) -> None:
    fake_github.add(sample_repo())
    await add_repository("https://github.com/hdh/pseudo")
    await add_repository("https://github.com/hdh/missing", slug="other")
    fake_github.add(sample_repo(name="broken", id=3))
    await add_repository("https://github.com/hdh/broken", slug="third")
    fake_github.fault("^/repos/hdh/broken$", "status:502")

    done = _run(["run", "--all"], AMI_GITHUB_API_URL=fake_github.base)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "3 dépôts : 0 à jour, 1 modifié, 2 en échec"
    runs = await recent_runs()
    assert [(r.trigger, r.mode, r.repositories, r.changed, r.failed) for r in runs] == [
        ("cli", "full", 3, 1, 2)]
    statuses = {s.url: s for s in await repository_statuses()}
    assert statuses["https://github.com/hdh/missing"].gone is True
    assert statuses["https://github.com/hdh/broken"].last_error.startswith(
        "GitHub a répondu 502 (erreur du serveur) trois fois ; nouvel essai ")

    status = _run(["status"])
    lines = status.stdout.strip().splitlines()
    assert status.returncode == 0 and len(lines) == 3
    assert lines[0].startswith("other  https://github.com/hdh/missing [supprimé]  succès : jamais")


async def test_cli_run_unknown_project_is_a_usage_error(db) -> None:
    done = _run(["run", "--project", "nope"])
    assert done.returncode == 2 and "--project 'nope' : projet inconnu" in done.stderr


SCHEDULER_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from app.settings import load_settings
    from app.scheduler import start_scheduler

    async def main():
        handle = start_scheduler(load_settings())
        print("leader" if handle.is_leader else "follower", flush=True)
        if handle.is_leader:
            print(sorted(job.id for job in handle.scheduler.get_jobs()), flush=True)
        if sys.argv[1] == "hold":
            await asyncio.to_thread(sys.stdin.readline)
        handle.shutdown()

    asyncio.run(main())
""")


def test_exactly_one_scheduler_runs_across_processes(db) -> None:
    env = {**os.environ, "AMI_SCHEDULER": "on"}
    first = subprocess.Popen([sys.executable, "-c", SCHEDULER_SCRIPT, "hold"], cwd=ROOT, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "leader"
    # Read through the same buffered reader: communicate() reads the pipe directly and would miss
    # a line the reader had already buffered.
    jobs = first.stdout.readline().strip()
    second = subprocess.run([sys.executable, "-c", SCHEDULER_SCRIPT, "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    out, err = first.communicate("stop\n", timeout=60)
    assert second.stdout.strip() == "follower", second.stderr
    # Other areas add their own jobs (reminders, outbox); these are the harvest ones.
    assert [job for job in ast.literal_eval(jobs) if job.startswith("harvest-")] == [
        "harvest-check", "harvest-full"], err
    assert first.returncode == 0
    # Once the leader is gone, the next process is elected.
    third = subprocess.run([sys.executable, "-c", SCHEDULER_SCRIPT, "0"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert third.stdout.splitlines()[0] == "leader", third.stderr


def test_scheduler_off_starts_nothing() -> None:
    from app.scheduler import start_scheduler
    from app.settings import load_settings

    handle = start_scheduler(load_settings({"AMI_SCHEDULER": "off"}))
    assert handle.is_leader is False and handle.election is None
    handle.shutdown()
