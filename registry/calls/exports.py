"""A call's applications for its managers: CSV and JSON (with every answer) and a ZIP of all files.

What is exported is what counts: for every application with a submitted version (so every non-draft one,
and a draft reopened after submission, whose last submitted version counts) the content of its latest
frozen version (registry/applications/submission.py), its current state and its receipt hash.

The ZIP is written to a temporary file on disk, one file at a time (bounded memory), and streamed;
its `manifest.csv` lists every file with its folder, size and SHA-256 (and says when a file is missing).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from registry.accounts.tables import User
from registry.applications.attachments import attachments_dir
from registry.applications.tables import Application, ApplicationVersion, Attachment, DetachedAttachment
from registry.calls.jsonfield import json_list
from registry.calls.tables import Call
from registry.files import csv_writer

FIXED_COLUMNS = ("application_id", "state", "title", "applicant", "applicant_email", "organisation",
                 "organisation_siren", "requested_amount", "labels", "submitted_at", "version",
                 "receipt_sha256", "questions_version")
MANIFEST_HEADER = ("application_id", "path", "filename", "source", "size", "sha256", "status")


def call_questions(call: Call) -> list[dict[str, Any]]:
    """The call's current questions (registry/calls/questions.py stores them on the call)."""
    return [q for q in json_list(getattr(call, "questions", None) or []) if isinstance(q, dict) and q.get("key")]


async def exported_applications(call: Call) -> list[dict[str, Any]]:
    """One dict per application with a submitted version, its latest version's content, by id."""
    applications = await Application.select(Application.id, Application.state, Application.owner).where(
        Application.call == call.id).order_by(Application.id)
    if not applications:
        return []
    ids = [row["id"] for row in applications]
    versions = await ApplicationVersion.select(
        ApplicationVersion.application, ApplicationVersion.number, ApplicationVersion.content,
        ApplicationVersion.sha256, ApplicationVersion.submitted_at).where(
        ApplicationVersion.application.is_in(ids)).order_by(ApplicationVersion.number)
    latest: dict[int, dict[str, Any]] = {}
    for version in versions:  # ordered by number: the last one wins
        latest[version["application"]] = version
    owners = {row["id"]: row for row in await User.select(User.id, User.name, User.email).where(
        User.id.is_in(sorted({row["owner"] for row in applications})))}
    rows = []
    for application in applications:
        version = latest.get(application["id"])
        if version is None:  # a draft never submitted
            continue
        content = json.loads(version["content"])
        owner = owners.get(application["owner"], {})
        organisation = content.get("organisation") or {}
        submitted_at = version["submitted_at"]
        rows.append({
            "application_id": application["id"],
            "state": application["state"],
            "title": content.get("title", ""),
            "applicant": owner.get("name", ""),
            "applicant_email": content.get("owner") or owner.get("email", ""),
            "organisation": organisation.get("name", ""),
            "organisation_siren": organisation.get("siren", ""),
            "requested_amount": content.get("requested_amount"),
            "labels": list(content.get("labels") or []),
            "submitted_at": submitted_at.astimezone(UTC).isoformat(timespec="seconds") if submitted_at else "",
            "version": version["number"],
            "receipt_sha256": version["sha256"],
            "questions_version": content.get("questions_version"),
            "answers": dict(content.get("answers") or {}),
            "answer_files": {},
            "attachments": list(content.get("attachments") or []),
        })
    await _resolve_file_answers(call, rows)
    return rows


def _file_keys(call: Call) -> set[str]:
    """Keys of `file` questions in the current questions and every earlier version."""
    keys = {q["key"] for q in call_questions(call) if q.get("kind") == "file"}
    for version in json_list(getattr(call, "question_versions", None) or []):
        for question in (version.get("questions") or []) if isinstance(version, dict) else []:
            if isinstance(question, dict) and question.get("kind") == "file" and question.get("key"):
                keys.add(question["key"])
    return keys


async def _resolve_file_answers(call: Call, rows: list[dict[str, Any]]) -> None:
    """A `file` answer is the id of one of the application's attachments: `answer_files[key]` names it
    (filename and SHA-256), so the CSV shows the file's name and the ZIP says which answer a file is."""
    keys = _file_keys(call)
    wanted = {(row["application_id"], value) for row in rows for key, value in row["answers"].items()
              if key in keys and isinstance(value, int) and not isinstance(value, bool)}
    if not wanted:
        return
    found = {item["id"]: item for item in await Attachment.select(
        Attachment.id, Attachment.application, Attachment.filename, Attachment.sha256).where(
        Attachment.id.is_in(sorted({value for _, value in wanted})))}
    for row in rows:
        for key, value in row["answers"].items():
            if key not in keys or not isinstance(value, int) or isinstance(value, bool):
                continue
            item = found.get(value)
            if item is not None and item["application"] == row["application_id"]:
                row["answer_files"][key] = {"attachment_id": value, "filename": item["filename"],
                                            "sha256": item["sha256"]}
            else:
                row["answer_files"][key] = {"attachment_id": value, "filename": f"#{value}", "sha256": ""}


