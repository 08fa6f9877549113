"""200 concurrent submissions across the last seconds before a deadline, against a real uvicorn server.

    .venv/bin/python bench/deadline/run.py                    # SQLite (temporary file)
    scripts/with-postgres.sh .venv/bin/python bench/deadline/run.py --engine postgres

Prints how many were accepted, refused as late, and failed; the bar: none lost, none accepted late, no 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


async def fire(base: str, drafts: list[tuple[int, str]], closes_at: datetime, spread: float) -> list[tuple]:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=200)) as client:
        async def one(index: int, app_id: int, token: str) -> tuple:
            # Spread the sends over [deadline - spread, deadline + spread/4].
            at = closes_at.timestamp() - spread + (spread * 1.25) * index / len(drafts)
            await asyncio.sleep(max(0.0, at - time.time()))
            sent = datetime.now(UTC)
            try:
                response = await client.post(f"/api/v1/applications/{app_id}/submit",
                                             headers={"Authorization": f"Bearer {token}"})
                return app_id, sent, response.status_code, response.text[:200]
            except Exception as error:  # a lost request is a failure we must report
                return app_id, sent, 0, repr(error)

        return await asyncio.gather(*(one(i, a, t) for i, (a, t) in enumerate(drafts)))


async def verify(closes_at: datetime, accepted: set[int]) -> tuple[int, int]:
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
    lost = len(accepted - stored) + len(accepted ^ submitted)
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
        results = asyncio.run(fire(f"http://127.0.0.1:{port}", drafts, closes_at, args.spread))
    finally:
        server.terminate()
        server.wait(timeout=10)
    accepted = {r[0] for r in results if r[2] == 200}
    late_refused = sum(1 for r in results if r[2] == 409 and "date limite" in r[3])
    errors_5xx = sum(1 for r in results if r[2] >= 500)
    failed = len(results) - len(accepted) - late_refused
    sent_after = sum(1 for r in results if r[1] >= closes_at)
    late_accepted, lost = asyncio.run(verify(closes_at, accepted))
    print(f"submissions {len(results)}: accepted {len(accepted)}, refused as late {late_refused}, "
          f"failed {failed} (5xx {errors_5xx}); sent after the deadline {sent_after}")
    print(f"stored versions accepted late {late_accepted}; lost {lost}; refused although sent before the "
          f"deadline {max(0, late_refused - sent_after)} (reached the server after it: queueing on this machine)")
    for r in [r for r in results if r[2] not in (200, 409)][:5]:
        print("  failure:", r)
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
