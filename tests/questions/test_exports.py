"""Manager exports of a call: CSV and JSON of the submitted applications, ZIP of their files with a manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

from registry.calls.exports import manifest_rows
from registry.calls.service import set_questions

from ..applications.helpers import actor, draft, open_call
from ..conftest import login

PDF_A = b"%PDF-1.4\n% protocole\n%%EOF\n"
PDF_B = b"%PDF-1.4\n% budget detaille\n%%EOF\n"
QUESTIONS = [
    {"key": "sources", "label": "Sources de données", "kind": "long_text", "required": True},
    {"key": "organisme", "label": "Type d’organisme", "kind": "choice", "required": True,
     "choices": ["CHU", "Université", "Association"]},
    {"key": "cnil", "label": "Autorisation CNIL", "kind": "yes_no", "required": True},
    {"key": "centres", "label": "Nombre de centres", "kind": "number", "min": 1},
    {"key": "protocole", "label": "Protocole", "kind": "file"},
]


async def _submitted_call(client, make_user, api_token):
    """An open call with two submitted applications (one with two PDFs) and one draft never submitted."""
    manager = await make_user("manager", email="manager@example.org")
    await open_call(manager)
    first_owner = await make_user("applicant", email="camille@example.org", name="Camille Martin")
    second_owner = await make_user("applicant", email="=cmd@example.org", name="=HYPERLINK(\"x\")")
    draft_owner = await make_user("applicant", email="draft@example.org")
    await set_questions("ami-test", QUESTIONS, actor=await actor(manager))
    first = await draft(first_owner)
    second = await draft(second_owner)
    await draft(draft_owner)
    headers = await api_token(first_owner)
    ids = []
    for name, content in (("protocole.pdf", PDF_A), ("Budget détaillé.pdf", PDF_B)):
        added = await client.post(f"/api/v1/applications/{first.id}/attachments", headers=headers,
                                  files={"file": (name, content, "application/pdf")})
        assert added.status_code == 201, added.text
        ids.append(added.json()["id"])
    for application, owner, answers in (
            (first, first_owner, {"sources": "SNDS; entrepôt du CHU", "organisme": "CHU", "cnil": True,
                                  "centres": 4, "protocole": ids[0]}),
            (second, second_owner, {"sources": "=1+2", "organisme": "Association", "cnil": False})):
        patched = await client.patch(f"/api/v1/applications/{application.id}", headers=await api_token(owner),
                                     json={"answers": answers})
        assert patched.status_code == 200, patched.text
    receipts = {}
    for application, owner in ((first, first_owner), (second, second_owner)):
        submitted = await client.post(f"/api/v1/applications/{application.id}/submit",
                                      headers=await api_token(owner))
        assert submitted.status_code == 200, submitted.text
        receipts[application.id] = submitted.json()["receipt"]["sha256"]
    return manager, first, second, receipts


async def test_csv_and_json_list_submitted_applications_only(client, make_user, api_token):
    manager, first, second, receipts = await _submitted_call(client, make_user, api_token)
    await login(client, manager.email)

    response = await client.get("/manage/calls/ami-test/applications.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="candidatures-ami-test.csv"'
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [int(row["application_id"]) for row in rows] == [first.id, second.id]  # the draft is not there
    assert rows[0]["applicant"] == "Camille Martin"
    assert rows[0]["state"] == "submitted" and rows[0]["title"] == "Pseudonymisation de comptes rendus"
    assert rows[0]["receipt_sha256"] == receipts[first.id]
    assert rows[0]["organisation"] == "CHU de Test" and rows[0]["requested_amount"] == "50000"
    assert rows[0]["attachments"] == "Budget détaillé.pdf | protocole.pdf"
    assert (rows[0]["questions_version"], rows[0]["answer.sources"], rows[0]["answer.organisme"],
            rows[0]["answer.cnil"], rows[0]["answer.centres"], rows[0]["answer.protocole"]) == (
        "1", "SNDS; entrepôt du CHU", "CHU", "oui", "4", "protocole.pdf")
    assert (rows[1]["answer.sources"], rows[1]["answer.cnil"], rows[1]["answer.centres"]) == ("'=1+2", "non", "")
    assert list(rows[0])[13:18] == ["answer.sources", "answer.organisme", "answer.cnil", "answer.centres",
                                    "answer.protocole"]  # the questions' order
    assert rows[1]["applicant"].startswith("'=")  # formula neutralised
    assert rows[1]["applicant_email"] == "'=cmd@example.org"

    exported = await client.get("/manage/calls/ami-test/applications.json")
    assert exported.headers["content-disposition"] == 'attachment; filename="candidatures-ami-test.json"'
    document = exported.json()
    assert document["call"] == "ami-test"
    assert [a["application_id"] for a in document["applications"]] == [first.id, second.id]
    assert document["applications"][1]["applicant"] == "=HYPERLINK(\"x\")"  # JSON keeps the value as it is
    assert document["applications"][0]["receipt_sha256"] == receipts[first.id]
    assert [q["key"] for q in document["questions"]] == ["sources", "organisme", "cnil", "centres", "protocole"]
    answers = document["applications"][0]["answers"]
    assert (answers["cnil"], answers["centres"], answers["organisme"]) == (True, 4, "CHU")
    assert document["applications"][0]["answer_files"]["protocole"]["filename"] == "protocole.pdf"
    assert document["applications"][1]["answers"]["sources"] == "=1+2"
    assert {f["filename"] for f in document["applications"][0]["attachments"]} == {
        "protocole.pdf", "Budget détaillé.pdf"}


async def test_zip_has_a_folder_per_application_and_a_manifest_with_hashes(client, make_user, api_token):
    manager, first, second, _ = await _submitted_call(client, make_user, api_token)
    await login(client, manager.email)

    response = await client.get("/manage/calls/ami-test/attachments.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="pieces-jointes-ami-test.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    folder = f"{first.id:04d}-pseudonymisation-de-comptes-rendus"
    assert sorted(archive.namelist()) == sorted([f"{folder}/protocole.pdf", f"{folder}/Budget détaillé.pdf",
                                                 "manifest.csv"])
    assert archive.read(f"{folder}/protocole.pdf") == PDF_A
    manifest = manifest_rows(archive.read("manifest.csv"))
    by_path = {row["path"]: row for row in manifest}
    assert by_path[f"{folder}/Budget détaillé.pdf"]["sha256"] == hashlib.sha256(PDF_B).hexdigest()
    assert by_path[f"{folder}/protocole.pdf"]["size"] == str(len(PDF_A))
    assert {row["status"] for row in manifest} == {"ok"}
    assert by_path[f"{folder}/protocole.pdf"]["source"] == "answer.protocole"
    assert by_path[f"{folder}/Budget détaillé.pdf"]["source"] == "attachment"
    assert all(hashlib.sha256(archive.read(row["path"])).hexdigest() == row["sha256"] for row in manifest)


async def test_exports_are_for_managers_only(client, make_user, api_token):
    _, first, _, _ = await _submitted_call(client, make_user, api_token)
    reviewer = await make_user("reviewer", email="reviewer@example.org")
    anonymous = await client.get("/manage/calls/ami-test/applications.csv")
    assert "text/csv" not in anonymous.headers.get("content-type", "")
    assert "/login" in str(anonymous.url) or anonymous.status_code == 401
    for email in ("camille@example.org", reviewer.email):
        await client.get("/logout")
        await login(client, email)
        for suffix in ("applications.csv", "applications.json", "attachments.zip"):
            refused = await client.get(f"/manage/calls/ami-test/{suffix}")
            assert refused.status_code == 403, (email, suffix)
            assert "Pseudonymisation" not in refused.text and "PK" not in refused.text[:2]


async def test_manager_page_links_to_the_exports(client, make_user, api_token):
    manager, *_ = await _submitted_call(client, make_user, api_token)
    await login(client, manager.email)
    page = await client.get("/manage/calls/ami-test")
    for suffix in ("applications.csv", "applications.json", "attachments.zip"):
        assert f'href="/manage/calls/ami-test/{suffix}"' in page.text
    english = await client.get("/manage/calls/ami-test?lang=en")
    assert "Download all attachments (ZIP, with SHA-256 manifest)" in english.text
