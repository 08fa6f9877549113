"""The Jinja2 environment: i18n through app.i18n, Paris dates, and page helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from app.i18n import current_language, gettext, ngettext
from app.timefmt import format_ago, format_when

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


def _when(value: Any, fmt: str = "medium") -> str:
    return format_when(value, current_language.get(), fmt=fmt)


def _ago(value: Any) -> str:
    return format_ago(value, current_language.get())


def _number(value: float | int | None, digits: int = 2) -> str:
    """A decimal in the reader's language (84,82 in French, 84.82 in English); whole numbers stay whole."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current_language.get())


def _money(value: int | None) -> str:
    """Whole euros in the reader's language: 110 000 € in French, €110,000 in English."""
    from babel import Locale
    from babel.numbers import format_currency

    if value is None:
        return ""
    language = current_language.get()
    pattern = Locale.parse(language).currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    return format_currency(value, "EUR", format=pattern, locale=language, currency_digits=False)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
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
