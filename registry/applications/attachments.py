"""PDF attachments: sniffed, size-limited, stored outside the web root, read only by those allowed."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from registry.accounts.permissions import Actor
from registry.applications.permissions import NOT_FOUND, application_for, can_read_attachment
from registry.applications.service import ensure_edit_window
from registry.applications.state import is_editable
from registry.applications.tables import Application, Attachment, DetachedAttachment
from registry.audit.log import record_event
from registry.calls.tables import Call
from registry.db import is_postgres, write_transaction
from registry.errors import Conflict, FieldError, InvalidInput, NotFound

PDF_MAGIC = b"%PDF-"
MAX_PER_APPLICATION = 10


def attachments_dir(var_dir: Path) -> Path:
    return var_dir / "attachments"


def safe_filename(name: str) -> str:
    """The name as typed (accents, ’, CJK, emoji kept), without folders, control or format characters (bidi
    overrides) and without the characters file systems refuse; served through `registry.files.content_disposition`."""
    base = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    base = re.sub(r'[<>:"/|?*]+', "_", base)
    base = re.sub(r"\s+", " ", base).strip(" .") or "document"
    if not base.lower().endswith(".pdf"):
        base += ".pdf"
    return base[-120:]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, [FieldError("attachment", message)])


async def add_attachment(application_id: int, *, filename: str, content: bytes, actor: Actor, var_dir: Path,
                         max_bytes: int, now: datetime | None = None) -> Attachment:
    application = await application_for(actor, application_id, edit=True)
    if not is_editable(application.state):
        raise Conflict("Cette candidature n'est pas un brouillon : rouvrez-la pour la modifier.")
    call = await Call.objects().where(Call.id == application.call).first()
    await ensure_edit_window(application, call, now or datetime.now(UTC))
    if not content:
        raise _refuse("Choisissez un fichier PDF à joindre.")
    if len(content) > max_bytes:
        raise _refuse(f"Fichier trop volumineux : {len(content) / 1e6:.1f} Mo pour {max_bytes / 1e6:.0f} Mo au plus.")
    if not content.startswith(PDF_MAGIC):
        raise _refuse("Seuls les fichiers PDF sont acceptés (le contenu de ce fichier n'est pas un PDF).")
    if await Attachment.count().where(Attachment.application == application.id) >= MAX_PER_APPLICATION:
        raise _refuse(_too_many())  # early answer; the count that decides is the locked one below
    folder = attachments_dir(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.pdf"
    (folder / stored).write_bytes(content)
    row = Attachment(application=application.id, filename=safe_filename(filename), stored_name=stored,
                     size=len(content), sha256=hashlib.sha256(content).hexdigest(), uploaded_by=actor.id)
    try:
        engine = engine_finder()
        async with write_transaction(engine):  # count, row and audit entry together, one upload at a time
            await lock_application(engine, application.id)
            if await Attachment.count().where(Attachment.application == application.id) >= MAX_PER_APPLICATION:
                raise _refuse(_too_many())
            await row.save()
            await record_event("application.attachment_added", actor_id=actor.id, actor=actor.email,
                               object_type="application", object_id=application.id,
                               data={"filename": row.filename, "sha256": row.sha256, "size": row.size})
    except BaseException:
        (folder / stored).unlink(missing_ok=True)
        raise
    return row


def _too_many() -> str:
    return f"{MAX_PER_APPLICATION} pièces jointes au plus par candidature."


async def lock_application(engine: Engine, application_id: int) -> None:
    """Serialises writers of one application until the transaction ends: SELECT … FOR UPDATE on PostgreSQL;
    on SQLite the write transaction (BEGIN IMMEDIATE) already holds the database's only write lock."""
    if is_postgres(engine):
        await engine.run_querystring(QueryString(
            f"SELECT id FROM {Application._meta.tablename} WHERE id = {{}} FOR UPDATE", application_id))


async def detach(row: Attachment) -> DetachedAttachment:
    """Takes a file off its draft and keeps it aside (bytes untouched). Call inside a transaction."""
    kept = DetachedAttachment(application=row.application, filename=row.filename, stored_name=row.stored_name,
                              size=row.size, sha256=row.sha256, uploaded_by=row.uploaded_by,
                              created_at=row.created_at)
    await row.remove()
    await kept.save()
    return kept


async def reattach(kept: DetachedAttachment) -> Attachment:
    """Puts a file taken off earlier back on its application. Call inside a transaction."""
    row = Attachment(application=kept.application, filename=kept.filename, stored_name=kept.stored_name,
                     size=kept.size, sha256=kept.sha256, uploaded_by=kept.uploaded_by, created_at=kept.created_at)
    await kept.remove()
    await row.save()
    return row


async def remove_attachment(application_id: int, attachment_id: int, *, actor: Actor,
                            now: datetime | None = None) -> None:
    """`now` is when the request reached the server: after the deadline nothing changes."""
    application = await application_for(actor, application_id, edit=True)
    if not is_editable(application.state):
        raise Conflict("Cette candidature n'est pas un brouillon : rouvrez-la pour la modifier.")
    call = await Call.objects().where(Call.id == application.call).first()
    await ensure_edit_window(application, call, now or datetime.now(UTC))
    row = await Attachment.objects().where(
        (Attachment.id == attachment_id) & (Attachment.application == application.id)).first()
    if row is None:
        raise NotFound("Pièce jointe introuvable.")
    # Frozen versions keep the file's hash; the file itself is kept aside, so that the move to review can
    # put it back if the draft is never resubmitted.
    async with write_transaction(engine_finder()):
        await detach(row)
        await record_event("application.attachment_removed", actor_id=actor.id, actor=actor.email,
                           object_type="application", object_id=application.id,
                           data={"filename": row.filename, "sha256": row.sha256})


async def attachment_for(actor: Actor | None, application_id: int, attachment_id: int,
                         var_dir: Path) -> tuple[Attachment, Path]:
    application = await Application.objects().where(Application.id == application_id).first()
    if application is None or not await can_read_attachment(actor, application):
        raise NotFound(NOT_FOUND)
    row = await Attachment.objects().where(
        (Attachment.id == attachment_id) & (Attachment.application == application.id)).first()
    if row is None:
        raise NotFound("Pièce jointe introuvable.")
    path = attachments_dir(var_dir) / row.stored_name
    if not path.is_file():
        raise NotFound("Pièce jointe introuvable.")
    return row, path


async def attachments_of(application_id: int) -> list[dict]:
    return await Attachment.select(Attachment.id, Attachment.filename, Attachment.size, Attachment.sha256,
                                   Attachment.created_at).where(
        Attachment.application == application_id).order_by(Attachment.id)
