"""The Jinja2 environment: i18n through app.i18n, Paris dates, and page helpers."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from app.i18n import current_language, gettext, ngettext, translate_stored
from app.timefmt import format_ago, format_when

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


def _when(value: Any, fmt: str = "medium") -> str:
    return format_when(value, current_language.get(), fmt=fmt)


def _ago(value: Any) -> str:
    return format_ago(value, current_language.get())


@functools.lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@functools.lru_cache(maxsize=64)
def _decimal_pattern(language: str, digits: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "#" * digits if digits else ""))


@functools.lru_cache(maxsize=16)
def _money_pattern(language: str) -> NumberPattern:
    """The language's currency pattern without cents (parsed once per language, not per amount)."""
    return parse_pattern(_locale(language).currency_formats["standard"].pattern.split(";")[0].replace(".00", ""))


def _number(value: float | int | None, digits: int = 2) -> str:
    """A decimal in the reader's language (84,82 in French, 84.82 in English); whole numbers stay whole."""
    if value is None:
        return ""
    language = current_language.get()
    return _decimal_pattern(language, digits).apply(value, _locale(language))


def _money(value: int | None) -> str:
    """Whole euros in the reader's language: 110 000 € in French, €110,000 in English."""
    if value is None:
        return ""
    return _money_text(current_language.get(), value)


@functools.lru_cache(maxsize=4096)
def _money_text(language: str, value: int) -> str:
    # Amounts repeat across pages (and babel looks the currency's name up on every call): kept.
    return _money_pattern(language).apply(value, _locale(language), currency="EUR", currency_digits=False)


def _filesize(value: int | None) -> str:
    """A file size in the reader's language: 312 octets, 1,4 Mo in French; 312 bytes, 1.4 MB in English."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    language = current_language.get()
    french = language.startswith("fr")
    if value < 1024:
        unit = ("octet" if value < 2 else "octets") if french else ("byte" if value == 1 else "bytes")
        return f"{format_decimal(value, locale=language)}\u00a0{unit}"
    power = 1 if value < 1024**2 else 2 if value < 1024**3 else 3
    unit = ("Ko", "Mo", "Go")[power - 1] if french else ("KB", "MB", "GB")[power - 1]
    return f"{format_decimal(value / 1024**power, format='#,##0.#', locale=language)}\u00a0{unit}"


def build_environment(*, auto_reload: bool = True) -> Environment:
    """Templates are compiled once and kept (cache_size); in production (auto_reload=False) the files
    are not even stat'ed again on each render."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        auto_reload=auto_reload,
        cache_size=1000,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    env.filters["money"] = _money
    env.filters["number"] = _number
    env.filters["translated"] = translate_stored  # stored French sentences (harvest errors)
    env.filters["filesize"] = _filesize
    env.globals["current_language"] = current_language.get
    return env


def page(template: str, request: Request, *, status_code: int = 200, **context: Any) -> Template:
    """A page with what every layout needs: the user, the language, the path, a flash message."""
    from app.web.forms import FLASH_COOKIE, pop_flash

    flash = pop_flash(request)
    cookies = [Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/")] if flash else None
    return Template(
        template_name=template,
        context={"user": request.scope.get("user"), "lang": current_language.get(),
                 "path": request.url.path, "query": request.url.query, "flash": flash,
                 **context},
        status_code=status_code,
        cookies=cookies,
    )
