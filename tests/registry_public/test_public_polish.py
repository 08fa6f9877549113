"""Public pages read well in both languages: facet and chip labels, tags once, dates, favicon,
meta description, text-only titles, the Atom feed in English, chart labels that fit."""

import re
from xml.etree import ElementTree as ET

import pytest

from app.timefmt import format_when
from registry.projects.tables import Milestone, Project, Release

ATOM = "{http://www.w3.org/2005/Atom}"


def _main(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def _options(page: str, select_id: str) -> list[str]:
    block = page[page.index(f'id="{select_id}"') :]
    block = block[: block.index("</select>")]
    return [" ".join(text.split()) for text in re.findall(r"<option[^>]*>([^<]*)</option>", block)]


@pytest.mark.parametrize(
    ("lang", "forges", "statuses"),
    [
        ("fr", ["Tous", "GitHub (6)", "GitLab (4)"], ["Tous", "Actif (9)", "Suspendu (1)"]),
        ("en", ["All", "GitHub (6)", "GitLab (4)"], ["All", "Active (9)", "Suspended (1)"]),
    ],
)
async def test_facets_show_labels_not_stored_values(client, demo, lang, forges, statuses):
    page = (await client.get(f"/projects?lang={lang}")).text
    assert _options(page, "f-forge") == forges
    assert _options(page, "f-status") == statuses


async def test_filter_chips_show_label_names(client, demo):
    page = (await client.get("/projects?label=tal-clinique&label=snds")).text
    chips = page[page.index('class="active-filters"') :]
    chips = chips[: chips.index("</ul>")]
    names = re.findall(r'<a href="[^"]*">([^<]+)<span', chips)
    assert names == ["Traitement automatique des comptes rendus cliniques", "SNDS (base principale)"]
    english = (await client.get("/projects?label=tal-clinique&label=snds&lang=en")).text
    chips = english[english.index('class="active-filters"') :]
    names = re.findall(r'<a href="[^"]*">([^<]+)<span', chips[: chips.index("</ul>")])
    assert names == ["NLP on clinical notes", "SNDS (main database)"]


async def test_project_page_labels_status_forge_and_dates(client, demo):
    page = (await client.get("/projects/edsnlp?lang=en")).text
    assert '<dd id="project-status">Active</dd>' in page
    assert '<span class="badge">GitHub</span>' in page and '<span class="badge">github</span>' not in page
    due = (await Milestone.select(Milestone.due_on).where(Milestone.title == "Modèle de négation réentraîné"))[0]
    shown = format_when(due["due_on"], "en", fmt="d MMMM y")
    assert f'<time datetime="{due["due_on"].isoformat()}">{shown}</time>' in page
    assert due["due_on"].isoformat() + "<" not in page  # no ISO date as the text of a cell
    french = (await client.get("/projects/edsnlp?lang=fr")).text
    assert '<dd id="project-status">Actif</dd>' in french
    assert "juin 2026" in french


async def test_release_tag_is_shown_once_when_it_is_the_name(client, demo):
    release = await Release.objects().where(Release.tag == "v0.17.0").first()
    release.name = "v0.17.0"
    await release.save()
    project = (await client.get("/projects/edsnlp")).text
    timeline = project[project.index('<ol class="timeline">') :]
    item = timeline[: timeline.index("</li>")]
    assert item.count("v0.17.0") == 2  # the link's text and its URL, not a second <code>
    assert "<code>v0.17.0</code>" not in item
    releases = (await client.get("/releases")).text
    entry = releases[releases.index('releases/tag/v0.17.0"') :]
    entry = entry[: entry.index("</li>")]
    assert "<code>v0.17.0</code>" not in entry
    # A name that differs from the tag keeps the tag beside it.
    other = (await client.get("/projects/snds-tools")).text
    assert '">sndsTools 0.3.0</a> <code>v0.3.0</code>' in other


async def test_favicon_is_linked_and_served(client, demo):
    page = (await client.get("/")).text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = await client.get("/static/favicon.svg")
    assert icon.headers["content-type"].startswith("image/svg+xml") and icon.text.startswith("<svg")
    legacy = await client.get("/favicon.ico")
    assert (legacy.status_code, legacy.headers["content-type"].split(";")[0]) == (200, "image/svg+xml")
    assert legacy.content == icon.content


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "Registre open science des algorithmes"),
        ("/calls", "Les appels à manifestation d’intérêt du Health Data Hub"),
        ("/projects", "Les algorithmes open source financés"),
        ("/projects/edsnlp", "Une boîte à outils qui repère"),
        ("/calls/ami-2024", "Premier appel à manifestation"),
        ("/calls/ami-2024/transparency", "Transparence de l’appel « AMI 2024"),
        ("/stats", "Registre open science"),
        ("/releases", "Registre open science"),
        ("/accessibilite", "Registre open science"),
    ],
)
async def test_every_public_page_has_a_meta_description(client, demo, path, expected):
    page = (await client.get(path)).text
    found = re.findall(r'<meta name="description" content="([^"]*)">', page)
    assert len(found) == 1 and found[0].startswith(expected.replace("’", "’")), found
    assert '<link rel="alternate" hreflang="en" href="' + path.split("?")[0] + '?lang=en">' in page


