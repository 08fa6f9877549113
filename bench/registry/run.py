"""Registry benchmark, one command: `python bench/registry/run.py` (add --help for smaller sizes).

For each engine (SQLite, then PostgreSQL started by scripts/with-postgres.sh): migrate a fresh
database, generate N projects and N×R releases, start the real app under uvicorn on 127.0.0.1 with a
bare Litestar route beside it, then measure throughput and p50/p99 latency of the browse page
(search + two filters), /api/v1/projects, a project page, the Atom feed and the bare route, plus the
server's resident memory. Prints one table per engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Ratios compare throughput under the same concurrency.
ENDPOINTS = {
    "browse (q + 2 filtres)": "/projects?q=donnees+sante&label=snds&forge=github",
    "api /api/v1/projects": "/api/v1/projects",
    "project page": "/projects/p-{pid:05d}",
    "feed releases.atom": "/feeds/releases.atom",
    "bare route": "/bench/bare",
}
TARGET_P99_MS, TARGET_RATIO, TARGET_RSS_MB = 100.0, 0.30, 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


async def prepare(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from piccolo.engine import engine_finder

    from bench.registry import generate
    from registry.calls.tables import Call
    from registry.db import is_postgres, use_engine
    from registry.labels.tables import Label
    from registry.labels.taxonomy import load_taxonomy
    from registry.migrate import migrate_all

    engine = engine_finder()
    use_engine(engine)
    await migrate_all()
    await load_taxonomy()
    call = Call(
        slug="ami-bench",
        title_fr="AMI banc d'essai",
        opens_at=datetime(2025, 1, 1, tzinfo=UTC),
        closes_at=datetime(2025, 3, 1, tzinfo=UTC),
        status="decided",
    )
    await call.save()
    labels = {row["slug"]: row["id"] for row in await Label.select(Label.slug, Label.id)}
    started = time.perf_counter()
    rows = generate.build(args.projects, args.releases_per_project, labels, call.id)
    if is_postgres(engine):
        await generate.write_postgres(os.environ["AMI_DATABASE_URL"], rows)
    else:
        generate.write_sqlite(os.environ["AMI_DATABASE_URL"].removeprefix("sqlite:///"), rows)
    print(
        f"  données : {len(rows['project'])} projets, {len(rows['release'])} versions "
        f"en {time.perf_counter() - started:.1f} s",
        flush=True,
    )


async def measure(base: str, path: str, *, duration: float, concurrency: int, projects: int) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    counter = iter(range(10**9))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            url = path.format(pid=(next(counter) * 7919) % projects + 1)
            started = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await client.get(path.format(pid=1))  # warm-up
        begun = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - begun
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pick(0.50),
        "p99": pick(0.99),
        "errors": errors,
    }


def run_engine(args: argparse.Namespace, engine: str) -> dict:
    env = {
        **os.environ,
        "PICCOLO_CONF": "registry.piccolo_conf",
        "AMI_SCHEDULER": "off",
        "AMI_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "PYTHONPATH": str(ROOT),
    }
    workdir = Path(tempfile.mkdtemp(prefix="ami-bench-registry-"))
    env["AMI_VAR_DIR"] = str(workdir / "var")
    if engine == "sqlite":
        env["AMI_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        env["AMI_DATABASE_URL"] = os.environ["AMI_TEST_POSTGRES_URL"]
    subprocess.run([sys.executable, __file__, "--prepare", *args.passthrough], env=env, check=True, cwd=ROOT)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("server.py")), str(port)], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(200):  # bounded wait for start-up
            try:
                if httpx.get(f"{base}/bench/bare", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        results = {}
        for name, path in ENDPOINTS.items():
            # Latency alone (one client), then throughput under concurrency: a queue of N clients on one
            # process would otherwise show N times the service time as "latency".
            alone = asyncio.run(measure(base, path, duration=args.duration / 2, concurrency=1, projects=args.projects))
            loaded = asyncio.run(
                measure(base, path, duration=args.duration / 2, concurrency=args.concurrency, projects=args.projects)
            )
            results[name] = {
                **alone,
                "rps": loaded["rps"],
                "p99_loaded": loaded["p99"],
                "requests": alone["requests"] + loaded["requests"],
                "errors": alone["errors"] + loaded["errors"],
            }
        rss, peak = rss_mb(server.pid)
        return {"engine": engine, "results": results, "rss_mb": rss, "peak_rss_mb": peak}
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(run: dict) -> None:
    bare = run["results"]["bare route"]["rps"]
    print(f"\n== {run['engine']} ==")
    print(
        f"{'point de mesure':26} {'req':>6} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7} {'/bare':>6} "
        f"{'p99 ms sous charge':>19} {'err':>4}"
    )
    for name, r in run["results"].items():
        ratio = r["rps"] / bare if bare else 0
        print(
            f"{name:26} {r['requests']:6d} {r['p50']:7.1f} {r['p99']:7.1f} {r['rps']:7.1f} {ratio:6.0%} "
            f"{r['p99_loaded']:19.1f} {r['errors']:4d}"
        )
    print(f"mémoire du serveur : {run['rss_mb']:.0f} Mo (pic {run['peak_rss_mb']:.0f} Mo)")
    list_ratio = run["results"]["api /api/v1/projects"]["rps"] / bare if bare else 0
    worst = max(r["p99"] for name, r in run["results"].items())
    verdict = {True: "oui", False: "NON"}
    print(
        f"objectifs (p99 d'un client seul) : p99 < {TARGET_P99_MS:.0f} ms → {verdict[worst < TARGET_P99_MS]} "
        f"(pire {worst:.0f} ms); débit liste ≥ {TARGET_RATIO:.0%} du bare → {verdict[list_ratio >= TARGET_RATIO]} "
        f"({list_ratio:.0%}); mémoire < {TARGET_RSS_MB:.0f} Mo → {verdict[run['peak_rss_mb'] < TARGET_RSS_MB]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--releases-per-project", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint (half alone, half loaded)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine-only", default="", help=argparse.SUPPRESS)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args()
    args.passthrough = ["--projects", str(args.projects), "--releases-per-project", str(args.releases_per_project)]
    if args.prepare:
        asyncio.run(prepare(args))
        return
    engines = [e.strip() for e in (args.engine_only or args.engines).split(",") if e.strip()]
    runs = []
    for engine in engines:
        if engine == "postgres" and "AMI_TEST_POSTGRES_URL" not in os.environ:
            # Re-run this script for PostgreSQL under a throw-away server.
            out = Path(tempfile.mkstemp(suffix=".json")[1])
            subprocess.run(
                [
                    str(ROOT / "scripts/with-postgres.sh"),
                    sys.executable,
                    __file__,
                    "--engine-only",
                    "postgres",
                    "--json",
                    str(out),
                    *args.passthrough,
                    "--duration",
                    str(args.duration),
                    "--concurrency",
                    str(args.concurrency),
                ],
                check=True,
                cwd=ROOT,
            )
            runs += json.loads(out.read_text())
            continue
        print(f"[{engine}] préparation…", flush=True)
        run = run_engine(args, engine)
        report(run)
        runs.append(run)
    if args.json:
        Path(args.json).write_text(json.dumps(runs))


if __name__ == "__main__":
    main()
