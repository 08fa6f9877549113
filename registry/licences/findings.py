"""Licence findings from a repository's files and metadata, reconciled into one expression."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from .detect import NOASSERTION, Detection, detect_path
from .expressions import InvalidExpression, licensing, normalise_expression


class Source(StrEnum):
    LICENCE_FILE = "licence_file"
    SPDX_HEADER = "spdx_header"
    CODEMETA = "codemeta"
    PUBLICCODE = "publiccode"
    FORGE = "forge"
    DECLARED = "declared"


# Sources found in the repository itself; forge and declared licences are claims checked against them.
EVIDENCE = (Source.LICENCE_FILE, Source.SPDX_HEADER, Source.CODEMETA, Source.PUBLICCODE)
_METADATA = (Source.SPDX_HEADER, Source.CODEMETA, Source.PUBLICCODE)

LICENCE_FILE = re.compile(
    r"^(?:(?:un)?licen[cs]e|copying|copyright|licen[cs]e[-_.][\w.-]+|copying[-_.][\w.-]+|[\w.-]+[-_]licen[cs]e)"
    r"(?:\.(?:md|markdown|txt|rst|fr|en|html))?$",
    re.I,
)
_HEADER = re.compile(r"SPDX-License-Identifier:\s*(.+?)\s*(?:\*/|-->|#\}|\"\"\"|'''|$)", re.M)
_SPDX_URL = re.compile(r"^https?://(?:www\.)?spdx\.org/licenses/([A-Za-z0-9.+\-]+?)(?:\.html|\.json)?/?$", re.I)
_SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "vendor",
    "third_party",
    "dist",
    "build",
}
_SOURCE_EXT = {
    ".py", ".js", ".ts", ".tsx", ".jsx", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".go", ".rs",
    ".rb", ".php", ".r", ".R", ".jl", ".scala", ".sh", ".sql", ".m", ".swift", ".vue", ".css", ".scss", ".html",
    ".yml", ".yaml", ".toml", ".cfg", ".ini", ".md", ".rst", ".txt", ".dart", ".lua", ".pl", ".ex", ".exs",
}  # fmt: skip
HEADER_BYTES = 4096
MAX_SOURCE_FILES = 5000


@dataclass(frozen=True)
class Finding:
    """One source's opinion on a licence: an SPDX expression, NOASSERTION, or an error."""

    source: Source
    location: str  # relative path, or "forge" / "declared"
    expression: str
    confidence: float = 1.0
    raw: str = ""
    error: str | None = None

    @property
    def known(self) -> bool:
        return self.error is None and self.expression not in (NOASSERTION, "NONE")


@dataclass(frozen=True)
class Disagreement:
    """Two sources that do not say the same thing; second=None means the reconciled expression."""

    first: Finding
    second: Finding | None
    message: str


@dataclass(frozen=True)
class Reconciliation:
    expression: str
    confidence: float
    rule: str
    findings: tuple[Finding, ...]
    disagreements: tuple[Disagreement, ...] = field(default=())


def finding_from_expression(source: Source, location: str, value: str, confidence: float = 1.0) -> Finding:
    """A finding from a declared SPDX expression (or an spdx.org URL); invalid ones keep their error."""
    raw = value.strip()
    url = _SPDX_URL.match(raw)
    text = url.group(1) if url else raw
    if source is Source.FORGE and text.lower() in ("other", "noassertion", ""):
        return Finding(source, location, NOASSERTION, 0.0, raw)  # GitHub/GitLab: "not recognised"
    try:
        return Finding(source, location, normalise_expression(text), confidence, raw)
    except InvalidExpression as error:
        return Finding(source, location, NOASSERTION, 0.0, raw, error.message)


def finding_from_detection(location: str, detection: Detection) -> Finding:
    return Finding(Source.LICENCE_FILE, location, detection.spdx, detection.confidence, "", None)


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            yield Path(folder) / name


