"""One date format per language, on every page and in mails (feeds use RFC 3339)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app.timefmt import format_duration as duration
from app.timefmt import format_when
from registry.calls.tables import Call
from tests.conftest import login

MOMENT = datetime(2026, 12, 3, 13, 5, 9, tzinfo=UTC)  # 14:05:09 in Paris


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", {"medium": "3 décembre 2026 à 14:05", "long": "3 décembre 2026 à 14:05",
            "full": "3 décembre 2026 à 14:05:09", "short": "3 déc. 2026 à 14:05",
            "date": "3 décembre 2026", "short_date": "3 déc. 2026",
            "d MMMM y": "3 décembre 2026", "dd/MM/y HH:mm": "3 décembre 2026 à 14:05"}),
    ("en", {"medium": "3 December 2026 at 14:05", "long": "3 December 2026 at 14:05",
            "full": "3 December 2026 at 14:05:09", "short": "3 Dec 2026 at 14:05",
            "date": "3 December 2026", "short_date": "3 Dec 2026",
            "d MMMM y": "3 December 2026", "dd/MM/y HH:mm": "3 December 2026 at 14:05"}),
])
def test_one_format_per_language(language, expected):
    assert {fmt: format_when(MOMENT, language, fmt=fmt) for fmt in expected} == expected
    assert format_when(date(2026, 12, 3), language) == expected["date"]
    assert format_when(MOMENT.isoformat(), language) == expected["medium"]
    assert format_when(None, language) == ""


def test_durations_are_words_of_the_language():
    def format_duration(delta, language):  # Babel puts a no-break space between number and unit
        return duration(delta, language).replace("\xa0", " ")

    delta = timedelta(days=44, hours=23, minutes=5)
    assert format_duration(delta, "fr") == "44 jours et 23 heures"
    assert format_duration(delta, "en") == "44 days and 23 hours"
    assert format_duration(timedelta(hours=1, minutes=2), "en") == "1 hour and 2 minutes"
    assert format_duration(timedelta(days=1), "fr") == "1 jour"
    assert format_duration(timedelta(seconds=20), "en") == "less than a minute"
    assert format_duration(timedelta(seconds=-5), "fr") == ""


# A date written the old ways: 03/12/2026, 2026-12-03 14:05, "Dec 3, 2026", "December 3, 2026".
OTHER_FORMATS = re.compile(r"\b\d{2}/\d{2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}\b|"
                           r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}\b")


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)  # attributes (datetime="…") go with the tags


async def test_pages_show_dates_in_the_same_format(client, make_user):
    from registry.demo import load_demo

    await load_demo()
    call = await Call.objects().order_by(Call.closes_at, ascending=False).first()
    manager = await make_user("manager", email="dates@example.org")
    await login(client, manager.email)
    pages = ["/calls", f"/calls/{call.slug}", "/manage/calls", f"/manage/calls/{call.slug}", "/releases",
             "/projects", "/account/tokens"]
    for language, month_words in (("fr", r"(?:janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)"),
                                  ("en", r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")):
        seen = 0
        for url in pages:
            response = await client.get(f"{url}?lang={language}")
            assert response.status_code == 200, url
            text = _visible(response.text)
            assert not OTHER_FORMATS.findall(text), (url, OTHER_FORMATS.findall(text))
            # Every date reads "day month year", the month in words of the page's language.
            seen += len(re.findall(rf"\b\d{{1,2}} {month_words}[a-zé.]* \d{{4}}\b", text))
        assert seen >= len(pages) // 2, (language, seen)
        detail = _visible((await client.get(f"/calls/{call.slug}?lang={language}")).text)
        assert format_when(call.closes_at, language, fmt="date") in detail
