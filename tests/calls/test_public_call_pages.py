"""The public list of calls shows every public phase, and calls link to their transparency page."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.timefmt import format_when
from registry.calls.tables import Call

PAST = (datetime(2024, 1, 15, 9, tzinfo=UTC), datetime(2024, 3, 29, 16, tzinfo=UTC))


async def _call(slug: str, status: str, *, opens: datetime, closes: datetime, title_en: str = "") -> Call:
    call = Call(slug=slug, title_fr=f"Appel {slug}", title_en=title_en, opens_at=opens, closes_at=closes,
                status=status, budget_total=100_000, amount_min=1_000, amount_max=50_000)
    await call.save()
    return call


@pytest.fixture
async def calls(db):
    now = datetime.now(UTC)
    past = PAST
    await _call("ouvert", "published", opens=now - timedelta(days=3), closes=now + timedelta(days=30))
    await _call("a-venir", "published", opens=now + timedelta(days=10), closes=now + timedelta(days=40))
    await _call("clos", "published", opens=now - timedelta(days=40), closes=now - timedelta(days=1))
    await _call("en-evaluation", "in_review", opens=past[0], closes=past[1], title_en="Call under review")
    await _call("decide", "decided", opens=past[0], closes=past[1], title_en="Decided call")
    await _call("archive", "archived", opens=past[0], closes=past[1])
    await _call("brouillon", "draft", opens=past[0], closes=past[1])


def _sections(page: str) -> list[tuple[str, list[str]]]:
    """(section id, call slugs in it) in page order."""
    found = []
    for section in re.findall(r'<section aria-labelledby="calls-([a-z_]+)".*?</section>', page, re.S):
        body = page[page.index(f'aria-labelledby="calls-{section}"'):]
        body = body[: body.index("</section>")]
        found.append((section, re.findall(r'id="call-([a-z-]+)"', body)))
    return found


async def test_list_shows_every_public_phase_in_order(client, calls):
    page = (await client.get("/calls")).text
    assert _sections(page) == [
        ("open", ["ouvert"]),
        ("upcoming", ["a-venir"]),
        ("closed", ["clos"]),
        ("in_review", ["en-evaluation"]),
        ("decided", ["decide"]),
        ("archived", ["archive"]),
    ]
    assert "brouillon" not in page
    assert '<h2 id="calls-in_review">Appels en cours d’évaluation</h2>' in page
    decided = page[page.index('id="call-decide"'):]
    decided = decided[: decided.index("</li>")]
    assert format_when(PAST[0], "fr", fmt="short") in decided and format_when(PAST[1], "fr", fmt="short") in decided
    # Decided and archived calls link to their transparency page; others do not.
    links = re.findall(r'href="/calls/([a-z-]+)/transparency" class="transparency-link"', page)
    assert links == ["decide", "archive"]


async def test_list_in_english_reads_english(client, calls):
    page = (await client.get("/calls?lang=en")).text
    assert '<h2 id="calls-decided">Decided calls</h2>' in page
    assert '<h2 id="calls-in_review">Calls under review</h2>' in page
    assert ">Decided call</a>" in page and "Transparency: funded projects, amounts and criteria" in page
    assert format_when(PAST[0], "en", fmt="short") in page
    for french in ("Appels", "Ouverture", "clôture", "heure de Paris", "Transparence"):
        assert french not in page.split("<main", 1)[1].split("</main>", 1)[0], french


async def test_list_without_open_call_says_so(client, db):
    await _call("vieux", "decided", opens=datetime(2023, 1, 1, tzinfo=UTC), closes=datetime(2023, 2, 1, tzinfo=UTC))
    page = (await client.get("/calls")).text
    assert "Aucun appel n’est ouvert en ce moment." in page
    assert [s for s, _ in _sections(page)] == ["open", "decided"]


async def test_call_page_links_to_its_transparency(client, calls):
    decided = (await client.get("/calls/decide")).text
    assert re.search(r'<p id="call-transparency"><a href="/calls/decide/transparency">Transparence : projets', decided)
    review = (await client.get("/calls/en-evaluation?lang=en")).text
    assert '<a href="/calls/en-evaluation/transparency">The call’s transparency page (filled in' in review


@pytest.mark.parametrize(
    ("slug", "phase"),
    [
        ("ouvert", "L’appel est ouvert aux candidatures jusqu’au"),
        ("a-venir", "L’appel n’est pas encore ouvert : il ouvrira le"),
        ("clos", "Les candidatures sont closes depuis le"),
        ("en-evaluation", "Les candidatures sont en cours d’évaluation par le comité."),
    ],
)
async def test_transparency_before_decisions_names_the_phase(client, calls, slug, phase):
    page = (await client.get(f"/calls/{slug}/transparency")).text
    assert '<p id="not-published">Les décisions de cet appel ne sont pas encore publiées.' in page
    assert f'<p id="call-phase">{phase}' in page
    assert 'id="funded"' not in page


async def test_transparency_phase_in_english(client, calls):
    page = (await client.get("/calls/en-evaluation/transparency?lang=en")).text
    assert '<p id="call-phase">Applications are being reviewed by the committee.</p>' in page
    assert "<title>Transparency — Call under review" in page


async def test_home_and_footer_link_to_transparency(client, calls):
    page = (await client.get("/")).text
    assert '<a href="/calls#section-decided" id="home-transparency">' in page
    footer = page[page.index('<footer'):]
    assert '<a href="/calls#section-decided">Transparence des appels</a>' in footer
    listing = (await client.get("/calls")).text
    assert 'id="section-decided"' in listing
