from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from app.commands.licence import licence
from registry.licences.references import raw_entries

TEXTS = {e["key"]: e["text"] for e in raw_entries() if e["kind"] == "text"}


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "dual").mkdir()
    (tmp_path / "dual" / "LICENSE-MIT").write_text(TEXTS["mit"])
    (tmp_path / "dual" / "LICENSE-APACHE").write_text(TEXTS["apache-2.0"])
    (tmp_path / "dual" / "main.py").write_text("# SPDX-License-Identifier: MIT OR Apache-2.0\n")
    (tmp_path / "LICENCE.fr").write_text(TEXTS["cecill-c"])
    (tmp_path / "COPYING").write_text(TEXTS["gpl-2.0"])
    (tmp_path / "README.md").write_text("# Project\n\nSome words about the project.\n")
    return tmp_path


def test_detect_json(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    paths = [root / "dual", root / "LICENCE.fr", root / "COPYING", root / "README.md"]
    result = CliRunner().invoke(licence, ["detect", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"path": str(paths[0]), "spdx": "Apache-2.0 OR MIT", "confidence": 1.0, "authorised": True},
        {"path": str(paths[1]), "spdx": "CECILL-C", "confidence": 1.0, "authorised": True},
        {"path": str(paths[2]), "spdx": "GPL-2.0-only", "confidence": 1.0, "authorised": False},
        {"path": str(paths[3]), "spdx": "NOASSERTION", "confidence": 0.0, "authorised": False},
    ]


def test_detect_table(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = CliRunner().invoke(licence, ["detect", str(root / "COPYING")])
    assert result.exit_code == 0
    path = str(root / "COPYING")
    width = len(path)
    assert result.output.splitlines() == [
        f"{'path':<{width}}  spdx          confidence  authorised",
        f"{path}  GPL-2.0-only        1.00  no",
    ]


def test_missing_path_exits_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    result = CliRunner().invoke(licence, ["detect", "--json", missing])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: path not found: {missing}\n"
