"""Open-data formats of the registry: CSV, JSON, CodeMeta / schema.org JSON-LD, Atom, sitemap."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from registry.files import csv_writer

DATA_LICENCE = "etalab-2.0"
DATA_LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
CODEMETA_CONTEXT = "https://w3id.org/codemeta/3.0"
SCHEMA_CONTEXT = "https://schema.org"
ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
CSV_COLUMNS = (
    "slug",
    "titre",
    "titre_grand_public",
    "resume_grand_public",
    "appel",
    "montant_eur",
    "organisation",
    "etiquettes",
    "licence",
    "licence_conforme",
    "derniere_version",
    "derniere_version_date",
    "depots",
    "url",
    "montant_verse_eur",
    "jalons_atteints",
    "jalons_total",
    "resultats",
    "dois",
)


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _compliant(value: bool | None) -> str:
    return {True: "oui", False: "non", None: "inconnu"}[value]


def projects_csv(items: list[dict[str, Any]], base_url: str) -> str:
    """UTF-8 CSV, comma-separated, one project per row; multi-valued cells joined by ' | '.

    Cells that a spreadsheet would run as formulas are neutralised (`registry.files.csv_cell`)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        latest = item["latest_release"] or {}
        writer.writerow(
            [
                item["slug"],
                item["title"],
                item["public_title"],
                item["public_summary"],
                (item["call"] or {}).get("slug", ""),
                item["amount"],
                item.get("organisation", ""),
                " | ".join(label["slug"] for label in item["labels"]),
                item["licence"]["expression"],
                _compliant(item["licence"]["compliant"]),
                latest.get("tag", ""),
                _iso(latest.get("published_at")),
                " | ".join(repo["url"] for repo in item["repositories"]),
                f"{base_url}/projects/{item['slug']}",
                item.get("amount_paid", 0),
                item.get("milestones_met", 0),
                item.get("milestones_total", 0),
                item.get("results_count", 0),
                " | ".join(item.get("dois", [])),
            ]
        )
    return out.getvalue()


