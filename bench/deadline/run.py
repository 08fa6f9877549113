"""200 concurrent submissions across the last seconds before a deadline, against a real uvicorn server.

    .venv/bin/python bench/deadline/run.py                    # SQLite (temporary file)
    scripts/with-postgres.sh .venv/bin/python bench/deadline/run.py --engine postgres

Prints how many were accepted, refused as late, and failed; the bar: none lost, none accepted late, no 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare(count: int, closes_at: datetime) -> list[tuple[int, str]]:
    from piccolo.engine import engine_finder

    from registry.accounts.service import actor_for, create_api_token, create_user
    from registry.applications.service import ApplicationInput, create_application
    from registry.applications.validation import UrlPolicy
    from registry.calls.service import CallInput, CriterionInput, create_call, publish_call
    from registry.db import is_postgres, truncate_all, use_engine
    from registry.migrate import migrate_all

    engine = engine_finder()
    use_engine(engine)
    await migrate_all()
    await truncate_all(engine)
    if is_postgres(engine):
        await engine.start_connection_pool(min_size=1, max_size=10)
    manager = await actor_for(await create_user(email="manager@bench.example.org", name="M", password=None,
                                                roles=["manager"], verified=True))
    await create_call(CallInput(slug="bench", title_fr="Bench", opens_at=closes_at - timedelta(days=1),
                                closes_at=closes_at, amount_min=0, amount_max=100_000,
                                criteria=[CriterionInput(name="A", weight=100)]), actor=manager)
    await publish_call("bench", actor=manager)
    drafts = []
    for index in range(count):
        user = await create_user(email=f"a{index}@bench.example.org", name=f"A{index}", password=None,
                                 roles=["applicant"], verified=True)
        application = await create_application("bench", ApplicationInput(
            title=f"Projet {index}", public_title="Titre", public_summary="Résumé", description="D",
            requested_amount=1000, repositories=[f"https://github.com/bench/p{index}"], licence="MIT",
            org_name="Org", org_siren="732829320"), actor=await actor_for(user),
            policy=UrlPolicy(allowed_hosts=("github.com",)))
        drafts.append((application.id, await create_api_token(user.id, name="bench")))
    if is_postgres(engine):
        await engine.close_connection_pool()
    return drafts


def fire(base: str, drafts: list[tuple[int, str]], closes_at: datetime, spread: float, tmp: Path) -> dict:
    """The submissions are sent by wrk (fire.lua), one connection each, spread over
    [deadline - spread, deadline + spread/4]; returns the counts wrk's script printed."""
    start = closes_at.timestamp() - spread
    plan = tmp / "plan.txt"
    plan.write_text("".join(f"{app_id} {token} {int((start + spread * 1.25 * i / len(drafts)) * 1000)}\n"
                            for i, (app_id, token) in enumerate(drafts)))
    # wrk runs for its whole -d: the last send plus 45 s for the answers (later ones count as failed).
    bound = int(closes_at.timestamp() - time.time() + spread / 4 + 45)
    done = subprocess.run(["wrk", "-t1", f"-c{len(drafts)}", f"-d{bound}s", "--timeout", "45s", "-s",
                           str(Path(__file__).with_name("fire.lua")), base, "--", str(plan),
                           str(int(closes_at.timestamp() * 1000))], capture_output=True, text=True, timeout=bound + 60)
    line = re.search(r"^AMI-DEADLINE (.*)$", done.stdout, re.M)
    if not line:
        raise RuntimeError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    counts: dict = {k: float(v) for k, v in (item.split("=") for item in line.group(1).split())}
    failures = re.search(r"^AMI-FAILURES(.*)$", done.stdout, re.M)
    counts["failures"] = [f for f in (failures.group(1).split(" | ") if failures else []) if f.strip()]
    return counts


async def verify(closes_at: datetime, accepted: int) -> tuple[int, int]:
    from piccolo.engine import engine_finder

    from registry.applications.tables import Application, ApplicationVersion
    from registry.db import is_postgres

    engine = engine_finder()
    if is_postgres(engine):
        await engine.start_connection_pool(min_size=1, max_size=2)
    versions = await ApplicationVersion.select(ApplicationVersion.application, ApplicationVersion.submitted_at)
    late = sum(1 for v in versions if v["submitted_at"] >= closes_at)
    stored = {v["application"] for v in versions}
    submitted = {r["id"] for r in await Application.select(Application.id).where(Application.state == "submitted")}
    # wrk cannot tell which submission an answer belongs to: compare counts (answered 200, stored, submitted).
    lost = abs(accepted - len(stored)) + len(stored ^ submitted)
    if is_postgres(engine):
        await engine.close_connection_pool()
    return late, lost


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--spread", type=float, default=3.0, help="seconds before the deadline")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ami-bench-"))
    if args.engine == "postgres":
        url = os.environ.get("AMI_TEST_POSTGRES_URL")
        if not url:
            print("--engine postgres needs AMI_TEST_POSTGRES_URL (scripts/with-postgres.sh)")
            return 2
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {**os.environ, "AMI_DATABASE_URL": url, "AMI_SCHEDULER": "off", "AMI_VAR_DIR": str(tmp / "var"),
           "PICCOLO_CONF": "registry.piccolo_conf", "AMI_SECRET_KEY": "bench-secret-key-0123456789abcdef0123"}
    os.environ.update(env)
    setup_s = time.time()
    closes_at = datetime.now(UTC) + timedelta(days=1)
    drafts = asyncio.run(prepare(args.count, closes_at))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        import httpx

        for _ in range(600):  # up to 60 s on a busy machine
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        # Move the deadline to a few seconds from now, then fire.
        closes_at = datetime.now(UTC) + timedelta(seconds=args.spread + 2)
        asyncio.run(_set_deadline(closes_at))
        print(f"setup {time.time() - setup_s:.1f}s; deadline {closes_at.isoformat()} ({args.engine})")
        counts = fire(f"http://127.0.0.1:{port}", drafts, closes_at, args.spread, tmp)
    finally:
        server.terminate()
        server.wait(timeout=10)
    accepted, late_refused = int(counts["accepted"]), int(counts["late"])
    errors_5xx, sent_after = int(counts["fivexx"]), int(counts["sent_after"])
    # Unanswered (timeouts, broken connections) count as failed.
    failed = len(drafts) - accepted - late_refused
    late_accepted, lost = asyncio.run(verify(closes_at, accepted))
    print(f"submissions {len(drafts)} (sent by wrk, one connection each): accepted {accepted}, refused as late "
          f"{late_refused}, failed {failed} (5xx {errors_5xx}); sent after the deadline {sent_after}")
    print(f"stored versions accepted late {late_accepted}; lost {lost}; refused although sent before the "
          f"deadline {max(0, late_refused - sent_after)} (reached the server after it: queueing on this machine)")
    for failure in counts["failures"][:5]:
        print("  failure:", failure)
    ok = failed == 0 and late_accepted == 0 and lost == 0 and errors_5xx == 0
    print("BAR MET" if ok else "BAR NOT MET")
    return 0 if ok else 1


async def _set_deadline(closes_at: datetime) -> None:
    from piccolo.engine import engine_finder

    from registry.calls.tables import Call
    from registry.db import is_postgres

    engine = engine_finder()
    if is_postgres(engine):
        await engine.start_connection_pool(min_size=1, max_size=2)
    await Call.update({Call.closes_at: closes_at}).where(Call.slug == "bench")
    if is_postgres(engine):
        await engine.close_connection_pool()


if __name__ == "__main__":
    raise SystemExit(main())
