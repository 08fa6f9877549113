"""Text normalisation shared by the references and the detected files."""

from __future__ import annotations

import re
import unicodedata

SHINGLE = 5
# Bump when clean()/tokens() change: the bundled pre-normalised words are then ignored.
NORMALISATION = 1

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>()\[\]\"']+", re.I)
# A copyright *statement* (not the phrase "copyright notice" inside a sentence,
# which rewrapping may bring to the start of a line).
_COPYRIGHT_LINE = re.compile(
    r"^[\s#*>\-_|/]*(?:copyright\s*(?:\(c\)|©|\d{4}|\[|<|\{|:)|©|\(c\)\s*\d{4}|spdx-filecopyrighttext\s*:)[^\n]*$",
    re.I | re.M,
)
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NON_WORD = re.compile(r"[^a-z0-9œæ]+")
# Spelling variants that must not count as differences (SPDX matching guidelines).
_EQUIVALENT = {
    "license": "licence",
    "licenses": "licences",
    "licensed": "licenced",
    "licensing": "licencing",
    "licensee": "licencee",
    "licensees": "licencees",
    "licensor": "licencor",
    "licensors": "licencors",
    "authorised": "authorized",
    "organisation": "organization",
    "favour": "favor",
    "whilst": "while",
}


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def clean(text: str) -> str:
    """Lower-case text without URLs, copyright statements, accents or typography."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _COPYRIGHT_LINE.sub(_drop_short, text)
    text = _URL.sub(" ", text)
    text = strip_accents(text).lower()
    return text.replace("’", "'").replace("‘", "'")


def tokens(text: str) -> list[str]:
    words = _NON_WORD.split(clean(text))
    return [_EQUIVALENT.get(w, w) for w in words if w]


def shingles(words: list[str], size: int = SHINGLE) -> list[str]:
    if len(words) < size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def _drop_short(match: re.Match[str]) -> str:
    # A holder line is short; a long one is licence text rewrapped after a copyright statement.
    return " " if len(match.group(0)) <= 72 else match.group(0)
