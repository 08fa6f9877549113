"""`ami serve --workers 2`: two processes answer on one port, and only one runs the scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_two_workers_share_the_port_and_elect_one_scheduler(db, tmp_path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "AMI_SCHEDULER": "on", "AMI_PRODUCTION": "off", "AMI_VAR_DIR": str(tmp_path / "var")}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text()
            if text.count("Application startup complete") >= 2:
                break
            assert server.poll() is None, text
            time.sleep(0.5)
        time.sleep(2)  # let the second worker's election run too
        text = log.read_text()
        assert text.count("Application startup complete") == 2, text
        assert text.count("harvest scheduler started in process") == 1, text
        pids = {line.split("[")[1].split("]")[0] for line in text.splitlines() if "Started server process" in line}
        assert len(pids) == 2, text
        for _ in range(4):  # both processes answer on the shared port
            answer = httpx.get(f"http://127.0.0.1:{port}/projects", timeout=30)
            assert answer.status_code == 200 and "<html" in answer.text
    finally:
        server.terminate()
        server.wait(timeout=60)
