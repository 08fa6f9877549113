"""Rebuild registry/licences/data/references.json.gz from a ScanCode wheel.

Usage: python bench/licences/make_data.py path/to/scancode_toolkit_mini-*.whl [KEY=SPDX:LANG:FILE ...]

Extra KEY=SPDX:LANG:FILE arguments add texts that ScanCode lacks, e.g. the official French
EUPL-1.2 text saved from EUR-Lex: eupl-1.2-fr=EUPL-1.2:fr:/tmp/eupl-1.2-fr.txt

Obtain the wheel with `pip download --no-deps -d /tmp/x scancode-toolkit-mini`.
Only the licence texts listed below are shipped.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "registry" / "licences" / "data" / "references.json.gz"

# ScanCode key -> (SPDX id, language). "-only" ids are families whose
# -only / -or-later suffix is decided from the surrounding text.
TEXTS: dict[str, tuple[str, str]] = {
    "apache-2.0": ("Apache-2.0", "en"),
    "bsd-simplified": ("BSD-2-Clause", "en"),
    "bsd-new": ("BSD-3-Clause", "en"),
    "mit": ("MIT", "en"),
    "cecill-b": ("CECILL-B", "fr"),
    "cecill-b-en": ("CECILL-B", "en"),
    "cecill-c": ("CECILL-C", "fr"),
    "cecill-c-en": ("CECILL-C", "en"),
    "cecill-2.1": ("CECILL-2.1", "en"),
    "cecill-2.1-fr": ("CECILL-2.1", "fr"),
    "gpl-3.0": ("GPL-3.0-only", "en"),
    "lgpl-3.0": ("LGPL-3.0-only", "en"),
    "agpl-3.0": ("AGPL-3.0-only", "en"),
    "mpl-2.0": ("MPL-2.0", "en"),
    "epl-2.0": ("EPL-2.0", "en"),
    "eupl-1.2": ("EUPL-1.2", "en"),
    "etalab-2.0": ("etalab-2.0", "fr"),
    "etalab-2.0-en": ("etalab-2.0", "en"),
    "odbl-1.0": ("ODbL-1.0", "en"),
    "gpl-2.0": ("GPL-2.0-only", "en"),
    "gpl-1.0": ("GPL-1.0-only", "en"),
    "lgpl-2.1": ("LGPL-2.1-only", "en"),
    "lgpl-2.0": ("LGPL-2.0-only", "en"),
    "gfdl-1.3": ("GFDL-1.3-only", "en"),
    "isc": ("ISC", "en"),
    "zlib": ("Zlib", "en"),
    "unlicense": ("Unlicense", "en"),
    "cc0-1.0": ("CC0-1.0", "en"),
    "cc-by-4.0": ("CC-BY-4.0", "en"),
    "cc-by-sa-4.0": ("CC-BY-SA-4.0", "en"),
    "cc-by-nc-4.0": ("CC-BY-NC-4.0", "en"),
    "cc-by-nc-sa-4.0": ("CC-BY-NC-SA-4.0", "en"),
    "cc-by-nd-4.0": ("CC-BY-ND-4.0", "en"),
    "cc-by-3.0": ("CC-BY-3.0", "en"),
    "cc-by-sa-3.0": ("CC-BY-SA-3.0", "en"),
    "artistic-2.0": ("Artistic-2.0", "en"),
    "artistic-1.0": ("Artistic-1.0", "en"),
    "boost-1.0": ("BSL-1.0", "en"),
    "epl-1.0": ("EPL-1.0", "en"),
    "mpl-1.1": ("MPL-1.1", "en"),
    "mpl-1.0": ("MPL-1.0", "en"),
    "cddl-1.0": ("CDDL-1.0", "en"),
    "cddl-1.1": ("CDDL-1.1", "en"),
    "eupl-1.1": ("EUPL-1.1", "en"),
    "eupl-1.0": ("EUPL-1.0", "en"),
    "afl-3.0": ("AFL-3.0", "en"),
    "osl-3.0": ("OSL-3.0", "en"),
    "bsd-zero": ("0BSD", "en"),
    "wtfpl-2.0": ("WTFPL", "en"),
    "cecill-2.0": ("CECILL-2.0", "en"),
    "cecill-2.0-fr": ("CECILL-2.0", "fr"),
    "cecill-1.1": ("CECILL-1.1", "en"),
    "bsd-original": ("BSD-4-Clause", "en"),
    "clear-bsd": ("BSD-3-Clause-Clear", "en"),
    "mit-0": ("MIT-0", "en"),
    "x11-xconsortium": ("X11", "en"),
    "postgresql": ("PostgreSQL", "en"),
    "uoi-ncsa": ("NCSA", "en"),
    "psf-2.0": ("PSF-2.0", "en"),
    "apache-1.1": ("Apache-1.1", "en"),
    "odc-by-1.0": ("ODC-By-1.0", "en"),
    "pddl-1.0": ("PDDL-1.0", "en"),
    "ofl-1.1": ("OFL-1.1", "en"),
    "cpl-1.0": ("CPL-1.0", "en"),
    "ms-pl": ("MS-PL", "en"),
    "ms-rl": ("MS-RL", "en"),
    "upl-1.0": ("UPL-1.0", "en"),
    "lppl-1.3c": ("LPPL-1.3c", "en"),
    "vim": ("Vim", "en"),
    "unicode-dfs-2016": ("Unicode-DFS-2016", "en"),
    "blueoak-1.0.0": ("BlueOak-1.0.0", "en"),
    "ecl-2.0": ("ECL-2.0", "en"),
    "curl": ("curl", "en"),
    "libpng": ("Libpng", "en"),
    "json": ("JSON", "en"),
    "bsl-1.1": ("BUSL-1.1", "en"),
    "mongodb-sspl-1.0": ("SSPL-1.0", "en"),
    "elastic-license-v2": ("Elastic-2.0", "en"),
}

# The "-plus" files start with the standard "or any later version" notice.
NOTICES: dict[str, str] = {
    "gpl-2.0-plus": "GPL-2.0-or-later",
    "gpl-3.0-plus": "GPL-3.0-or-later",
    "lgpl-2.1-plus": "LGPL-2.1-or-later",
    "lgpl-3.0-plus": "LGPL-3.0-or-later",
    "agpl-3.0-plus": "AGPL-3.0-or-later",
}

TITLE = re.compile(r"^\s*GNU (LESSER |AFFERO |LIBRARY )?GENERAL PUBLIC LICENSE\s*$", re.M)


def body(raw: str) -> str:
    """Drop the YAML front matter of a ScanCode .LICENSE file."""
    parts = raw.split("\n---\n", 1)
    return parts[1].strip("\n") + "\n" if raw.startswith("---") and len(parts) == 2 else raw


def main(wheel: str, extras: list[str]) -> None:
    entries: list[dict[str, str]] = []
    with zipfile.ZipFile(wheel) as zf:
        def read(key: str) -> str:
            return body(zf.read(f"licensedcode/data/licenses/{key}.LICENSE").decode("utf-8"))

        for key, (spdx, lang) in TEXTS.items():
            entries.append({"key": key, "spdx": spdx, "lang": lang, "kind": "text", "text": read(key)})
        for key, spdx in NOTICES.items():
            text = read(key)
            match = TITLE.search(text)
            assert match, key
            entries.append({"key": key, "spdx": spdx, "lang": "en", "kind": "notice", "text": text[: match.start()].strip() + "\n"})
    for extra in extras:
        key, _, spec = extra.partition("=")
        spdx, lang, path = spec.split(":", 2)
        text = Path(path).read_text("utf-8")
        entries.append({"key": key, "spdx": spdx, "lang": lang, "kind": "text", "text": text})
    # Pre-normalised words spare the start-up the normalisation of ~1 MB of text.
    sys.path.insert(0, str(OUT.parents[3]))
    from registry.licences.textnorm import NORMALISATION, tokens

    for entry in entries:
        entry["words"] = " ".join(tokens(entry["text"]))
    payload = json.dumps(
        {"source": "scancode-toolkit-mini", "normalisation": NORMALISATION, "entries": entries}, ensure_ascii=False
    )
    OUT.write_bytes(gzip.compress(payload.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(entries)} references, {OUT.stat().st_size} bytes -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
