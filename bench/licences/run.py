"""Benchmark: our licence detector against ScanCode on a corpus of dressed licence files.

Run from the repository root with the project's virtualenv:  python bench/licences/run.py [--no-scancode]
ScanCode (scancode-toolkit-mini) is installed only in var/bench-scancode (created if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCANCODE_VENV = ROOT / "var" / "bench-scancode"
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "licences")]

from licence_dressings import DRESSINGS, GPL3_NOTICE, NON_LICENCES  # noqa: E402

from registry.licences.expressions import InvalidExpression, licensing  # noqa: E402
from registry.licences.references import raw_entries  # noqa: E402

NOASSERTION = "NOASSERTION"


@dataclass(frozen=True)
class Score:
    right: int
    wrong: int
    abstained: int
    ms_per_file: float
    startup_s: float
    wrong_examples: tuple[str, ...]


def build_corpus(folder: Path) -> list[tuple[Path, str]]:
    corpus: list[tuple[Path, str]] = []

    def add(name: str, text: str, expected: str) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        corpus.append((path, expected))

    texts = {e["key"]: e for e in raw_entries() if e["kind"] == "text"}
    for key, entry in texts.items():
        for dressing, dress in DRESSINGS.items():
            add(f"{key}/{dressing}/LICENSE", dress(entry["text"]), entry["spdx"])
    for family, key in (("GPL-3.0", "gpl-3.0"),):
        for dressing, dress in DRESSINGS.items():
            add(f"{key}-notice-first/{dressing}/COPYING", dress(GPL3_NOTICE + texts[key]["text"]), f"{family}-or-later")
            add(f"{key}-notice-last/{dressing}/COPYING", dress(texts[key]["text"] + "\n\n" + GPL3_NOTICE), f"{family}-or-later")
    for name, text in NON_LICENCES.items():
        add(f"non-licence/{name}", text, NOASSERTION)
    return corpus


def canonical(expression: str, aliases: dict[str, str]) -> str:
    if not expression or expression.upper() == NOASSERTION:
        return NOASSERTION
    for alias, spdx in aliases.items():
        expression = expression.replace(alias, spdx)
    try:
        return str(licensing().parse(expression).simplify().render())
    except Exception:  # noqa: BLE001 - an unparsable answer is simply wrong
        return expression


def score(corpus: list[tuple[Path, str]], answers: list[str], startup: float, total: float) -> Score:
    # ScanCode names translated texts LicenseRef-scancode-<key>; count them as the licence they translate.
    aliases = {f"LicenseRef-scancode-{e['key']}": e["spdx"] for e in raw_entries() if e["kind"] == "text"}
    aliases = dict(sorted(aliases.items(), key=lambda kv: -len(kv[0])))
    right = wrong = abstained = 0
    examples: list[str] = []
    for (path, expected), answer in zip(corpus, answers, strict=True):
        got = canonical(answer, aliases)
        if got == canonical(expected, {}):
            right += 1
        elif got == NOASSERTION:
            abstained += 1
        else:
            wrong += 1
            examples.append(f"{path.parent.name}/{path.name} in {path.parent.parent.name}: expected {expected}, got {answer}")
    return Score(right, wrong, abstained, 1000 * total / len(corpus), startup, tuple(examples))


def run_worker(python: str, engine: str, listing: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [python, str(HERE / "worker.py"), engine, str(listing)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def ensure_scancode() -> str:
    python = SCANCODE_VENV / "bin" / "python"
    if python.exists():
        return str(python)
    requirements = str(HERE / "requirements-scancode.txt")
    if shutil.which("uv"):
        subprocess.run(["uv", "venv", str(SCANCODE_VENV), "--python", "3.11"], check=True)
        subprocess.run(["uv", "pip", "install", "--python", str(python), "-r", requirements], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(SCANCODE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-r", requirements], check=True)
    return str(python)


def show(name: str, result: Score, files: int) -> None:
    print(
        f"{name:<9} right {result.right:>4}/{files}  wrong {result.wrong:>3}  abstained {result.abstained:>3}  "
        f"{result.ms_per_file:8.2f} ms/file  start-up {result.startup_s:6.2f} s"
    )
    for example in result.wrong_examples[:15]:
        print(f"          wrong: {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-scancode", action="store_true", help="only run our detector")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="licence-bench-") as tmp:
        corpus = build_corpus(Path(tmp) / "corpus")
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(str(p) for p, _ in corpus), "utf-8")
        print(f"corpus: {len(corpus)} files ({sum(e == NOASSERTION for _, e in corpus)} non-licences)")
        raw = run_worker(sys.executable, "ours", listing)
        mine = score(corpus, list(raw["answers"]), float(raw["startup_s"]), float(raw["total_s"]))
        show("ours", mine, len(corpus))
        if args.no_scancode:
            return
        try:
            python = ensure_scancode()
            raw = run_worker(python, "scancode", listing)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as error:
            print(f"ScanCode could not be installed or run on this Python: {error}")
            return
        theirs = score(corpus, list(raw["answers"]), float(raw["startup_s"]), float(raw["total_s"]))
        show("ScanCode", theirs, len(corpus))
        print(f"speed-up per file: {theirs.ms_per_file / mine.ms_per_file:.1f}x")


if __name__ == "__main__":
    try:
        main()
    except InvalidExpression as error:
        sys.exit(str(error))
