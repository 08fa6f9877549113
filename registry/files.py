"""Files the product hands out: safe CSV cells and the Content-Disposition header of every download.

Every CSV the product writes goes through `csv_writer` (so through `csv_cell`), and every file it serves
names itself with `content_disposition`; no other code builds either.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from typing import IO, Any
from urllib.parse import quote

# OWASP "CSV injection": a cell starting with one of these runs as a formula in a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain number (optional sign, digits, one decimal point or comma) cannot carry a formula: "-1500" or
# "-12,5" stay readable as numbers. Anything else after the sign ("-1+2", "-A1") is neutralised.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def csv_cell(value: Any) -> Any:
    """The value to write in one CSV cell: text that a spreadsheet would run as a formula gets a `'` prefix.

    Numbers (int, float, or text that is only a number) are kept as they are; None becomes an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """`csv.writer` whose every cell goes through `csv_cell`, headers included."""

    def __init__(self, out: IO[str], **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Any) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(out, **options)


_ASCII_LOOKALIKES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'", "‘": "'",
                                   "–": "-", "—": "-", "«": "", "»": ""})


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LOOKALIKES))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r'["\\/\x00-\x1f\x7f;]', "", ascii_only)
    return re.sub(r"\s+", " ", cleaned).strip(" .")


def ascii_filename(name: str, default: str = "document") -> str:
    """A fallback name for old clients: ASCII only, no quotes, backslashes, slashes or control characters."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = re.sub(r"[^A-Za-z0-9]", "", extension)
    stem = _ascii(stem) or default
    return f"{stem}.{extension}" if extension else stem


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 header value: an ASCII `filename` fallback and the exact name in `filename*` (RFC 5987)."""
    without_controls = "".join(ch for ch in filename if unicodedata.category(ch) != "Cc")
    fallback = ascii_filename(without_controls)
    value = f'{disposition}; filename="{fallback}"'
    if without_controls != fallback:
        value += f"; filename*=UTF-8''{quote(without_controls, safe='')}"
    return value
