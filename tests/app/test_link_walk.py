"""The link walk: as each role and in each language, follow every same-origin link the pages offer.

Breadth-first from `/` and the role's home, GET only, through the whole app (middleware, templates,
error handlers) on the test's engine, over the demo data. Concrete paths are grouped by the route
they match (`/applications/12` and `/applications/13` are one route) and only a few per route are
opened, so the walk stays fast. Every problem is collected, then reported at once:
- any 5xx answer;
- an HTML page whose <title> is empty or holds markup (`<` or `&lt;`, escaped twice);
- an internal link answering 404 (a link that leads nowhere);
- on English pages, French messages of the catalogue left untranslated (`untranslated_french`).
Downloads (non-HTML answers) are fetched for their status only; logout is never followed.
"""

from __future__ import annotations

import html as html_lib
import re
import time
from collections import deque
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

from registry.demo import DEMO_ACCOUNTS
from tests.app.test_english_pages import untranslated_french
from tests.conftest import login

ORIGIN = "http://testserver.local"
MAX_PAGES = 400  # per role and language
PER_ROUTE = 3  # concrete paths opened per route template
HOMES = {"anonymous": "/", "applicant": "/applications", "reviewer": "/reviews", "manager": "/manage",
         "admin": "/manage"}
SKIPPED = re.compile(r"^/(logout|api/)")  # logout ends the walk; the API has its own conformance test
HREF = re.compile(r"<a\b[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE | re.DOTALL)
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _route_patterns(app) -> list[tuple[re.Pattern, str]]:
    """Each GET route of the app as a regular expression, the most literal first."""
    patterns = []
    for route in app.routes:
        if "GET" not in getattr(route, "methods", {"GET"}):
            continue
        template = route.path
        regex = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template, template.count("{")))
    patterns.sort(key=lambda item: item[2])
    return [(pattern, template) for pattern, template, _ in patterns]


def _route_of(path: str, patterns) -> str:
    for pattern, template in patterns:
        if pattern.match(path):
            return template
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def _links(page_url: str, body: str) -> list[str]:
    """The same-origin links of a page, as path?query, without fragment nor `lang` parameter."""
    found = []
    for double, single in HREF.findall(body):
        href = html_lib.unescape(double or single).strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        absolute = urlsplit(urljoin(page_url, href))
        if f"{absolute.scheme}://{absolute.netloc}" != ORIGIN:
            continue
        query = [(key, value) for key, value in parse_qsl(absolute.query, keep_blank_values=True) if key != "lang"]
        found.append(absolute.path + (f"?{urlencode(query)}" if query else ""))
    return found


def title_problem(body: str) -> str | None:
    """What is wrong with the page's <title>, if anything."""
    title = TITLE.search(body)
    text = title.group(1).strip() if title else ""
    if not text:
        return "empty or missing <title>"
    if "<" in text or "&lt;" in text:
        return f"markup in <title>: {text!r}"
    return None


def test_the_checks_catch_bad_titles_and_keep_links_same_origin():
    assert title_problem("<html><head><title>  </title></head></html>") == "empty or missing <title>"
    assert title_problem("<html><head></head></html>") == "empty or missing <title>"
    assert "markup" in title_problem("<title>&lt;em&gt;Projet&lt;/em&gt; — AMI</title>")
    assert "markup" in title_problem("<title>Projet <em>x</em></title>")
    assert title_problem("<title>Projets financés — AMI</title>") is None
    page = (f'<a href="/calls?lang=en&amp;page=2#top">x</a> <a href="https://example.org/">y</a> '
            f'<a href="mailto:a@b.fr">z</a> <a href="{ORIGIN}/projects">p</a> <a href=\'edit\'>e</a>')
    assert _links(f"{ORIGIN}/manage/calls/", page) == ["/calls?page=2", "/projects", "/manage/calls/edit"]


async def _walk(client, lang: str, role: str, patterns) -> tuple[list[str], int]:
    problems: list[str] = []
    queue: deque[tuple[str, str]] = deque([("/", "(start)"), (HOMES[role], "(start)")])
    seen_paths: set[str] = set()
    per_route: dict[str, int] = {}
    opened = 0
    while queue and opened < MAX_PAGES:
        url, source = queue.popleft()
        path = urlsplit(url).path
        if path in seen_paths or SKIPPED.match(path):
            continue
        route = _route_of(path, patterns)
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        seen_paths.add(path)
        per_route[route] = per_route.get(route, 0) + 1
        opened += 1
        where = f"[{role}/{lang}] {url} (linked from {source})"
        response = await client.get(url, follow_redirects=True)
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code} {response.text[:300]!r}")
            continue
        if response.status_code == 404:
            problems.append(f"{where}: 404, a link to nowhere")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # a download: its status is all we check
        body = response.text
        if found := title_problem(body):
            problems.append(f"{where}: {found}")
        if lang == "en" and response.status_code == 200:
            problems += [f"{where}: {found}" for found in untranslated_french(body)]
        final = str(response.url)
        if urlsplit(final).path != path:  # a redirect: the links are relative to where we landed
            seen_paths.add(urlsplit(final).path)
        for link in _links(final, body):
            if urlsplit(link).path not in seen_paths:
                queue.append((link, url))
    return problems, opened


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_every_linked_page_works_for_every_role(client, app, full_demo, lang):
    patterns = _route_patterns(app)
    problems: list[str] = []
    counts: dict[str, int] = {}
    started = time.monotonic()
    for role in ["anonymous", *(account.role for account in DEMO_ACCOUNTS)]:
        client.cookies.clear()
        if role != "anonymous":
            account = next(account for account in DEMO_ACCOUNTS if account.role == role)
            response = await login(client, account.email, account.password)
            assert "/login" not in str(response.url), f"{role} could not log in"
        client.cookies.set("ami_lang", lang)
        found, counts[role] = await _walk(client, lang, role, patterns)
        problems += found
    # The walk really walked: each role reached pages beyond its starting points.
    assert all(count >= 5 for count in counts.values()), counts
    assert counts["manager"] > counts["anonymous"], counts
    report = "\n".join(problems)
    assert not problems, (f"{len(problems)} problems on {sum(counts.values())} pages "
                          f"({counts}, {time.monotonic() - started:.0f} s):\n{report}")
