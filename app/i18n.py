"""French is the source language of every message; English comes from a Babel catalog.

The catalog (.po) is read directly at start-up, so no compile step is needed.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def _catalog(language: str) -> dict[str, str | tuple[str, ...]]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if isinstance(message.string, tuple):
            if all(message.string):
                messages[key] = tuple(message.string)
        elif message.string:
            messages[key] = message.string
    return messages


def gettext(message: str) -> str:
    language = current_language.get()
    if language == DEFAULT_LANGUAGE:
        return message
    found = _catalog(language).get(message)
    if isinstance(found, tuple):
        return found[0]
    return found or message


def ngettext(singular: str, plural: str, n: int) -> str:
    language = current_language.get()
    if language != DEFAULT_LANGUAGE:
        found = _catalog(language).get(singular)
        if isinstance(found, tuple):
            return found[0] if n == 1 else found[-1]
    # French and English both use the singular for 1 (French also for 0).
    if language == "fr":
        return singular if n <= 1 else plural
    return singular if n == 1 else plural


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, index, primary))
    return sorted(weighted)[0][2] if weighted else DEFAULT_LANGUAGE
