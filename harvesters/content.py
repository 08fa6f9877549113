"""Pure helpers shared by the forges: fields, dates, README rendering, interesting files."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

import nh3
import yaml
from markdown_it import MarkdownIt

from .errors import N_, MalformedPayload

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
LICENCE_FILE = re.compile(r"^(licen[cs]e|copying)([.-].*)?$", re.IGNORECASE)
README_FILE = re.compile(r"^readme(\.(md|markdown|rst|txt|adoc))?$", re.IGNORECASE)
METADATA_FILES = {
    "codemeta.json": "codemeta.json",
    "citation.cff": "CITATION.cff",
    "publiccode.yml": "publiccode.yml",
    "publiccode.yaml": "publiccode.yml",
}
MAX_FILE_BYTES = 1_000_000


def require(payload: Any, key: str, *, forge: str) -> Any:
    if not isinstance(payload, dict):
        raise MalformedPayload(N_("%(forge)s a renvoyé une réponse inattendue (objet JSON attendu)")
                               % {"forge": forge})
    if key not in payload:
        raise MalformedPayload(N_("%(forge)s a renvoyé une réponse incomplète : champ « %(key)s » absent")
                               % {"forge": forge, "key": key})
    return payload[key]


def require_list(payload: Any, *, forge: str, what: str) -> list[Any]:
    if not isinstance(payload, list):
        raise MalformedPayload(N_("%(forge)s a renvoyé une réponse inattendue pour %(what)s (liste attendue)")
                               % {"forge": forge, "what": what})
    return payload


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def render_markdown(text: str) -> str:
    """Harvested text is untrusted: rendered, then sanitised."""
    return nh3.clean(_markdown.render(text))


def render_readme(filename: str, text: str) -> str:
    if filename.lower().endswith((".md", ".markdown")) or filename.lower() == "readme":
        return render_markdown(text)
    return f"<pre>{html.escape(text)}</pre>"


def pick_readme(names: list[str]) -> str | None:
    candidates = [n for n in names if README_FILE.match(n)]
    # Markdown first: it is what the forges render too.
    candidates.sort(key=lambda n: (not n.lower().endswith(".md"), n.lower()))
    return candidates[0] if candidates else None


def interesting_files(names: list[str]) -> dict[str, str]:
    """Root file name -> role: 'readme', 'licence' or the metadata key it fills."""
    roles: dict[str, str] = {}
    readme = pick_readme(names)
    if readme:
        roles[readme] = "readme"
    for name in names:
        if LICENCE_FILE.match(name):
            roles[name] = "licence"
        elif name.lower() in METADATA_FILES:
            roles[name] = METADATA_FILES[name.lower()]
    return roles


def parse_metadata_file(key: str, text: str) -> Any:
    """codemeta.json as JSON, the others as YAML (safe loader); a broken file is kept as an error."""
    try:
        if key == "codemeta.json":
            return json.loads(text)
        return _plain(yaml.safe_load(text))
    except (ValueError, yaml.YAMLError) as error:
        return {"_erreur": f"fichier illisible : {str(error).splitlines()[0][:200]}"}


def _plain(value: Any) -> Any:
    # YAML dates are not JSON; store them as ISO text.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def decode_text(data: bytes) -> str:
    return data[:MAX_FILE_BYTES].decode("utf-8", errors="replace")


def files_to_fetch(
    entries: dict[str, str], known: dict[str, str], *, everything: bool
) -> dict[str, str]:
    """Interesting entries (name -> blob sha) whose blob changed since last time."""
    roles = interesting_files(sorted(entries))
    wanted = {n: r for n, r in roles.items() if everything or known.get(n) != entries[n]}
    licences = {n for n, r in roles.items() if r == "licence"}
    # The stored licence texts are replaced as a whole, so one change refetches them all.
    if licences & wanted.keys() or licences != {n for n in known if LICENCE_FILE.match(n)}:
        wanted.update({n: "licence" for n in licences})
    return wanted


def assemble_files(
    entries: dict[str, str],
    known: dict[str, str],
    fetched: dict[str, str],
) -> dict[str, Any]:
    """Record fields from the fetched texts; removed files clear what they filled."""
    roles = interesting_files(sorted(entries))
    out: dict[str, Any] = {}
    readme = next((n for n, r in roles.items() if r == "readme"), None)
    if readme and readme in fetched:
        out["readme_html"] = render_readme(readme, fetched[readme])
    elif readme is None and any(README_FILE.match(n) for n in known):
        out["readme_html"] = ""
    licences = {n for n, r in roles.items() if r == "licence"}
    old_licences = {n for n in known if LICENCE_FILE.match(n)}
    if licences & fetched.keys() or licences != old_licences:
        out["licence_texts"] = {n: fetched[n] for n in sorted(licences) if n in fetched}
    metadata: dict[str, Any] = {}
    for name, role in roles.items():
        if role not in {"readme", "licence"} and name in fetched:
            metadata[role] = parse_metadata_file(role, fetched[name])
    for name in known:
        key = METADATA_FILES.get(name.lower())
        if key and name not in entries and key not in metadata:
            metadata[key] = None
    if metadata:
        out["metadata_files"] = metadata
    return out
