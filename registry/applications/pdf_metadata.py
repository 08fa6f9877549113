"""The copy of a PDF that reviewers of a blind call get: same pages, no document metadata.

Removed: the document information dictionary (Author, Title, Creator, Producer, Subject, Keywords, dates…),
every XMP `/Metadata` stream (document, pages, images, fonts…) and `/PieceInfo` (an application's private
data). The text and images inside the pages are untouched: they are not anonymised. The stored file and the
applicant's own download stay as uploaded.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject, NameObject, StreamObject

from registry.errors import Conflict

IDENTIFYING_KEYS = (NameObject("/Metadata"), NameObject("/PieceInfo"))


def _scrub(value: object, seen: set[int]) -> None:
    if isinstance(value, IndirectObject):
        key = value.idnum
        if key in seen:
            return
        seen.add(key)
        value = value.get_object()
    if isinstance(value, DictionaryObject | StreamObject):
        for name in IDENTIFYING_KEYS:
            if name in value:
                del value[name]
        for item in list(value.values()):
            _scrub(item, seen)
    elif isinstance(value, list):
        for item in value:
            _scrub(item, seen)


def _drop_unreferenced(writer: PdfWriter) -> None:
    try:
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    except TypeError:  # pypdf < 6 names the options differently
        writer.compress_identical_objects(remove_identicals=False, remove_orphans=True)


def strip_pdf_metadata(content: bytes) -> bytes:
    """`content` without its metadata; Conflict when the file cannot be read (never the original instead)."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None  # no /Info dictionary at all (not even pypdf's own Producer)
        writer.xmp_metadata = None
        _scrub(writer.root_object, set())
        _drop_unreferenced(writer)  # the old Info dictionary and XMP streams, cloned but no longer used
        out = io.BytesIO()
        writer.write(out)
    except Exception as error:  # pypdf raises many kinds on damaged files
        raise Conflict("Les métadonnées de ce fichier n'ont pas pu être retirées : il n'est pas transmis aux "
                       "évaluateurs d'un appel anonyme. Signalez-le à l'équipe de l'appel.") from error
    return out.getvalue()