def _header_findings(root: Path) -> list[Finding]:
    found: list[Finding] = []
    for count, path in enumerate(p for p in _walk(root) if p.suffix in _SOURCE_EXT):
        if count >= MAX_SOURCE_FILES:
            break
        try:
            with path.open("rb") as handle:
                head = handle.read(HEADER_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        for match in _HEADER.finditer(head):
            found.append(finding_from_expression(Source.SPDX_HEADER, path.relative_to(root).as_posix(), match.group(1)))
    return found


def _codemeta(path: Path) -> list[Finding]:
    try:
        value = json.loads(path.read_text("utf-8")).get("license")
    except (OSError, ValueError, AttributeError):
        return [Finding(Source.CODEMETA, path.name, NOASSERTION, 0.0, "", "codemeta.json is not valid JSON")]
    values = value if isinstance(value, list) else [value] if value else []
    items = [
        v if isinstance(v, str) else str(v.get("@id") or v.get("url") or v.get("identifier", ""))
        for v in values
        if isinstance(v, (str, dict))
    ]
    return [finding_from_expression(Source.CODEMETA, path.name, v) for v in items if v]


def _publiccode(path: Path) -> list[Finding]:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        value = data["legal"]["license"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return [Finding(Source.PUBLICCODE, path.name, NOASSERTION, 0.0, "", "no legal.license in publiccode.yml")]
    return [finding_from_expression(Source.PUBLICCODE, path.name, str(value))]


def licence_files(root: Path) -> list[Path]:
    """Licence-like files at the root and in a REUSE LICENSES/ folder."""
    candidates = [p for p in sorted(root.iterdir()) if p.is_file() and LICENCE_FILE.match(p.name)]
    reuse = root / "LICENSES"
    if reuse.is_dir():
        candidates += [p for p in sorted(reuse.iterdir()) if p.is_file()]
    return candidates


def collect_findings(root: str | Path, forge: str | None = None, declared: str | None = None) -> list[Finding]:
    """Every finding of a checked-out repository, plus the forge's and the applicant's answers."""
    base = Path(root)
    findings = [finding_from_detection(p.relative_to(base).as_posix(), detect_path(p)) for p in licence_files(base)]
    findings += _header_findings(base)
    for name in ("codemeta.json",):
        if (base / name).is_file():
            findings += _codemeta(base / name)
    for name in ("publiccode.yml", "publiccode.yaml"):
        if (base / name).is_file():
            findings += _publiccode(base / name)
    if forge is not None:
        findings.append(finding_from_expression(Source.FORGE, "forge", forge))
    if declared is not None:
        findings.append(finding_from_expression(Source.DECLARED, "declared", declared))
    return findings


def _key(expression: str) -> str:
    return str(licensing().parse(expression).simplify().render())


def _ids(expression: str) -> set[str]:
    return set(licensing().license_keys(licensing().parse(expression)))


def _and(expressions: Iterable[str]) -> str:
    parts = sorted(set(expressions))
    joined = " AND ".join(f"({p})" if " OR " in p else p for p in parts)
    return _key(joined) if len(parts) > 1 else parts[0]


def _says(f: Finding) -> str:
    return f"{f.source.value} {f.location} says {f.expression}"


def _disagreements(items: tuple[Finding, ...], concluded: str, covered: bool) -> tuple[Disagreement, ...]:
    known = [f for f in items if f.known]
    reps: dict[str, Finding] = {}
    for f in known:
        if f.source in EVIDENCE:
            reps.setdefault(_key(f.expression), f)
    out: list[Disagreement] = []
    if covered:
        ids = _ids(concluded)
        for f in known:
            outside = f.source in EVIDENCE and not _ids(f.expression) <= ids
            if outside or (f.source in _METADATA and _key(f.expression) != concluded):
                out.append(Disagreement(f, None, f"{_says(f)} but the repository is {concluded}"))
    else:
        pairs = list(reps.values())
        out += [Disagreement(a, b, f"{_says(a)} but {_says(b)}") for i, a in enumerate(pairs) for b in pairs[i + 1 :]]
    for f in items:
        if f.source not in (Source.FORGE, Source.DECLARED) or not f.known:
            continue
        if concluded == NOASSERTION or _key(f.expression) != _key(concluded):
            out.append(Disagreement(f, None, f"{_says(f)} but the repository is {concluded}"))
    return tuple(out)


def reconcile(findings: Iterable[Finding]) -> Reconciliation:
    """One expression for a repository.

    1. A header or metadata expression containing OR whose licences cover every licence file wins
       (dual licensing: files MIT + Apache-2.0 and headers "MIT OR Apache-2.0").
    2. Otherwise every distinct expression found in the repository is combined with AND.
    3. Without repository evidence, a recognised forge answer is used; the declared licence never
       concludes (it is the claim being checked). Nothing known: NOASSERTION.
    Disagreements between sources are listed, the declared licence included.
    """
    items = tuple(findings)
    known = [f for f in items if f.known]
    evidence = [f for f in known if f.source in EVIDENCE]
    files = [f for f in evidence if f.source is Source.LICENCE_FILE]
    file_ids = set().union(*(_ids(f.expression) for f in files)) if files else set()
    covering = [
        f for f in evidence if f.source in _METADATA and " OR " in f.expression and file_ids <= _ids(f.expression)
    ]
    if covering:
        best = max(covering, key=lambda f: sum(_key(g.expression) == _key(f.expression) for g in covering))
        result = Reconciliation(_key(best.expression), 1.0, "metadata OR expression covering the licence files", items)
    elif evidence:
        confidence = min(f.confidence for f in evidence)
        result = Reconciliation(
            _and(f.expression for f in evidence), confidence, "every repository source combined with AND", items
        )
    else:
        forge = [f for f in known if f.source is Source.FORGE]
        if forge:
            result = Reconciliation(
                forge[0].expression, forge[0].confidence, "forge answer (no repository evidence)", items
            )
        else:
            result = Reconciliation(NOASSERTION, 0.0, "no licence evidence", items)
    disagreements = _disagreements(items, result.expression, bool(covering))
    return Reconciliation(result.expression, round(result.confidence, 3), result.rule, items, disagreements)
