"""Public pages benchmark, one command: `python bench/registry/run.py` (see bench/README.md).

The load generator is wrk (C, /usr/bin/wrk), never Python. For each engine (SQLite, then PostgreSQL
under scripts/with-postgres.sh): a database with N projects and N×R releases (bulk inserts; the SQLite
file is reused between runs while the schema and generator are unchanged), the real app under uvicorn
(one worker) and a bare Litestar route in a separate minimal process, both on 127.0.0.1. Each page:
wrk 1 thread, 8 connections, 1 s warm-up then 5 s measured; req/s, p50/p99 and the ratio to the bare
route. Then the public call page under `ami serve --workers 2` next to pretalx's CfP page under
gunicorn with 2 workers (pretalx in a throw-away venv, bench/pretalx/). Prints a table per engine, the
PostgreSQL / SQLite comparison and each target as met / not met. Never fails on a target.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
LUA = HERE / "report.lua"
CACHE = ROOT / "var" / "bench"
BROWSE = "/projects?q=donnees+sante&label=snds&forge=github"
CALL_SLUG = "ami-ouvert"
# (name, path, lua args); "{bare}" pages go to the bare process.
PAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("bare route", "{bare}/bare", ()),
    ("/healthz", "/healthz", ()),
    ("/api/v1/projects", "/api/v1/projects", ()),
    ("/feeds/releases.atom", "/feeds/releases.atom", ()),
    ("/projects/{slug}", "/projects/p-00001", ("/projects/p-%05d", "{projects}")),
    ("/", "/", ()),
    ("browse q+2 filtres", BROWSE, ()),
    # The same search with a different (ignored) parameter at each request: no page cache can answer it.
    ("browse, URL unique", f"{BROWSE}&n=00001", (f"{BROWSE}&n=%05d", "{projects}")),
    ("/calls/{slug}", f"/calls/{CALL_SLUG}", ()),
    ("browse 304 (If-None-Match)", BROWSE, ()),
]
CONDITIONAL = "browse 304 (If-None-Match)"
TARGETS = {"browse_p99_ms": 50.0, "browse_bare_share": 0.05, "project_p99_ms": 30.0, "call_vs_pretalx": 5.0,
           "postgres_vs_sqlite": 1.5}
PRETALX_DIR = Path(os.environ.get("AMI_BENCH_PRETALX_DIR", "/tmp/ami-bench-pretalx"))


# --- processes -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> subprocess.Popen:
    """A server in its own process group, so that its workers stop with it."""
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {seconds:.0f} s")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_quiet(seconds: float) -> None:
    """Other work on the machine skews every figure: wait (bounded) until the 1-minute load is below the CPUs."""
    cpus = os.cpu_count() or 1
    deadline = time.monotonic() + seconds
    if os.getloadavg()[0] > cpus:
        print(f"  machine chargée (loadavg {os.getloadavg()[0]:.1f} sur {cpus} CPU) : attente d'au plus "
              f"{seconds:.0f} s…", flush=True)
    while os.getloadavg()[0] > cpus and time.monotonic() < deadline:
        time.sleep(5)


def rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


# --- wrk -----------------------------------------------------------------------------------------

def wrk(url: str, *, seconds: float, headers: tuple[str, ...] = (), lua_args: tuple[str, ...] = ()) -> dict:
    """One bounded wrk run (1 thread, 8 connections, -d seconds, 5 s timeout); figures from report.lua."""
    cmd = ["wrk", "-t1", "-c8", f"-d{seconds:g}s", "--timeout", "5s", "--latency", "-s", str(LUA)]
    for header in headers:
        cmd += ["-H", header]
    cmd += [url, "--", *lua_args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^AMI-WRK (.*)$", done.stdout, re.M)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed on {url}: {done.stdout[-500:]} {done.stderr[-500:]}")
    figures = {key: int(value) for key, value in (item.split("=") for item in match.group(1).split())}
    seconds_run = figures["duration_us"] / 1e6
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / seconds_run if seconds_run else 0.0,
        "p50": figures["p50_us"] / 1000,
        "p99": figures["p99_us"] / 1000,
        "max": figures["max_us"] / 1000,
        "kb": figures["bytes"] / max(figures["requests"], 1) / 1024,
        "ok": figures["ok"],
        "not_modified": figures["not_modified"],
        "errors": figures["other"] + figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
    }


def measure(url: str, args: argparse.Namespace, *, warmup: float | None = None, settle: bool = False,
            **options) -> dict:
    """Warm-up (discarded; with settle, repeated up to 3 times while it times out), then the measured run."""
    for _ in range(3 if settle else 1):
        if not wrk(url, seconds=warmup or args.warmup, **options)["errors"]:
            break
    return wrk(url, seconds=args.duration, **options)
    return wrk(url, seconds=args.duration, **options)


# --- data ----------------------------------------------------------------------------------------

def schema_key(args: argparse.Namespace) -> str:
    """Changes when a migration, the generator or this preparation changes."""
    digest = hashlib.sha256(f"{args.projects}x{args.releases_per_project}".encode())
    for path in sorted(ROOT.glob("registry/*/migrations/*.py")) + [HERE / "generate.py"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(inspect.getsource(prepare).encode())
    return digest.hexdigest()[:12]


async def prepare(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime, timedelta

    from piccolo.engine import engine_finder

    from bench.registry import generate
    from registry.calls.tables import Call, Criterion
    from registry.db import is_postgres, use_engine
    from registry.labels.tables import Label
    from registry.labels.taxonomy import load_taxonomy
    from registry.migrate import migrate_all

    engine = engine_finder()
    use_engine(engine)
    started = time.perf_counter()
    await migrate_all()
    await load_taxonomy()
    call = Call(slug="ami-bench", title_fr="AMI banc d'essai", opens_at=datetime(2025, 1, 1, tzinfo=UTC),
                closes_at=datetime(2025, 3, 1, tzinfo=UTC), status="decided")
    await call.save()
    now = datetime.now(UTC)
    text = ("Cet appel finance des algorithmes ouverts pour les données de santé publiques. Les projets retenus "
            "publient leur code sous une licence libre et leurs versions dans le registre. ") * 6
    open_call = Call(slug=CALL_SLUG, title_fr="AMI algorithmes ouverts (ouvert)", title_en="Open algorithms call",
                     description_fr=text, description_en=text, eligibility_fr=text[:400], budget_total=2_000_000,
                     amount_min=20_000, amount_max=200_000, opens_at=now - timedelta(days=30),
                     closes_at=now + timedelta(days=3650), status="published", published_at=now - timedelta(days=30))
    await open_call.save()
    for position, name in enumerate(("Intérêt pour la santé publique", "Qualité technique", "Ouverture", "Équipe")):
        await Criterion(call=open_call.id, position=position, name=name, description=text[:300], weight=25).save()
    labels = {row["slug"]: row["id"] for row in await Label.select(Label.slug, Label.id)}
    rows = generate.build(args.projects, args.releases_per_project, labels, call.id)
    if is_postgres(engine):
        await generate.write_postgres(os.environ["AMI_DATABASE_URL"], rows)
    else:
        generate.write_sqlite(os.environ["AMI_DATABASE_URL"].removeprefix("sqlite:///"), rows)
    print(f"  données : {len(rows['project'])} projets, {len(rows['release'])} versions, schéma migré, "
          f"en {time.perf_counter() - started:.1f} s", flush=True)


def sqlite_database(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> Path:
    """A copy of the cached database for this schema, generated first if missing."""
    key = schema_key(args)
    cached = CACHE / f"registry-{args.projects}x{args.releases_per_project}-{key}.sqlite3"
    target = workdir / "bench.sqlite3"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"registry-{args.projects}x{args.releases_per_project}-*.sqlite3"):
            old.unlink()
        fresh = workdir / "fresh.sqlite3"
        run_prepare(args, {**env, "AMI_DATABASE_URL": f"sqlite:///{fresh}"})
        with sqlite3.connect(fresh) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial = cached.with_suffix(".partial")
        shutil.copyfile(fresh, partial)
        partial.rename(cached)
        fresh.unlink()
    else:
        print(f"  données : base SQLite réutilisée ({cached.relative_to(ROOT)})", flush=True)
    shutil.copyfile(cached, target)
    return target


def run_prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, __file__, "--prepare", *args.passthrough], env=env, check=True, cwd=ROOT,
                   timeout=1800)


# --- one engine ----------------------------------------------------------------------------------

def ami_serve_has_workers() -> bool:
    done = subprocess.run([str(ROOT / ".venv/bin/ami"), "serve", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    return "--workers" in done.stdout


def run_engine(args: argparse.Namespace, engine: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="ami-bench-registry-"))
    env = {**os.environ, "PICCOLO_CONF": "registry.piccolo_conf", "AMI_SCHEDULER": "off",
           "AMI_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789", "PYTHONPATH": str(ROOT),
           "AMI_VAR_DIR": str(workdir / "var")}
    try:
        if engine == "sqlite":
            env["AMI_DATABASE_URL"] = f"sqlite:///{sqlite_database(args, env, workdir)}"
        else:
            env["AMI_DATABASE_URL"] = os.environ["AMI_TEST_POSTGRES_URL"]
            run_prepare(args, env)
        results: dict[str, dict] = {}
        notes: list[str] = []
        wait_quiet(args.wait_quiet)
        load_before = os.getloadavg()[0]
        bare_port, app_port = free_port(), free_port()
        bare = start([sys.executable, str(HERE / "bare.py"), str(bare_port)], env, workdir / "bare.log")
        app = start([sys.executable, str(HERE / "server.py"), str(app_port)], env, workdir / "app.log")
        bare_base, base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{app_port}"
        try:
            wait_ready(f"{bare_base}/bare", bare)
            wait_ready(f"{base}/healthz", app)
            for name, path, lua in PAGES:
                url = path.format(bare=bare_base) if path.startswith("{bare}") else base + path
                lua_args = tuple(a.format(projects=args.projects) for a in lua)
                headers: tuple[str, ...] = ()
                if name == CONDITIONAL:
                    status, response_headers, _ = fetch(url)
                    etag = {k.lower(): v for k, v in response_headers.items()}.get("etag")
                    if not etag:
                        results[name] = {"skipped": f"pas d'ETag sur la page de recherche (statut {status})"}
                        continue
                    headers = (f"If-None-Match: {etag}",)
                    status, _, _ = fetch(url, {"If-None-Match": etag})
                    if status != 304:
                        notes.append(f"{name} : le serveur répond {status} et non 304 à If-None-Match")
                else:
                    status, _, body = fetch(url)
                    if status != 200:
                        notes.append(f"{name} : statut {status} ({body[:120]!r})")
                results[name] = measure(url, args, headers=headers, lua_args=lua_args)
                if name == CONDITIONAL:
                    answered = results[name]["ok"] + results[name]["not_modified"]
                    notes.append(f"{name} : {results[name]['not_modified']} réponses 304 sur {answered}")
            rss, peak = rss_mb(app.pid)
            stop(app)
            before = measure_before(args, env, workdir, base_pages=PAGES) if args.before else {}
        finally:
            stop(app)
            stop(bare)
        call = {"skipped": "ami serve n'a pas d'option --workers"}
        if ami_serve_has_workers():
            port = free_port()
            served = start([str(ROOT / ".venv/bin/ami"), "serve", "--workers", "2", "--port", str(port)], env,
                           workdir / "serve.log")
            try:
                wait_ready(f"http://127.0.0.1:{port}/healthz", served)
                # Longer warm-up: every worker must have started and rendered the page once.
                call = measure(f"http://127.0.0.1:{port}/calls/{CALL_SLUG}", args, warmup=max(args.warmup, 3),
                               settle=True)
            finally:
                stop(served)
        return {"engine": engine, "results": results, "before": before, "call_2_workers": call, "rss_mb": rss, "peak_rss_mb": peak,
                "notes": notes, "load": (load_before, os.getloadavg()[0]), "cpus": os.cpu_count(),
                "wrk": f"wrk 1 thread, 8 connexions, {args.warmup:g} s + {args.duration:g} s",
                "projects": args.projects, "releases": args.projects * args.releases_per_project}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_before(args: argparse.Namespace, env: dict[str, str], workdir: Path,
                   base_pages: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, dict]:
    """The same pages served by an earlier checkout (`--before DIR`, with its own .venv) on the same data,
    in the same run: the "before" of a change. Its schema may lag behind; pages it cannot serve say so."""
    before_dir = Path(args.before).resolve()
    python = before_dir / ".venv/bin/python"
    port = free_port()
    before_env = {**env, "PYTHONPATH": str(before_dir)}
    process = start([str(python), str(HERE / "server.py"), str(port)], before_env, workdir / "before.log",
                    cwd=before_dir)
    results: dict[str, dict] = {}
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", process)
        for name, path, lua in base_pages:
            if path.startswith("{bare}") or name == CONDITIONAL:
                continue
            url = f"http://127.0.0.1:{port}{path}"
            status, _, _ = fetch(url)
            if status != 200:
                results[name] = {"skipped": f"statut {status}"}
                continue
            results[name] = measure(url, args, lua_args=tuple(a.format(projects=args.projects) for a in lua))
    finally:
        stop(process)
    return results


# --- pretalx -------------------------------------------------------------------------------------

def pretalx(args: argparse.Namespace) -> dict:
    """pretalx's public CfP page under gunicorn --workers 2, in a throw-away venv (never a project dependency)."""
    venv, data = PRETALX_DIR / "venv", PRETALX_DIR / "data"
    python = venv / "bin/python"
    uv = ROOT / ".tools/bin/uv"
    env = {**os.environ, "PRETALX_DATA_DIR": str(data), "PRETALX_DEBUG": "False",
           "PRETALX_FILESYSTEM_STATIC": str(data / "static"), "DJANGO_SETTINGS_MODULE": "pretalx.settings"}
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PICCOLO_CONF"):
        env.pop(key, None)
    ready = PRETALX_DIR / "ready"
    try:
        if not ready.exists():
            print(f"  pretalx : installation dans {venv} (uv, PyPI)…", flush=True)
            shutil.rmtree(PRETALX_DIR, ignore_errors=True)
            data.mkdir(parents=True)
            steps = [
                [str(uv), "venv", str(venv), "--python", "3.11"],
                [str(uv), "pip", "install", "--python", str(python), "pretalx", "gunicorn"],
                [str(python), "-m", "pretalx", "migrate"],
                [str(python), "-m", "pretalx", "rebuild"],
                [str(python), str(ROOT / "bench/pretalx/make_event.py")],
            ]
            for step in steps:
                done = subprocess.run(step, env=env, cwd=data, capture_output=True, text=True, timeout=900)
                if done.returncode != 0:
                    command = " ".join([Path(step[0]).name, *step[1:3]])
                    return {"skipped": f"échec de « {command} » : {(done.stderr or done.stdout).strip()[-400:]}"}
            version = subprocess.run([str(python), "-c", "import pretalx; print(pretalx.__version__)"],
                                     env=env, capture_output=True, text=True, timeout=60).stdout.strip()
            ready.write_text(version)
        version = ready.read_text().strip()
        wait_quiet(args.wait_quiet)
        port = free_port()
        env["PRETALX_SITE_URL"] = f"http://127.0.0.1:{port}"
        server = start([str(venv / "bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--preload",
                        "--control-socket", str(data / "gunicorn.ctl"), "pretalx.wsgi"], env,
                       data / "gunicorn.log", cwd=data)
        try:
            url = f"http://127.0.0.1:{port}/ami-bench/cfp"
            wait_ready(url, server, seconds=120)
            return {**measure(url, args, warmup=max(args.warmup, 3), settle=True), "version": version}
        finally:
            stop(server)
    except (OSError, subprocess.SubprocessError, RuntimeError) as error:
        return {"skipped": f"pretalx indisponible : {error}"}


# --- report --------------------------------------------------------------------------------------

def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report_engine(run: dict) -> None:
    results = run["results"]
    bare = results["bare route"]["rps"]
    print(f"\n== {run['engine']} — {run['projects']} projets, {run['releases']} versions ; "
          f"{run['wrk']} ==")
    print(f"{'page':28} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'/bare':>6} {'Ko':>6} {'req':>6} {'err':>4}")
    for name, r in results.items():
        if "skipped" in r:
            print(f"{name:28} skipped: {r['skipped']}")
            continue
        ratio = r["rps"] / bare if bare else 0
        print(f"{name:28} {r['rps']:8.0f} {r['p50']:7.1f} {r['p99']:7.1f} {ratio:6.1%} {r['kb']:6.1f} "
              f"{r['requests']:6d} {r['errors']:4d}")
    if run.get("before"):
        print(f"\n{'avant / après (même données)':28} {'req/s av':>9} {'req/s ap':>9} {'×':>6} {'p99 av':>7} "
              f"{'p99 ap':>7}")
        for name, old in run["before"].items():
            new = results.get(name, {})
            if "rps" not in old or "rps" not in new:
                print(f"{name:28} skipped: {old.get('skipped', '')}")
                continue
            print(f"{name:28} {old['rps']:9.0f} {new['rps']:9.0f} {new['rps'] / old['rps'] if old['rps'] else 0:6.1f} "
                  f"{old['p99']:7.1f} {new['p99']:7.1f}")
    call = run["call_2_workers"]
    if "skipped" in call:
        print(f"{'/calls/{slug} (2 workers)':28} skipped: {call['skipped']}")
    else:
        print(f"{'/calls/{slug} ami serve -w 2':28} {call['rps']:8.0f} {call['p50']:7.1f} {call['p99']:7.1f} "
              f"{call['rps'] / bare if bare else 0:6.1%} {call['kb']:6.1f} {call['requests']:6d} {call['errors']:4d}")
    print(f"mémoire du serveur (1 worker) : {run['rss_mb']:.0f} Mo (pic {run['peak_rss_mb']:.0f} Mo) ; "
          f"charge de la machine (loadavg 1 min) {run['load'][0]:.1f} → {run['load'][1]:.1f} sur {run['cpus']} CPU")
    for note in run["notes"]:
        print(f"note : {note}")


def report_final(runs: list[dict], pretalx_run: dict | None) -> None:
    by_engine = {run["engine"]: run for run in runs}
    if pretalx_run is not None:
        print("\n== appel public : /calls/{slug} (ami serve --workers 2) / CfP pretalx (gunicorn --workers 2) ==")
        if "skipped" in pretalx_run:
            print(f"pretalx : skipped — {pretalx_run['skipped']}")
        else:
            p = pretalx_run
            print(f"pretalx {p['version']} /ami-bench/cfp : {p['rps']:.0f} req/s, p50 {p['p50']:.1f} ms, "
                  f"p99 {p['p99']:.1f} ms, {p['kb']:.1f} Ko, {p['errors']} erreurs"
                  + (f" (meilleure de 2 mesures, avant/après : {p['runs'][0]} / {p['runs'][1]} req/s)"
                     if "runs" in p else ""))
    sqlite_run, postgres_run = by_engine.get("sqlite"), by_engine.get("postgres")
    if sqlite_run and postgres_run:
        print("\n== PostgreSQL / SQLite (req/s : < 1 = PostgreSQL plus lent ; p99 : > 1 = PostgreSQL plus lent) ==")
        print(f"{'page':28} {'req/s PG':>9} {'req/s SQ':>9} {'ratio':>6} {'p99 PG':>7} {'p99 SQ':>7} {'ratio':>6}")
        for name in sqlite_run["results"]:
            a, b = postgres_run["results"].get(name, {}), sqlite_run["results"][name]
            if "rps" not in a or "rps" not in b:
                continue
            print(f"{name:28} {a['rps']:9.0f} {b['rps']:9.0f} {a['rps'] / b['rps']:6.2f} {a['p99']:7.1f} "
                  f"{b['p99']:7.1f} {a['p99'] / b['p99'] if b['p99'] else 0:6.2f}")
    print("\n== objectifs ==")
    for run in runs:
        results, engine = run["results"], run["engine"]
        bare = results["bare route"]["rps"]
        browse, project = results["browse q+2 filtres"], results["/projects/{slug}"]
        share = browse["rps"] / bare if bare else 0
        print(f"[{engine}] recherche + 2 filtres p99 ≤ {TARGETS['browse_p99_ms']:.0f} ms : "
              f"{met(browse['p99'] <= TARGETS['browse_p99_ms'])} ({browse['p99']:.1f} ms)")
        print(f"[{engine}] recherche + 2 filtres ≥ {TARGETS['browse_bare_share']:.0%} du bare : "
              f"{met(share >= TARGETS['browse_bare_share'])} ({browse['rps']:.0f} / {bare:.0f} req/s = {share:.1%})")
        print(f"[{engine}] page projet p99 ≤ {TARGETS['project_p99_ms']:.0f} ms : "
              f"{met(project['p99'] <= TARGETS['project_p99_ms'])} ({project['p99']:.1f} ms)")
        call = run["call_2_workers"]
        if "skipped" in call:
            print(f"[{engine}] appel public ≥ {TARGETS['call_vs_pretalx']:.0f}× pretalx : skipped ({call['skipped']})")
        elif pretalx_run is None or "skipped" in pretalx_run:
            reason = "pretalx non mesuré" if pretalx_run is None else pretalx_run["skipped"]
            print(f"[{engine}] appel public ≥ {TARGETS['call_vs_pretalx']:.0f}× pretalx : skipped ({reason}) ; "
                  f"nous : {call['rps']:.0f} req/s")
        else:
            factor = call["rps"] / pretalx_run["rps"] if pretalx_run["rps"] else 0
            print(f"[{engine}] appel public ≥ {TARGETS['call_vs_pretalx']:.0f}× pretalx (2 workers chacun) : "
                  f"{met(factor >= TARGETS['call_vs_pretalx'])} ({call['rps']:.0f} / {pretalx_run['rps']:.0f} "
                  f"req/s = {factor:.1f}×)")
    if sqlite_run and postgres_run:
        worst_name, worst = "", 0.0
        for name, b in sqlite_run["results"].items():
            a = postgres_run["results"].get(name, {})
            if name == "bare route" or "rps" not in a or "rps" not in b or not a["rps"] or not b["p99"]:
                continue
            factor = max(b["rps"] / a["rps"], a["p99"] / b["p99"])
            if factor > worst:
                worst_name, worst = name, factor
        print(f"PostgreSQL à moins de {TARGETS['postgres_vs_sqlite']}× de SQLite (req/s et p99, chaque page) : "
              f"{met(worst <= TARGETS['postgres_vs_sqlite'])} (pire : {worst_name}, {worst:.2f}×)")
    else:
        print("PostgreSQL à moins de 1.5× de SQLite : skipped (un seul moteur mesuré)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--releases-per-project", type=int, default=10)
    parser.add_argument("--before", default=os.environ.get("AMI_BENCH_BEFORE", ""),
                        help="an earlier checkout with its own .venv, measured on the same data in the same run")
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per page (wrk -d)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per page, discarded")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--no-pretalx", action="store_true", help="skip the pretalx comparison")
    parser.add_argument("--wait-quiet", type=float, default=float(os.environ.get("AMI_BENCH_WAIT_QUIET", 120)),
                        help="wait at most this many seconds for the machine's load to drop below its CPUs")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--quiet-final", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.passthrough = ["--projects", str(args.projects), "--releases-per-project", str(args.releases_per_project)]
    if args.prepare:
        asyncio.run(prepare(args))
        return
    if not shutil.which("wrk"):
        sys.exit("bench/registry: wrk is missing (apt-get install wrk)")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    runs = []
    pretalx_runs = [] if args.no_pretalx or args.quiet_final else [pretalx(args)]
    for engine in engines:
        if engine == "postgres" and "AMI_TEST_POSTGRES_URL" not in os.environ:
            # Re-run this script for PostgreSQL under a throw-away server.
            out = Path(tempfile.mkstemp(suffix=".json")[1])
            subprocess.run([str(ROOT / "scripts/with-postgres.sh"), sys.executable, __file__, "--engines", "postgres",
                            "--no-pretalx", "--json", str(out), "--quiet-final", *args.passthrough,
                            "--duration", str(args.duration), "--warmup", str(args.warmup),
                            "--wait-quiet", str(args.wait_quiet)],
                           check=True, cwd=ROOT, timeout=3600)
            runs += json.loads(out.read_text())
            out.unlink()
            continue
        print(f"[{engine}] préparation…", flush=True)
        run = run_engine(args, engine)
        report_engine(run)
        runs.append(run)
    if args.json:
        Path(args.json).write_text(json.dumps(runs))
    if args.quiet_final:
        return
    if pretalx_runs:
        pretalx_runs.append(pretalx(args))  # before and after the engines; the better one counts
    measured = [p for p in pretalx_runs if "skipped" not in p]
    pretalx_run = max(measured, key=lambda p: p["rps"]) if measured else (pretalx_runs[0] if pretalx_runs else None)
    if pretalx_run and len(measured) == 2:
        pretalx_run = {**pretalx_run, "runs": [round(p["rps"], 1) for p in measured]}
    report_final(runs, pretalx_run)


if __name__ == "__main__":
    main()
