"""English pages show no French chrome: every catalogue message is translated where it is shown.

`untranslated_french(html)` is the check; other walks over the pages (the link walk) call it too.
It looks at text nodes and at the attributes people read (aria-label, title, placeholder, alt,
button values) and reports:
- a text that is a French message of the catalogue whose English differs (it was not translated),
  exactly, or containing it for long sentences;
- common French words in the site chrome (the header, navigation and footer outside <main>), where
  no user data is shown.
User data (French demo content) is left alone, as is anything inside an element marked lang="fr".
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from app.i18n import _catalog
from registry.demo import DEMO_ACCOUNTS
from tests.conftest import login

READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
CHROME_TAGS = {"header", "nav", "footer"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FRENCH_WORDS = re.compile(r"\b(le|la|les|des|du|une|vous|votre|vos|pour|avec|sur|et)\b|[éèêàùç]", re.IGNORECASE)
# Proper names that stay French in English.
PROPER_NAMES = ("France Assos Santé", "République française", "République Française", "Français")
SPACES = re.compile(r"\s+")


def _normal(text: str) -> str:
    return SPACES.sub(" ", text.replace("\xa0", " ").replace("\u202f", " ")).strip()


@cache
def _french_messages() -> tuple[frozenset[str], tuple[str, ...]]:
    """(every French message whose English differs, the long ones to look for inside texts)."""
    exact, long = set(), []
    for french, english in _catalog("en").items():
        english = english[0] if isinstance(english, tuple) else english
        if not french or _normal(french) == _normal(english) or not re.search(r"[a-zA-Zé]", french):
            continue
        normal = _normal(french)
        if "%(" in normal or "{" in normal:
            # Only the text before the first placeholder, when it is long enough to be telling.
            head = _normal(re.split(r"%\(|\{", normal)[0])
            if len(head) >= 25:
                long.append(head)
            continue
        exact.add(normal)
        if len(normal) >= 25:
            long.append(normal)
    return frozenset(exact), tuple(long)


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, inside French-marked content)
        self.found: list[tuple[str, bool]] = []  # (text, in chrome)

    def _skipped(self) -> bool:
        return any(skip for _, skip in self.stack)

    def _chrome(self) -> bool:
        tags = [tag for tag, _ in self.stack]
        return "main" not in tags and any(tag in CHROME_TAGS for tag in tags)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skip = tag in ("script", "style", "code", "pre", "textarea") or (
            attributes.get("lang") not in (None, "en") and tag != "html")
        if tag not in VOID_TAGS:
            self.stack.append((tag, skip))
        if self._skipped() or skip:
            return
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.found.append((attributes[name], self._chrome()))
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.found.append((attributes["value"], self._chrome()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.found.append((data, self._chrome()))


def untranslated_french(html: str) -> list[str]:
    """The French texts left in an English page (empty when the page is fully translated)."""
    exact, long = _french_messages()
    parser = _Texts()
    parser.feed(html)
    problems = []
    for raw, chrome in parser.found:
        text = _normal(raw)
        if not text:
            continue
        if text in exact or text.strip(" :()«»—·") in exact:
            problems.append(f"untranslated message: {text!r}")
            continue
        if any(message in text for message in long):
            problems.append(f"untranslated sentence in: {text!r}")
            continue
        if chrome:
            cleaned = text
            for name in PROPER_NAMES:
                cleaned = cleaned.replace(name, "")
            if FRENCH_WORDS.search(cleaned):
                problems.append(f"French words in the page chrome: {text!r}")
    return sorted(set(problems))


def test_the_checker_finds_french_and_leaves_user_data_alone():
    assert untranslated_french('<main><h2>Le formulaire contient des erreurs</h2></main>')
    assert untranslated_french('<label>Name <span>(obligatoire)</span></label>')
    assert untranslated_french('<label>Name <span>(required)</span></label>') == []
    assert untranslated_french('<nav><a href="/">Retour à la liste des projets</a></nav>')
    assert untranslated_french('<main><nav><a href="/p">Détection des sepsis</a></nav></main>') == []
    assert untranslated_french('<button title="Enregistrer le brouillon">Save</button>')
    # User data: a French project title in the page body is not chrome and not a message.
    assert untranslated_french("<main><h1>Détection précoce des sepsis à l’hôpital</h1></main>") == []
    assert untranslated_french('<main><p lang="fr">Le formulaire contient des erreurs</p></main>') == []
    assert untranslated_french("<main><h2>There is a problem with the form</h2></main>") == []


PUBLIC_PAGES = ["/", "/calls", "/projects", "/releases", "/stats", "/login", "/register", "/password/forgot",
                "/verify/resend", "/accessibilite", "/mentions-legales", "/verify?token=nope", "/page-absente"]
ROLE_PAGES = {
    "applicant": ["/account", "/account/tokens", "/applications"],
    "reviewer": ["/account", "/reviews"],
    "manager": ["/manage", "/manage/calls", "/manage/calls/new", "/manage/harvest", "/manage/outbox",
                "/manage/reviews/reviewers"],
    "admin": ["/manage", "/manage/users", "/manage/outbox"],
}


async def _first_links(client, page: str, pattern: str, limit: int = 2) -> list[str]:
    html = (await client.get(page)).text
    return list(dict.fromkeys(re.findall(rf'href="({pattern})"', html)))[:limit]


async def test_english_pages_show_no_french_chrome_for_every_role(client, full_demo):
    problems: dict[str, list[str]] = {}

    async def check(url: str) -> None:
        response = await client.get(url + ("&" if "?" in url else "?") + "lang=en")
        if response.status_code >= 500:
            problems[url] = [f"status {response.status_code}"]
            return
        if "text/html" in response.headers.get("content-type", ""):
            assert '<html lang="en"' in response.text, url
            if found := untranslated_french(response.text):
                problems[url] = found

    # The check sees real pages: the French login page is full of catalogue messages.
    assert "untranslated message: 'Se connecter'" in untranslated_french((await client.get("/login")).text)
    pages = list(PUBLIC_PAGES)
    pages += await _first_links(client, "/calls", r"/calls/[\w-]+")
    pages += await _first_links(client, "/projects", r"/projects/[\w-]+")
    pages += [f"{link}/transparency" for link in await _first_links(client, "/calls", r"/calls/[\w-]+", 1)]
    for url in pages:
        await check(url)
    for account in DEMO_ACCOUNTS:
        client.cookies.clear()
        assert (await login(client, account.email, account.password)).status_code == 200
        urls = list(ROLE_PAGES[account.role])
        if account.role == "applicant":
            urls += await _first_links(client, "/applications", r"/applications/\d+(?:/receipt)?")
        if account.role == "reviewer":
            urls += await _first_links(client, "/reviews", r"/reviews/assignments/\d+")
        if account.role == "manager":
            urls += await _first_links(client, "/manage/calls", r"/manage/(?:reviews/)?calls/[\w-]+(?:/\w+)?", 4)
        for url in urls:
            await check(url)
    report = "\n".join(f"{url}: {found}" for url, found in problems.items())
    assert problems == {}, f"French left in English pages:\n{report}"
