"""`licence` command group: licence detection from the command line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import click

from registry.licences import (
    NOASSERTION,
    InvalidExpression,
    collect_findings,
    detect_path,
    judge,
    normalise_expression,
    reconcile,
)

_HEADER = re.compile(r"SPDX-License-Identifier:\s*([^\n*]+?)\s*(?:\*/|-->|$)", re.M)


@dataclass(frozen=True)
class Row:
    path: str
    spdx: str
    confidence: float
    authorised: bool


def _authorised(expression: str) -> bool:
    try:
        return judge(expression).compliant
    except InvalidExpression:
        return False


def _file_row(path: Path) -> Row:
    detection = detect_path(path)
    spdx, confidence = detection.spdx, detection.confidence
    if spdx == NOASSERTION:
        # A source file: fall back on its SPDX-License-Identifier header.
        head = path.read_bytes()[:4096].decode("utf-8", "replace")
        match = _HEADER.search(head)
        if match:
            try:
                spdx, confidence = normalise_expression(match.group(1)), 1.0
            except InvalidExpression:
                pass
    return Row(str(path), spdx, confidence, _authorised(spdx))


def _folder_row(path: Path) -> Row:
    result = reconcile(collect_findings(path))
    return Row(str(path), result.expression, result.confidence, _authorised(result.expression))


@click.group("licence")
def licence() -> None:
    """Licence detection and checks against the authorised list (CRPA art. D.323-2-1)."""


@licence.command("detect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def detect(paths: tuple[Path, ...], as_json: bool) -> None:
    """Detect the licence of files, or of folders (licence files and SPDX headers reconciled)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        click.echo(f"Error: path not found: {', '.join(missing)}", err=True)
        raise SystemExit(2)
    rows = [_folder_row(p) if p.is_dir() else _file_row(p) for p in paths]
    if as_json:
        click.echo(json.dumps([row.__dict__ for row in rows], ensure_ascii=False))
        return
    width = max(len("path"), *(len(r.path) for r in rows))
    spdx_width = max(len("spdx"), *(len(r.spdx) for r in rows))
    click.echo(f"{'path':<{width}}  {'spdx':<{spdx_width}}  confidence  authorised")
    for r in rows:
        click.echo(
            f"{r.path:<{width}}  {r.spdx:<{spdx_width}}  {r.confidence:>10.2f}  {'yes' if r.authorised else 'no'}"
        )
