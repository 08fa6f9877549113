"""Licence detection from text: shingle containment against bundled references."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .references import Reference, ReferenceSet, default_references
from .textnorm import SHINGLE, shingles, tokens

NOASSERTION = "NOASSERTION"
MIN_COVERAGE = 0.8  # share of a reference's shingles that must be present
MIN_CONFIDENCE = 0.75
PRESENT = 0.6  # share of a reference's distinctive shingles proving it is there
ABSENT = 0.3
MAX_BYTES = 2_000_000
_LATER = re.compile(
    r"\b(?:any later version|or later|any later|or any later version|ou toute version ulterieure"
    r"|toute version ulterieure|version ulterieure|or\s+later)\b"
)


@dataclass(frozen=True)
class Match:
    """One reference found in a text."""

    spdx: str
    reference: str  # bundled reference key, e.g. "cecill-b" (French) or "cecill-b-en"
    lang: str
    coverage: float
    precision: float


@dataclass(frozen=True)
class Detection:
    """Answer of the detector: an SPDX expression or NOASSERTION, with a confidence in [0, 1]."""

    spdx: str
    confidence: float
    matches: tuple[Match, ...] = field(default=())
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.spdx != NOASSERTION


def _abstain(reason: str, confidence: float = 0.0) -> Detection:
    return Detection(NOASSERTION, round(confidence, 3), (), reason)


@lru_cache(maxsize=512)
def _own(a: Reference, b: Reference) -> frozenset[str]:
    return a.features - b.features


def _distinctive(doc: set[str], a: Reference, b: Reference) -> float | None:
    """Share of a's shingles absent from b that the document contains (None: too few to tell)."""
    own = _own(a, b)
    if len(own) < 3:
        return None
    return len(own & doc) / len(own)


def _versioned_suffix(ref: Reference, seq: list[str], words: list[str]) -> str:
    """'-or-later' when text outside the licence body grants "any later version"."""

    def first(pool: frozenset[str], after: int = -1) -> int | None:
        return next((i for i in range(after + 1, len(seq)) if seq[i] in pool), None)

    def last(pool: frozenset[str]) -> int | None:
        return next((i for i in range(len(seq) - 1, -1, -1) if seq[i] in pool), None)

    start = first(ref.head)
    if start is None:
        start = first(ref.terms) or 0
    terms_end = last(ref.terms_tail)
    if terms_end is None or terms_end < start:
        terms_end = last(ref.terms) or start
    outside = [words[:start]]
    appendix_start = first(ref.appendix_head, terms_end) if ref.appendix_head else None
    if appendix_start is None:
        outside.append(words[terms_end + SHINGLE :])
    else:
        outside.append(words[terms_end + SHINGLE : appendix_start])
        end = last(ref.tail)
        outside.append(words[max(end or appendix_start, appendix_start) + SHINGLE :])
    residual = " ".join(" ".join(part) for part in outside)
    return "-or-later" if _LATER.search(residual) else "-only"


def detect_text(text: str, references: ReferenceSet | None = None) -> Detection:
    refs = references or default_references()
    words = tokens(text)
    seq = shingles(words)
    doc = set(seq)
    if not doc:
        return _abstain("empty text")
    counts: Counter[int] = Counter()
    for postings, n in Counter(map(refs.index.get, doc)).items():
        for i in postings or ():
            counts[i] += n
    ranked = sorted(
        ((n / len(refs.references[i].features), n / len(doc), refs.references[i]) for i, n in counts.items()),
        key=lambda c: c[0] + 0.2 * c[1],
        reverse=True,
    )
    candidates = [c for c in ranked if c[0] >= MIN_COVERAGE]
    if not candidates:
        best = ranked[0][0] if ranked else 0.0
        return _abstain("no reference licence text is sufficiently contained", best)
    selected = [candidates[0]]
    for cand in candidates[1:]:
        keep = True
        for i, chosen in enumerate(selected):
            mine = _distinctive(doc, cand[2], chosen[2])
            theirs = _distinctive(doc, chosen[2], cand[2])
            if mine is None or mine <= ABSENT:
                keep = False  # cand's own content is absent: it is a variant of chosen
                break
            if mine >= PRESENT and (theirs is None or theirs <= ABSENT):
                selected[i] = cand  # chosen is the variant of cand
                keep = False
                break
            if mine < PRESENT or (theirs is not None and theirs < PRESENT):
                return _abstain(f"ambiguous between {chosen[2].key} and {cand[2].key}", cand[0])
        if keep:
            selected.append(cand)
    explained = set().union(*(c[2].features for c in selected)) & doc
    share = len(explained) / len(doc)
    confidence = min(c[0] for c in selected) * (0.85 + 0.15 * min(1.0, share / 0.6))
    if confidence < MIN_CONFIDENCE:
        return _abstain("licence text found but mixed with too much other text", confidence)
    ids: list[str] = []
    for _cov, _prec, ref in selected:
        spdx = ref.family + _versioned_suffix(ref, seq, words) if ref.versioned else ref.spdx
        if spdx not in ids:
            ids.append(spdx)
    matches = tuple(Match(ref.spdx, ref.key, ref.lang, round(cov, 3), round(prec, 3)) for cov, prec, ref in selected)
    expression = " AND ".join(sorted(ids)) if len(ids) > 1 else ids[0]
    return Detection(expression, round(confidence, 3), matches, "matched " + ", ".join(r.key for *_, r in selected))


def read_text(path: Path) -> str:
    data = path.read_bytes()[:MAX_BYTES]
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect_path(path: str | Path, references: ReferenceSet | None = None) -> Detection:
    """Detect the licence of one file (see findings.collect_findings for folders)."""
    return detect_text(read_text(Path(path)), references)
