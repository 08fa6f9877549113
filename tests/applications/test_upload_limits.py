"""Upload limits: refused on Content-Length before reading, capped while streaming, and at most 10 files
per application even when uploads race."""

from __future__ import annotations

import asyncio
import dataclasses
import re

from app.web.files import UPLOAD_MARGIN
from registry.applications.attachments import MAX_PER_APPLICATION, add_attachment
from registry.applications.tables import Attachment
from tests.conftest import csrf_from, http_client, login

from .helpers import actor, draft, open_call

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BOUNDARY = "ami-test-boundary-0123456789"
CHUNK = 16 * 1024
SMALL = 4096


class Body:
    """A multipart body produced on demand; `pulled` counts the bytes the server actually asked for."""

    def __init__(self, fields: dict[str, str], file_bytes: int, field: str = "attachment") -> None:
        self.pulled = 0
        head = "".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                       for k, v in fields.items())
        head += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="gros.pdf"\r\n'
                 "Content-Type: application/pdf\r\n\r\n")
        self.head = head.encode() + b"%PDF-1.4\n"
        self.file_bytes = file_bytes

    async def __aiter__(self):
        self.pulled += len(self.head)
        yield self.head
        sent = 0
        while sent < self.file_bytes:
            sent += CHUNK
            self.pulled += CHUNK
            yield b"0" * CHUNK
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.pulled += len(tail)
        yield tail


HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
TOO_LARGE_20 = "Fichier trop volumineux : 20 Mo au plus par pièce jointe."
TOO_LARGE_4 = "Fichier trop volumineux : 4 Ko au plus par pièce jointe."


def error_of(html: str) -> str | None:
    """The message shown next to the file field."""
    match = re.search(r'<p class="error-message" id="error-attachment">(?:<span[^>]*>[^<]*</span>)?([^<]*)</p>',
                      html)
    return match.group(1) if match else None


async def _world(make_user):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    return owner, await draft(owner)


async def test_api_refuses_a_200_mb_content_length_without_reading(client, make_user, api_token):
    owner, application = await _world(make_user)
    body = Body({}, file_bytes=10, field="file")
    response = await client.post(f"/api/v1/applications/{application.id}/attachments", content=body.__aiter__(),
                                 headers={**HEADERS, **await api_token(owner), "Content-Length": str(200 * 10**6)})
    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE_20, "errors": [{"field": "attachment", "message": TOO_LARGE_20}]}
    assert body.pulled == 0
    assert await Attachment.count() == 0


async def test_page_refuses_a_200_mb_content_length_and_redisplays_the_form(client, make_user):
    owner, application = await _world(make_user)
    await login(client, "owner@example.org")
    form = await client.get(f"/applications/{application.id}/edit")
    token = csrf_from(form.text)
    body = Body({"_csrf_token": token}, file_bytes=10)
    response = await client.post(f"/applications/{application.id}/attachments", content=body.__aiter__(),
                                 headers={**HEADERS, "Content-Length": str(200 * 10**6)})
    assert response.status_code == 413
    assert body.pulled == 0
    assert error_of(response.text) == TOO_LARGE_20
    assert 'value="Pseudonymisation de comptes rendus"' in response.text  # the form, with the stored values
    assert csrf_from(response.text) == token  # and a token to try again
    english = await client.post(f"/applications/{application.id}/attachments?lang=en",
                                content=Body({"_csrf_token": token}, 10).__aiter__(),
                                headers={**HEADERS, "Content-Length": str(200 * 10**6)})
    assert "File too large: 20 Mo at most per attachment." in english.text
    assert await Attachment.count() == 0


async def test_chunked_or_lying_stream_is_cut_at_the_limit(make_user, settings, app_factory, api_token):
    owner, application = await _world(make_user)
    small = dataclasses.replace(settings, attachment_max_bytes=SMALL)
    cap = SMALL + UPLOAD_MARGIN
    async with http_client(app_factory(small)) as client:
        auth = await api_token(owner)
        for extra in ({}, {"Content-Length": "2000"}):  # chunked (no length), then a length that lies
            body = Body({}, file_bytes=10 * 1024 * 1024, field="file")
            response = await client.post(f"/api/v1/applications/{application.id}/attachments",
                                         content=body.__aiter__(), headers={**HEADERS, **auth, **extra})
            assert response.status_code == 413, extra
            assert response.json()["errors"] == [{"field": "attachment", "message": TOO_LARGE_4}]
            assert cap < body.pulled <= cap + CHUNK, (extra, body.pulled)

        await login(client, "owner@example.org")
        form = await client.get(f"/applications/{application.id}/edit")
        body = Body({"_csrf_token": csrf_from(form.text)}, file_bytes=10 * 1024 * 1024)
        response = await client.post(f"/applications/{application.id}/attachments", content=body.__aiter__(),
                                     headers=HEADERS)
        assert response.status_code == 413
        assert error_of(response.text) == TOO_LARGE_4
        assert cap < body.pulled <= cap + CHUNK
        # Under the limit, the same route still takes the file.
        accepted = await client.post(f"/applications/{application.id}/attachments",
                                     data={"_csrf_token": csrf_from(form.text)},
                                     files={"attachment": ("petit.pdf", PDF, "application/pdf")})
        assert accepted.status_code == 200 and "La pièce jointe a été ajoutée." in accepted.text
    assert [row["filename"] for row in await Attachment.select(Attachment.filename)] == ["petit.pdf"]


async def test_concurrent_uploads_stop_at_ten(client, make_user, api_token, settings):
    owner, application = await _world(make_user)
    for i in range(8):
        await add_attachment(application.id, filename=f"annexe-{i}.pdf", content=PDF, actor=await actor(owner),
                             var_dir=settings.var_dir, max_bytes=settings.attachment_max_bytes)
    headers = await api_token(owner)

    async def upload(i: int):
        return await client.post(f"/api/v1/applications/{application.id}/attachments", headers=headers,
                                 files={"file": (f"course-{i}.pdf", PDF + str(i).encode(), "application/pdf")})

    responses = await asyncio.gather(*(upload(i) for i in range(12)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 201] + [422] * 10
    for refused in (r for r in responses if r.status_code == 422):
        assert refused.json()["errors"] == [{"field": "attachment",
                                             "message": "10 pièces jointes au plus par candidature."}]
    assert await Attachment.count().where(Attachment.application == application.id) == MAX_PER_APPLICATION
    stored = {row["stored_name"] for row in await Attachment.select(Attachment.stored_name)}
    on_disk = {path.name for path in (settings.var_dir / "attachments").iterdir()}
    assert on_disk == stored  # the refused uploads left no file behind
