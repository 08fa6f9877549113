import hashlib
import json

from registry.applications.tables import Application, ApplicationVersion
from tests.applications.helpers import open_call


async def test_api_create_patch_submit_returns_receipt(client, make_user, api_token):
    manager = await make_user("manager")
    owner = await make_user("applicant", email="owner@example.org")
    await open_call(manager)
    headers = await api_token(owner)
    created = await client.post("/api/v1/calls/ami-test/applications", json={"title": "Projet"}, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "draft"
    assert body["call"] == "ami-test"
    assert [m["field"] for m in body["missing"]] == [
        "public_title", "public_summary", "description", "requested_amount", "repositories", "licence",
        "organisation.name", "organisation.siren"]
    app_id = body["id"]
    refused = await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("La candidature est incomplète")
    patched = await client.patch(f"/api/v1/applications/{app_id}", headers=headers, json={
        "public_title": "Titre clair", "public_summary": "Résumé clair", "description": "Desc",
        "requested_amount": 50000, "repositories": ["https://github.com/example/projet/"],
        "licence": "apache-2.0 or mit", "organisation": {"name": "CHU", "siren": "732829320"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["licence"] == "Apache-2.0 OR MIT"
    assert patched.json()["repositories"] == ["https://github.com/example/projet"]
    assert patched.json()["missing"] == []
    submitted = await client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    data = submitted.json()
    assert data["id"] == app_id and data["state"] == "submitted"
    version = await ApplicationVersion.objects().where(ApplicationVersion.application == app_id).first()
    assert data["receipt"]["sha256"] == version.sha256 == hashlib.sha256(version.content.encode()).hexdigest()
    content = json.loads(version.content)
    assert version.content == json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert content["title"] == "Projet" and content["requested_amount"] == 50000 and content["version"] == 1
    assert (await Application.objects().get(Application.id == app_id)).state == "submitted"
