"""`ami export projects` writes the same open data as /exports/projects.{csv,json}."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ami(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env={**os.environ},
                          capture_output=True, text=True, timeout=120)


async def test_export_json_matches_the_web_export(demo, client, tmp_path):
    target = tmp_path / "projets.json"
    done = ami("export", "projects", "--format", "json", "--output", str(target))
    assert done.returncode == 0, done.stderr
    exported = json.loads(target.read_text("utf-8"))
    web = (await client.get("/exports/projects.json")).json()
    assert exported["licence"] == web["licence"] == "etalab-2.0"
    assert exported["total"] == web["total"] == 10
    assert [p["slug"] for p in exported["items"]] == [p["slug"] for p in web["items"]]
    assert done.stderr.strip() == f"10 projets exportés dans {target} (json, licence etalab-2.0)"


async def test_export_csv_to_stdout_parses(demo, client):
    done = ami("export", "projects", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    web_rows = list(csv.DictReader(io.StringIO((await client.get("/exports/projects.csv")).text)))
    assert len(rows) == 10
    assert [r["slug"] for r in rows] == [r["slug"] for r in web_rows]
    assert rows[0].keys() == web_rows[0].keys()
