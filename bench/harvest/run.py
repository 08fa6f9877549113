"""Harvest benchmark: a simulated GitHub of N repositories with injected latency.

Cycle 0 harvests everything; each next cycle changes 10 % of the repositories (a push to the
code under src/, and one in three also publishes a release) and runs the hourly check.
Usage: .venv/bin/python bench/harvest/run.py [--repos 1000] [--cycles 3] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_tmp = Path(tempfile.mkdtemp(prefix="ami-bench-harvest-"))
os.environ.setdefault("AMI_DATABASE_URL", f"sqlite:///{_tmp / 'bench.sqlite3'}")
os.environ["PICCOLO_CONF"] = "registry.piccolo_conf"

from tests.harvesters.fakes import FakeGitHub, FakeRepo  # noqa: E402


def serve(conn: Connection, repos: int, latency: float) -> None:
    """The fake forge, in its own process so that it does not share our GIL."""
    forge = FakeGitHub(latency=latency, limit=10_000_000).start()
    for i in range(repos):
        forge.add(FakeRepo(owner="bench", name=f"r{i}", id=i + 1,
                           tags=[("v1.0", f"{i:040x}", "2025-01-01T00:00:00Z",
                                  {"name": "1.0", "body": "", "published_at": "2025-01-01T00:00:00Z"})],
                           files={"README.md": f"# r{i}\n", "LICENSE": "MIT License\n"}))
    conn.send(forge.base)
    rng = random.Random(42)
    while (command := conn.recv()) != "stop":
        cycle = int(command)
        chosen = rng.sample(list(forge.repos.values()), repos // 10)
        for n, repo in enumerate(chosen):
            repo.pushed_at = f"2026-02-{cycle:02d}T{n % 24:02d}:00:00Z"
            repo.src_sha = f"{cycle:08x}{repo.id:032x}"
            if n % 3 == 0:
                repo.tags.append((f"v1.{cycle}", f"{cycle:08x}{repo.id:032x}", repo.pushed_at,
                                  {"name": f"1.{cycle}", "body": "", "published_at": repo.pushed_at}))
        conn.send(len(chosen))
    forge.stop()


async def main(args: argparse.Namespace) -> None:
    from harvesters.config import HarvestConfig
    from harvesters.run import run_harvest
    from registry.migrate import migrate_all
    from registry.projects.tables import Project, Repository

    await migrate_all()
    here, there = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(there, args.repos, args.latency), daemon=True)
    server.start()
    base = here.recv()
    project = Project(slug="bench", title="Bench")
    await project.save()
    await Repository.insert(*[Repository(project=project.id, url=f"https://github.com/bench/r{i}",
                                         forge="github") for i in range(args.repos)])
    config = HarvestConfig(github_api_url=base, allow_loopback=True,
                           concurrency=args.concurrency, rate_limit_reserve=0)
    print(f"{args.repos} dépôts, latence {args.latency * 1000:.0f} ms, concurrence {args.concurrency}")
    print(f"{'cycle':>5} {'requêtes':>9} {'quota':>7} {'304':>6} {'modifiés':>8} {'req/modifié':>11} "
          f"{'durée s':>8} {'borne s':>8} {'ratio':>6}")
    for cycle in range(args.cycles):
        simulated = 0
        if cycle:
            here.send(str(cycle))
            simulated = here.recv()
        started = time.monotonic()
        report = await run_harvest(config, everything=True, trigger="bench")
        wall = time.monotonic() - started
        t = report.totals
        bound = t.requests * args.latency / args.concurrency
        per_changed = t.rate_limited_requests / t.changed if t.changed else 0.0
        print(f"{cycle:>5} {t.requests:>9} {t.rate_limited_requests:>7} {t.not_modified:>6} "
              f"{t.changed:>8} {per_changed:>11.2f} {wall:>8.2f} {bound:>8.2f} {wall / bound:>6.2f}"
              + (f"   (simulés : {simulated})" if cycle else ""))
        assert t.failed == 0, report.summary
    here.send("stop")
    server.join(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    asyncio.run(main(parser.parse_args()))
