"""Runs one detector over a list of files in a fresh process; prints JSON timings and answers.

python worker.py ours|scancode FILE_LIST
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path


def ours() -> Callable[[str], str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from registry.licences import detect_path
    from registry.licences.references import default_references

    default_references()
    return lambda path: detect_path(path).spdx


def scancode(warm_up: str) -> Callable[[str], str]:
    warnings.simplefilter("ignore")
    from scancode.api import get_licenses

    def run(path: str) -> str:
        answer = get_licenses(path, include_text=False, license_text_diagnostics=False)
        return str(answer.get("detected_license_expression_spdx") or "NOASSERTION")

    run(warm_up)  # the licence index is loaded lazily on the first call
    return run


def main() -> None:
    engine, listing = sys.argv[1], Path(sys.argv[2])
    files = listing.read_text("utf-8").splitlines()
    warm_up = listing.with_name("warm-up.txt")
    warm_up.write_text("hello\n")
    started = time.perf_counter()
    detect = ours() if engine == "ours" else scancode(str(warm_up))
    startup = time.perf_counter() - started
    answers, elapsed = [], 0.0
    for path in files:
        t = time.perf_counter()
        answers.append(detect(path))
        elapsed += time.perf_counter() - t
    json.dump({"startup_s": startup, "total_s": elapsed, "answers": answers}, sys.stdout)


if __name__ == "__main__":
    main()
