"""The managers' harvest dashboard and "harvest now", on the page and through the API."""

from __future__ import annotations

import dataclasses

from tests.conftest import csrf_from, http_client, login

from .conftest import add_repository, sample_repo, stored
from .fakes import FakeGitHub


async def _client_for(settings, fake_github: FakeGitHub, app_factory):
    app = app_factory(dataclasses.replace(settings, github_api_url=fake_github.base, allow_loopback_forges=True))
    return http_client(app)


async def test_harvest_now_button_runs_and_is_rate_limited(settings, make_user, fake_github, app_factory):
    fake_github.add(sample_repo())
    repo_id = await add_repository("https://github.com/hdh/pseudo")
    await make_user("manager", email="m@example.org")
    async with await _client_for(settings, fake_github, app_factory) as client:
        await login(client, "m@example.org")
        dashboard = await client.get("/manage/harvest")
        assert "https://github.com/hdh/pseudo" in dashboard.text and "jamais" in dashboard.text
        done = await client.post("/manage/harvest/pseudo", data={"_csrf_token": csrf_from(dashboard.text)})
        assert done.status_code == 200
        assert "Collecte terminée pour Projet pseudo : 1 dépôt : 0 à jour, 1 modifié, 0 en échec." in done.text
        again = await client.post("/manage/harvest/pseudo", data={"_csrf_token": csrf_from(done.text)})
        assert again.status_code == 429
        assert "Une collecte de ce projet vient d&#39;être lancée" in again.text
    assert (await stored(repo_id))["description"] == "Pseudonymisation des données de santé"


async def test_harvest_now_api_is_for_managers_only(settings, make_user, api_token, fake_github, app_factory):
    fake_github.add(sample_repo())
    await add_repository("https://github.com/hdh/pseudo")
    manager = await make_user("manager")
    applicant = await make_user("applicant")
    async with await _client_for(settings, fake_github, app_factory) as client:
        refused = await client.post("/api/v1/projects/pseudo/harvest", headers=await api_token(applicant))
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Réservé à l'équipe du programme.", "errors": []}
        missing = await client.post("/api/v1/projects/nope/harvest", headers=await api_token(manager))
        assert missing.status_code == 404
        response = await client.post("/api/v1/projects/pseudo/harvest", headers=await api_token(manager))
        assert response.status_code == 200
        body = response.json()
        assert {k: body[k] for k in ("project", "repositories", "changed", "failed", "summary")} == {
            "project": "pseudo", "repositories": 1, "changed": 1, "failed": 0,
            "summary": "1 dépôt : 0 à jour, 1 modifié, 0 en échec"}
        limited = await client.post("/api/v1/projects/pseudo/harvest", headers=await api_token(manager))
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "60"
