"""API authentication, role guards, error shapes, audit and the schema page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.service import create_api_token, revoke_api_token
from registry.audit.log import record_event, verify_chain
from registry.audit.tables import AuditEntry
from registry.db import is_postgres
from tests.conftest import csrf_from, login, post_form

ROOT = Path(__file__).resolve().parents[2]


async def test_me_with_bearer_token_returns_exact_identity(client, make_user, api_token):
    user = await make_user("manager", "reviewer", email="m@example.org", name="Marie Curie")
    response = await client.get("/api/v1/me", headers=await api_token(user))
    assert response.status_code == 200
    assert response.json() == {"email": "m@example.org", "name": "Marie Curie", "roles": ["manager", "reviewer"]}


async def test_me_without_credentials_is_401_json(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentification requise.", "errors": []}


async def test_forged_token_is_401(client, make_user):
    await make_user("manager")
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer ami_forged-token-value"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton d'API inconnu ou révoqué.", "errors": []}
    assert response.headers["www-authenticate"] == 'Bearer realm="ami"'


async def test_malformed_authorization_header_is_401(client):
    response = await client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.json()["detail"] == "En-tête Authorization invalide : Bearer <jeton> attendu."


async def test_revoked_token_is_401(client, make_user):
    user = await make_user("applicant")
    token = await create_api_token(user.id, name="script")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    tokens = (await client.get("/api/v1/me/tokens", headers=headers)).json()
    actor = Actor(id=user.id, email=user.email, name=user.name, roles=frozenset({"applicant"}))
    await revoke_api_token(user.id, tokens[0]["id"], actor=actor)
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton d'API inconnu ou révoqué."


async def test_token_lifecycle_through_the_api(client, make_user, api_token):
    user = await make_user("applicant")
    headers = await api_token(user)
    created = await client.post("/api/v1/me/tokens", json={"name": "export nocturne"}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "export nocturne" and body["token"].startswith("ami_")
    listed = (await client.get("/api/v1/me/tokens", headers=headers)).json()
    assert [t["name"] for t in listed] == ["export nocturne", "tests"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    new_id = listed[0]["id"]
    assert (await client.delete(f"/api/v1/me/tokens/{new_id}", headers=headers)).status_code == 204
    revoked = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert revoked.status_code == 401
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert actions[-3:] == ["token.created", "token.created", "token.revoked"]


async def test_api_bad_body_names_the_field(client, make_user, api_token):
    user = await make_user("applicant")
    response = await client.post("/api/v1/me/tokens", json={"name": 12}, headers=await api_token(user))
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [{"field": "name", "message": "Expected `str`, got `int`"}]
    assert body["detail"].startswith("Requête invalide")


async def test_api_state_change_with_session_cookie_needs_csrf_header(client, make_user):
    await make_user("applicant", email="a@example.org")
    await login(client, "a@example.org")
    refused = await client.post("/api/v1/me/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Jeton CSRF manquant ou invalide (en-tête X-CSRFToken)."
    page = await client.get("/account/tokens")
    allowed = await client.post("/api/v1/me/tokens", json={"name": "x"},
                                headers={"X-CSRFToken": csrf_from(page.text)})
    assert allowed.status_code == 201


async def test_wrong_role_gets_403_page(client, make_user):
    await make_user("applicant", email="a@example.org")
    await login(client, "a@example.org")
    response = await client.get("/manage")
    assert response.status_code == 403
    assert "Accès refusé" in response.text
    assert "Réservé à l&#39;équipe du programme." in response.text


async def test_manager_is_not_admin(client, make_user):
    await make_user("manager", email="m@example.org")
    await login(client, "m@example.org")
    assert (await client.get("/manage")).status_code == 200
    response = await client.get("/manage/users")
    assert response.status_code == 403
    assert "Réservé aux administrateurs." in response.text


async def test_anonymous_page_access_redirects_to_login(client):
    response = await client.get("/manage/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/manage/users"


async def test_admin_changes_roles_and_the_audit_log_records_it(client, make_user):
    await make_user("admin", email="root@example.org")
    target = await make_user("applicant", email="t@example.org")
    await login(client, "root@example.org")
    page = await client.get("/manage/users")
    response = await client.post(f"/manage/users/{target.id}/roles",
                                 data={"roles": ["reviewer", "applicant"], "_csrf_token": csrf_from(page.text)})
    assert "Les rôles ont été enregistrés." in response.text
    entry = await AuditEntry.select().where(AuditEntry.action == "user.roles_changed").first()
    assert entry["actor"] == "root@example.org"
    assert entry["data"] == '{"after":["applicant","reviewer"],"before":["applicant"],"email":"t@example.org"}'
    assert await verify_chain() == []


async def test_unknown_role_is_refused_without_change(client, make_user):
    await make_user("admin", email="root@example.org")
    target = await make_user("applicant", email="t@example.org")
    await login(client, "root@example.org")
    response = await post_form(client, "/manage/users", f"/manage/users/{target.id}/roles", {"roles": "superuser"})
    assert response.status_code == 422
    assert "Rôle inconnu : superuser" in response.text
    assert await AuditEntry.count().where(AuditEntry.action == "user.roles_changed") == 0


async def _disable_append_only_trigger() -> None:
    engine = engine_finder()
    if is_postgres(engine):
        await engine.run_ddl("ALTER TABLE ami_audit_entry DISABLE TRIGGER ami_audit_entry_append_only")
    else:
        await engine.run_ddl("DROP TRIGGER ami_audit_entry_append_only")


async def _restore_append_only_trigger() -> None:
    engine = engine_finder()
    if is_postgres(engine):
        await engine.run_ddl("ALTER TABLE ami_audit_entry ENABLE TRIGGER ami_audit_entry_append_only")
    else:
        await engine.run_ddl(
            "CREATE TRIGGER ami_audit_entry_append_only BEFORE UPDATE ON ami_audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


async def test_audit_log_refuses_updates(db):
    entry = await record_event("test.event", actor="a@example.org", data={"n": 1})
    try:
        await AuditEntry.update({AuditEntry.data: '{"n":2}'}).where(AuditEntry.id == entry.id)
    except Exception as error:  # noqa: BLE001 - each engine raises its own class
        assert "append-only" in str(error)
    else:
        raise AssertionError("the update went through")


async def test_audit_chain_detects_a_changed_row(db):
    for n in range(3):
        await record_event("test.event", actor="a@example.org", object_type="call", object_id=n, data={"n": n})
    assert await verify_chain() == []
    second = (await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id))[1]["id"]
    await _disable_append_only_trigger()
    try:
        await AuditEntry.update({AuditEntry.data: '{"n":99}'}).where(AuditEntry.id == second)
    finally:
        await _restore_append_only_trigger()
    problems = await verify_chain()
    assert [(p.entry_id, p.reason.split(":")[0]) for p in problems] == [(second, "content does not match its hash")]


async def test_audit_rows_cannot_be_removed(db):
    # Removal behind the triggers' back is detected too: tests/registry/test_audit_chain.py.
    for n in range(3):
        await record_event("test.event", actor="a@example.org", data={"n": n})
    ids = [row["id"] for row in await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id)]
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.delete().where(AuditEntry.id == ids[1])
    assert [row["id"] for row in await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id)] == ids
    assert await verify_chain() == []


async def test_schema_page_and_json_use_no_cdn(client):
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "<code>/api/v1/me</code>" in page.text
    assert "cdn" not in page.text.lower() and "<script" not in page.text.lower()
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["info"]["title"] == "AMI Algorithmes ouverts — API"
    assert "/api/v1/me" in schema["paths"]


async def test_healthz_reports_database(client):
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_cli_users_create_token_is_accepted_by_api(client):
    env = {**os.environ}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "users", "create", "--email", "cli@example.org", "--name", "Cli Manager",
         "--role", "manager", "--password", "a long cli password", "--token"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Compte créé : cli@example.org (manager)"
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {lines[-1]}"})
    assert response.json() == {"email": "cli@example.org", "name": "Cli Manager", "roles": ["manager"]}
