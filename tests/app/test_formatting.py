"""Money, decimals and dates follow the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.i18n import current_language
from app.web.templating import _money, _number, _when


@pytest.mark.parametrize(("language", "money", "number"), [
    ("fr", "110\u202f000\xa0€", "84,82"),
    ("en", "€110,000", "84.82"),
])
def test_money_and_decimals_in_each_language(language, money, number):
    token = current_language.set(language)
    try:
        assert _money(110_000) == money
        assert _number(84.8214) == number
        assert _number(3.0) == "3"
    finally:
        current_language.reset(token)


def test_dates_are_shown_in_paris_time():
    token = current_language.set("fr")
    try:
        # 29 March 2026, 01:30 UTC is 03:30 in Paris (summer time began at 02:00).
        assert _when(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "short") == "29 mars 2026 à 03:30"
    finally:
        current_language.reset(token)
