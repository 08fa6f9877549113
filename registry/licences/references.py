"""Reference licence texts bundled in data/, loaded once with precomputed features."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .textnorm import shingles, tokens

DATA = Path(__file__).with_name("data") / "references.json.gz"
# Licence families whose texts leave the "-only" / "-or-later" choice to a notice.
VERSIONED_SUFFIX = "-only"
_EDGE = 25  # shingles used to recognise where a licence body starts / ends
_APPENDIX_MARKERS = ("end of terms and conditions", "addendum how to use this")


@dataclass(frozen=True)
class Reference:
    key: str
    spdx: str
    lang: str
    kind: str  # "text" (a whole licence) or "notice" (a standard header notice)
    features: frozenset[str]
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


def build_reference(key: str, spdx: str, lang: str, kind: str, text: str) -> Reference:
    words = tokens(text)
    split = _split_appendix(words)
    every = shingles(words)
    terms, appendix = every[: max(split - 4, 1)], every[max(split - 4, 1) :]
    return Reference(
        key=key,
        spdx=spdx,
        lang=lang,
        kind=kind,
        features=frozenset(every),
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


def raw_entries() -> list[dict[str, str]]:
    payload = json.loads(gzip.decompress(DATA.read_bytes()).decode("utf-8"))
    return list(payload["entries"])


@lru_cache(maxsize=1)
def default_references() -> ReferenceSet:
    return build_set(
        build_reference(e["key"], e["spdx"], e["lang"], e["kind"], e["text"]) for e in raw_entries()
    )