async def add_funding(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds `amount_paid` (tranches paid), `milestones_met` and `milestones_total` to each listed project."""
    from registry.projects.milestones import funding_summary

    # All milestones at once for a long list (no oversized IN list): the table is small.
    funding = await funding_summary([item["id"] for item in items] if len(items) <= 500 else None) if items else {}
    for item in items:
        figures = funding.get(item["id"], {})
        item.update(amount_paid=figures.get("paid", 0), milestones_met=figures.get("met", 0),
                    milestones_total=figures.get("total", 0))
    await _add_results(items)
    return items


async def _add_results(items: list[dict[str, Any]]) -> None:
    """`results_count` and `dois` (the results' DOIs) of each listed project (registry.team)."""
    from registry.projects.tables import Result
    from registry.team.edits import result_view

    ids = [item["id"] for item in items]
    rows = await Result.select(Result.project, Result.kind, Result.title, Result.identifier).where(
        Result.project.is_in(ids)) if 0 < len(ids) <= 500 else (await Result.select(
            Result.project, Result.kind, Result.title, Result.identifier) if ids else [])
    by_project: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_project.setdefault(row["project"], []).append(result_view(row))
    for item in items:
        results = by_project.get(item["id"], [])
        item.update(results_count=len(results), dois=[r["doi"] for r in results if r["doi"]])


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def projects_json(items: list[dict[str, Any]], base_url: str, generated_at: datetime) -> dict[str, Any]:
    return {
        "licence": DATA_LICENCE,
        "licence_url": DATA_LICENCE_URL,
        "source": f"{base_url}/projects",
        "generated_at": _iso(generated_at),
        "total": len(items),
        "items": [_jsonable(item) for item in items],
    }


def _people(detail: dict[str, Any]) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for member in detail["team"]:
        if isinstance(member, dict) and member.get("name"):
            person: dict[str, Any] = {
                "@type": "Person" if member.get("type") == "person" else "Organization",
                "name": member["name"],
            }
            if member.get("organisation"):
                person["affiliation"] = {"@type": "Organization", "name": member["organisation"]}
            people.append(person)
    return people


def software_source_code(detail: dict[str, Any], base_url: str, *, context: str) -> dict[str, Any]:
    """schema.org SoftwareSourceCode; with the CodeMeta context it is a valid codemeta.json."""
    page = f"{base_url}/projects/{detail['slug']}"
    repos = detail["repositories"]
    languages = sorted({lang for repo in repos for lang in repo["languages"]})
    keywords = [label["name_fr"] for label in detail["labels"]] + sorted(
        {topic for repo in repos for topic in repo["topics"]}
    )
    document: dict[str, Any] = {
        "@context": context,
        "@type": "SoftwareSourceCode",
        "@id": page,
        "name": detail["title"],
        "alternateName": detail["public_title"],
        "description": detail["public_summary"] or detail["description"],
        "url": page,
        "identifier": detail["slug"],
        "keywords": keywords,
        "programmingLanguage": languages,
        "producer": {"@type": "Organization", "name": detail["organisation"]} if detail["organisation"] else None,
        "author": _people(detail) or None,
        "funder": {"@type": "Organization", "name": "Health Data Hub"},
    }
    if repos:
        document["codeRepository"] = repos[0]["url"]
        if len(repos) > 1:
            document["hasPart"] = [
                {"@type": "SoftwareSourceCode", "codeRepository": r["url"], "name": r["full_name"]} for r in repos[1:]
            ]
    expression = detail["licence"]["expression"]
    if expression and " " not in expression and expression != "NOASSERTION":
        document["license"] = f"https://spdx.org/licenses/{expression}"
    elif expression:
        document["license"] = [f"https://spdx.org/licenses/{part}" for part in _licence_ids(expression)]
    if detail.get("latest_release"):
        document["version"] = detail["latest_release"]["tag"]
        document["dateModified"] = _iso(detail["latest_release"]["published_at"])[:10]
    if detail.get("decided_at"):
        document["dateCreated"] = _iso(detail["decided_at"])[:10]
    if detail["call"]:
        document["funding"] = {
            "@type": "Grant",
            "name": detail["call"]["title_fr"],
            "identifier": detail["call"]["slug"],
            "funder": {"@type": "Organization", "name": "Health Data Hub"},
        }
    citations = [r["url"] for r in detail["results"] if r["kind"] in ("publication", "doi") and r["url"]]
    if citations:
        document["citation"] = citations
    publications = [_publication(r) for r in detail["results"] if r["kind"] in ("publication", "doi")]
    if publications:  # CodeMeta's referencePublication (ScholarlyArticle), DOIs as https://doi.org/…
        document["referencePublication"] = publications
    return {k: v for k, v in document.items() if v not in (None, [], "")}


def _publication(result: dict[str, Any]) -> dict[str, Any]:
    doi = result.get("doi") or ""
    article: dict[str, Any] = {"@type": "ScholarlyArticle", "name": result["title"]}
    if doi:
        article["@id"] = f"https://doi.org/{doi}"
        article["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": doi}
    url = result.get("url") or (f"https://doi.org/{doi}" if doi else "")
    if url:
        article["url"] = url
    if result.get("year"):
        article["datePublished"] = str(result["year"])
    return article


def _licence_ids(expression: str) -> list[str]:
    from registry.projects.search import licence_keys

    return licence_keys(expression)


def json_ld_script(document: dict[str, Any]) -> str:
    """JSON for a <script type="application/ld+json">: `<`, `>` and `&` escaped so `</script>` cannot close it."""
    text = json.dumps(document, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def releases_atom(
    releases: list[dict[str, Any]],
    *,
    feed_url: str,
    page_url: str,
    title: str,
    base_url: str,
    updated: datetime,
    language: str = "fr",
    t: Callable[[str], str] = str,
) -> bytes:
    """Atom 1.0 (RFC 4287); release notes go in as escaped HTML content.

    `language` goes in `xml:lang`; `t` translates the feed's own French texts (the app passes gettext).
    """
    _ = t  # so that `pybabel extract` sees the messages below
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _sub(feed, "id", feed_url)
    _sub(feed, "title", title)
    _sub(feed, "updated", _iso(max((r["published_at"] for r in releases if r["published_at"]), default=updated)))
    _sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=page_url, type="text/html")
    author = _sub(feed, "author")
    _sub(author, "name", _("AMI Algorithmes ouverts — Health Data Hub"))
    _sub(author, "uri", base_url)
    _sub(feed, "rights", f"Licence Ouverte / {DATA_LICENCE}")
    for release in releases:
        project = release["project"]
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{base_url}/projects/{project['slug']}#release-{release['repository']}@{release['tag']}")
        name = project["public_title"] or project["title"]
        _sub(entry, "title", f"{name} — {release['name'] or release['tag']}")
        _sub(entry, "updated", _iso(release["published_at"]))
        _sub(entry, "published", _iso(release["published_at"]))
        _sub(
            entry,
            "link",
            rel="alternate",
            href=release["url"] or f"{base_url}/projects/{project['slug']}",
            type="text/html",
        )
        _sub(entry, "link", rel="related", href=f"{base_url}/projects/{project['slug']}", type="text/html")
        _sub(
            entry,
            "summary",
            _("%(project)s : version %(tag)s (%(repository)s)")
            % {"project": project["title"], "tag": release["tag"], "repository": release["repository"]},
        )
        if release["notes_html"]:
            _sub(entry, "content", release["notes_html"], type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def sitemap(paths: list[tuple[str, datetime | None]], base_url: str) -> bytes:
    ET.register_namespace("", SITEMAP)
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for path, modified in paths:
        url = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = f"{base_url}{path}"
        if modified is not None:
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = _iso(modified)[:10]
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(urlset, encoding="utf-8")
