"""French is the source language of every message; English comes from a Babel catalog.

The catalog (.po) is read directly at start-up, so no compile step is needed.
"""

from __future__ import annotations

import re
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


# Stored French sentences (harvest errors, licence reasons) --------------------------------------
# Some texts are written once, in French, and kept (a repository's last harvest error). Each is a
# catalogue message with its parameters filled in, possibly nested ("la liste des %(what)s s'est
# interrompue page %(page)s : %(reason)s"). `translate_stored` finds the message again and
# translates it, its parameters too; a text it does not recognise is shown as it is.

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@cache
def _stored_patterns(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    patterns = []
    for french, english in _catalog(language).items():
        if isinstance(english, tuple) or not _PLACEHOLDER.search(french):
            continue
        parts, last, seen = [], 0, set()
        for match in _PLACEHOLDER.finditer(french):
            literal = french[last:match.start()].replace("%%", "%")
            parts.append(re.escape(literal))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            last = match.end()
        parts.append(re.escape(french[last:].replace("%%", "%")))
        literal_length = len(_PLACEHOLDER.sub("", french))
        if literal_length >= 3:  # "%(a)s %(b)s" would match anything
            patterns.append((literal_length, re.compile("".join(parts), re.DOTALL), english))
    patterns.sort(key=lambda item: -item[0])
    return tuple((pattern, english) for _, pattern, english in patterns)


def translate_stored(text: str | None, *, _depth: int = 0) -> str:
    """A stored French sentence in the current language (unchanged in French or when unknown)."""
    if not text:
        return ""
    language = current_language.get()
    if language == DEFAULT_LANGUAGE or _depth > 6:
        return text
    found = _catalog(language).get(text)
    if isinstance(found, str):
        return found
    for pattern, english in _stored_patterns(language):
        match = pattern.fullmatch(text)
        if match:
            params = {name: translate_stored(value, _depth=_depth + 1)
                      for name, value in match.groupdict().items()}
            try:
                return english % params
            except (KeyError, ValueError, TypeError):
                return text
    return text
