"""Reference licence texts bundled in data/, loaded once with precomputed features."""

from __future__ import annotations

import gc
import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .textnorm import NORMALISATION, SHINGLE, shingles, tokens

DATA = Path(__file__).with_name("data") / "references.json.gz"
# Licence families whose texts leave the "-only" / "-or-later" choice to a notice.
VERSIONED_SUFFIX = "-only"
_EDGE = 25  # shingles used to recognise where a licence body starts / ends
_APPENDIX_MARKERS = ("end of terms and conditions", "addendum how to use this")


@dataclass(frozen=True, eq=False)
class Reference:
    key: str
    spdx: str
    lang: str
    kind: str  # "text" (a whole licence) or "notice" (a standard header notice)
    features: frozenset[str]
    terms: frozenset[str]  # features of the licence body, without its "How to apply" appendix
    head: frozenset[str]  # first shingles of the terms
    terms_tail: frozenset[str]  # last shingles before the appendix ("How to apply")
    appendix_head: frozenset[str]
    tail: frozenset[str]  # last shingles of the whole text

    @property
    def versioned(self) -> bool:
        return self.kind == "text" and self.spdx.endswith(VERSIONED_SUFFIX)

    @property
    def family(self) -> str:
        return self.spdx.removesuffix(VERSIONED_SUFFIX) if self.versioned else self.spdx


@dataclass(frozen=True)
class ReferenceSet:
    references: tuple[Reference, ...]
    # shingle -> indices of the references containing it
    index: dict[str, tuple[int, ...]]


def _split_appendix(words: list[str]) -> int:
    joined = " ".join(words)
    for marker in _APPENDIX_MARKERS:
        at = joined.find(marker)
        if at >= 0:
            return joined[:at].count(" ") + len(marker.split())
    return len(words)


def build_reference(key: str, spdx: str, lang: str, kind: str, text: str, words: list[str] | None = None) -> Reference:
    words = tokens(text) if words is None else words
    every = shingles(words)
    if not (kind == "text" and spdx.endswith(VERSIONED_SUFFIX)):
        # Only -only/-or-later families need the body/appendix landmarks.
        empty: frozenset[str] = frozenset()
        return Reference(key, spdx, lang, kind, frozenset(every), empty, empty, empty, empty, empty)
    split = max(_split_appendix(words) - SHINGLE + 1, 1)
    terms, appendix = every[:split], every[split:]
    return Reference(
        key=key,
        spdx=spdx,
        lang=lang,
        kind=kind,
        features=frozenset(every),
        terms=frozenset(terms),
        head=frozenset(terms[:_EDGE]),
        terms_tail=frozenset(terms[-_EDGE:]),
        appendix_head=frozenset(appendix[:_EDGE]),
        tail=frozenset((appendix or terms)[-_EDGE:]),
    )


def build_set(references: Iterable[Reference]) -> ReferenceSet:
    refs = tuple(references)
    postings: dict[str, list[int]] = {}
    for i, ref in enumerate(refs):
        for feature in ref.features:
            postings.setdefault(feature, []).append(i)
    return ReferenceSet(refs, {k: tuple(v) for k, v in postings.items()})


def _payload() -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(gzip.decompress(DATA.read_bytes()).decode("utf-8"))
    return payload


def raw_entries() -> list[dict[str, str]]:
    return list(_payload()["entries"])


@lru_cache(maxsize=1)
def default_references() -> ReferenceSet:
    # Hundreds of thousands of long-lived strings: the cyclic GC would rescan them for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        payload = _payload()
        fresh = payload.get("normalisation") == NORMALISATION
        return build_set(
            build_reference(e["key"], e["spdx"], e["lang"], e["kind"], e["text"], e["words"].split() if fresh else None)
            for e in payload["entries"]
        )
    finally:
        if enabled:
            gc.enable()
