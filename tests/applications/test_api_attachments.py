"""Attachments through the API: upload (PDF only, size-limited), list, download, delete; owners only."""

from __future__ import annotations

import hashlib

from registry.applications.tables import Attachment

from .helpers import draft, open_call

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def test_api_upload_list_download_delete(client, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    application = await draft(owner)
    headers = await api_token(owner)

    created = await client.post(f"/api/v1/applications/{application.id}/attachments", headers=headers,
                                files={"file": ("protocole.pdf", PDF, "application/pdf")})
    assert created.status_code == 201
    body = created.json()
    assert (body["filename"], body["size"], body["sha256"]) == ("protocole.pdf", len(PDF),
                                                                 hashlib.sha256(PDF).hexdigest())
    listed = (await client.get(f"/api/v1/applications/{application.id}", headers=headers)).json()
    assert [a["filename"] for a in listed["attachments"]] == ["protocole.pdf"]
    download = await client.get(body["url"], headers=headers)
    assert download.content == PDF

    deleted = await client.delete(body["url"], headers=headers)
    assert deleted.status_code == 204
    assert await Attachment.count() == 0


async def test_api_upload_refuses_non_pdf_and_other_applicants(client, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    other = await make_user("applicant", email="other@example.org")
    await open_call(manager)
    application = await draft(owner)

    refused = await client.post(f"/api/v1/applications/{application.id}/attachments", headers=await api_token(owner),
                                files={"file": ("notes.pdf", b"<html>pas un pdf</html>", "application/pdf")})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "attachment", "message":
                                         "Seuls les fichiers PDF sont acceptés (le contenu de ce fichier n'est pas "
                                         "un PDF)."}]
    hidden = await client.post(f"/api/v1/applications/{application.id}/attachments", headers=await api_token(other),
                               files={"file": ("x.pdf", PDF, "application/pdf")})
    assert hidden.status_code == 404
    assert await Attachment.count() == 0