async def test_titles_and_descriptions_hold_no_markup(client, demo):
    await Project.update(
        {Project.public_title: "<b>Gras</b> & <script>x</script>", Project.public_summary: "<i>Résumé</i> ok"}
    ).where(Project.slug == "edsnlp")
    for path in ("/", "/calls", "/projects", "/projects/edsnlp", "/stats", "/releases", "/calls/ami-2024/transparency"):
        page = (await client.get(path)).text
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        description = re.search(r'<meta name="description" content="([^"]*)">', page).group(1)
        assert "<" not in title and ">" not in title, (path, title)
        assert "<" not in description, (path, description)
        assert "<section" not in page[: page.index("</head>")], path
    page = (await client.get("/projects/edsnlp")).text
    # Text typed by people stays text: shown escaped, never as tags.
    assert "<title>&lt;b&gt;Gras&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt; — " in page
    assert '<meta name="description" content="&lt;i&gt;Résumé&lt;/i&gt; ok">' in page


async def test_atom_feed_in_english(client, demo):
    feed = ET.fromstring((await client.get("/feeds/releases.atom?lang=en")).content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert feed.findtext(f"{ATOM}title") == "Releases of the projects funded by the call"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "AMI Open algorithms — Health Data Hub"
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href").endswith("/releases?lang=en")
    summary = feed.find(f"{ATOM}entry").findtext(f"{ATOM}summary")
    assert ": release " in summary and " : version " not in summary
    french = ET.fromstring((await client.get("/feeds/releases.atom?lang=fr")).content)
    assert french.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert french.findtext(f"{ATOM}title") == "Versions des projets financés par l'AMI"
    project = ET.fromstring((await client.get("/projects/edsnlp/releases.atom?lang=en")).content)
    assert project.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert project.findtext(f"{ATOM}title").startswith("Releases — ")


async def test_stats_in_english_translate_chart_headings_and_labels(client, demo):
    page = (await client.get("/stats?lang=en")).text
    headings = re.findall(r"<figcaption[^>]*><h2>([^<]*)</h2>", page)
    assert headings == [
        "Funding per call",
        "Funding per theme",
        "Releases per month",
        "Project licences",
        "Licence compliance",
        "Harvest freshness",
    ]
    assert '<th scope="row">AMI 2024 — Open algorithms for health data</th><td>€995,000</td>' in page
    assert '<th scope="col">Month</th>' in page and "<th scope=\"row\">Accepted license</th>" in page
    assert re.search(r'<th scope="row">[A-Z][a-z]{2} 20\d\d</th>', page)  # "Oct 2026", not "2026-10"
    for french in ("Financement", "Versions publiées", "Licence autorisée", "Fraîcheur", "jamais"):
        assert french not in _main(page), french


async def test_chart_labels_fit_left_of_the_bars(client, demo):
    from registry.projects.charts import LABEL_CHARS, LABEL_WIDTH

    page = (await client.get("/stats")).text
    labels = re.findall(r'text-anchor="end" font-size="13" fill="#161616">(?:<title>[^<]*</title>)?([^<]*)</text>', page)
    assert labels and max(len(label) for label in labels) <= LABEL_CHARS
    assert LABEL_CHARS * 7.5 <= LABEL_WIDTH - 8
    # A cut label keeps its full text in a tooltip, and in the table beside the chart.
    assert "<title>AMI 2024 — Algorithmes ouverts pour les données de santé</title>" in page


def test_a_title_block_with_markup_still_gives_a_text_title():
    from app.i18n import current_language
    from app.web.templating import build_environment

    token = current_language.set("fr")
    try:
        template = build_environment().from_string(
            '{% extends "base.html" %}{% block title %}Accueil <section><h2>Versions</h2></section>{% endblock %}'
            "{% block description %}<p>Un <b>résumé</b></p>{% endblock %}"
        )
        html = template.render(lang="fr", path="/", query="", user=None, flash=None, csrf_input="")
    finally:
        current_language.reset(token)
    head = html[: html.index("</head>")]
    assert "<title>Accueil Versions — " in head
    assert '<meta name="description" content="Un résumé">' in head
    assert "<section" not in head and "<h2" not in head