def answer_keys(questions: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[str]:
    """The current questions' keys in order, then keys only earlier versions asked (first seen order)."""
    keys = [q["key"] for q in questions]
    for row in rows:
        for key in row["answers"]:
            if key not in keys:
                keys.append(key)
    return keys


def answer_text(value: Any) -> Any:
    """One answer as a spreadsheet cell: yes/no in words, lists joined, a file by its name."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " | ".join(str(answer_text(item)) for item in value)
    if isinstance(value, dict):
        return str(value.get("filename") or value.get("name") or json.dumps(value, ensure_ascii=False,
                                                                            sort_keys=True))
    return value


def applications_csv(call: Call, rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM, semicolons, one column per question key (`answer.<key>`), as French spreadsheets
    expect; every cell is neutralised against formulas (registry.files.csv_writer)."""
    keys = answer_keys(call_questions(call), rows)
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*FIXED_COLUMNS, *(f"answer.{key}" for key in keys), "attachments"])
    for row in rows:
        fixed = [", ".join(row[name]) if name == "labels" else row[name] for name in FIXED_COLUMNS]
        cells = [row["answer_files"][key]["filename"] if key in row["answer_files"]
                 else answer_text(row["answers"].get(key)) for key in keys]
        writer.writerow([*fixed, *cells,
                         " | ".join(f["filename"] for f in row["attachments"])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def applications_json(call: Call, rows: list[dict[str, Any]], *, now: datetime | None = None) -> bytes:
    document = {
        "call": call.slug,
        "title": call.title_fr,
        "generated_at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        "questions_version": getattr(call, "questions_version", None),
        "questions": call_questions(call),
        "applications": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _folder_name(application_id: int, title: str) -> str:
    """`0042-titre-du-projet`: the id first (unique), then a readable ASCII part of the title."""
    ascii_title = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode("ascii")
    readable = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:50].strip("-")
    return f"{application_id:04d}" + (f"-{readable}" if readable else "")


async def _stored_files(application_ids: list[int]) -> dict[tuple[int, str], str]:
    """(application id, sha256) → stored name, from the files on the application or kept aside."""
    stored: dict[tuple[int, str], str] = {}
    if not application_ids:
        return stored
    for table in (DetachedAttachment, Attachment):  # an attached file wins over a detached copy
        for item in await table.select(table.application, table.sha256, table.stored_name, table.filename).where(
                table.application.is_in(application_ids)):
            stored[(item["application"], item["sha256"])] = item["stored_name"]
    return stored


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        taken.add(name)
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    number = 2
    while True:
        candidate = f"{stem} ({number})" + (f".{extension}" if extension else "")
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        number += 1


def _copy_hashing(source: Path, target: IO[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return size, digest.hexdigest()


async def attachments_zip(call: Call, rows: list[dict[str, Any]], var_dir: Path) -> Path:
    """Writes the ZIP of every application's files (the attachments of its latest submitted version, file
    answers among them, marked `answer.<key>` in the manifest) to a temporary file and returns its path;
    the caller streams it and removes it."""
    import anyio.to_thread

    stored = await _stored_files([row["application_id"] for row in rows])
    return await anyio.to_thread.run_sync(_write_zip, rows, stored, attachments_dir(var_dir))


def _write_zip(rows: list[dict[str, Any]], stored: dict[tuple[int, str], str], folder: Path) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="ami-export-", suffix=".zip", delete=False)  # noqa: SIM115
    manifest = io.StringIO()
    writer = csv_writer(manifest, delimiter=";", lineterminator="\r\n")
    writer.writerow(MANIFEST_HEADER)
    try:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for row in rows:
                directory = _folder_name(row["application_id"], row["title"])
                taken: set[str] = set()
                answered = {file["sha256"]: key for key, file in row["answer_files"].items() if file["sha256"]}
                for item in row["attachments"]:
                    source = f"answer.{answered[item['sha256']]}" if item.get("sha256") in answered else "attachment"
                    filename = Path(str(item.get("filename") or "document").replace("\\", "/")).name or "document"
                    name = _unique(filename, taken)
                    path = f"{directory}/{name}"
                    stored_name = stored.get((row["application_id"], item.get("sha256", "")))
                    on_disk = folder / stored_name if stored_name else None
                    if on_disk is None or not on_disk.is_file():
                        writer.writerow([row["application_id"], "", filename, source, item.get("size", ""),
                                         item.get("sha256", ""), "missing"])
                        continue
                    with archive.open(path, "w", force_zip64=True) as target:
                        size, sha256 = _copy_hashing(on_disk, target)
                    status = "ok" if not item.get("sha256") or sha256 == item["sha256"] else "hash_mismatch"
                    writer.writerow([row["application_id"], path, filename, source, size, sha256, status])
            archive.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
        handle.close()
    except BaseException:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name)


def manifest_rows(data: bytes) -> list[dict[str, str]]:
    """The manifest of an export ZIP as dicts (used by tests and by whoever checks an archive)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
