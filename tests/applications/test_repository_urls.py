"""The application form's repository URLs go through the one URL policy (registry/harvest/urls.py):
every spelling of an internal address is refused, and named in the field's error."""

from __future__ import annotations

import json
import socket

import pytest

from registry.applications.tables import Application
from registry.applications.validation import UrlPolicy, clean_repositories
from registry.errors import FieldError
from tests.applications.helpers import draft, open_call

SPELLINGS = [
    ("0177.0.0.1", "0177.0.0.1", " (127.0.0.1)"),
    ("0x7f.0.0.1", "0x7f.0.0.1", " (127.0.0.1)"),
    ("127.1", "127.1", " (127.0.0.1)"),
    ("2130706433", "2130706433", " (127.0.0.1)"),
    ("[::1]", "::1", ""),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", " (127.0.0.1)"),
]


@pytest.mark.parametrize(("host", "shown", "decoded"), SPELLINGS)
async def test_api_refuses_every_spelling_of_loopback(client, make_user, api_token, host, shown, decoded):
    manager = await make_user("manager")
    owner = await make_user("applicant")
    await open_call(manager)
    application = await draft(owner)
    url = f"https://{host}/hdh/pseudo"
    response = await client.patch(f"/api/v1/applications/{application.id}", headers=await api_token(owner),
                                  json={"repositories": [url, "https://github.com/hdh/ok"]})
    assert response.status_code == 200  # the draft keeps the list as typed, with its error
    assert response.json()["errors"] == [{
        "field": "repositories",
        "message": f"Adresse de dépôt refusée ({url}) : l'hôte « {shown} » est une adresse locale ou privée{decoded}.",
    }]
    stored = await Application.objects().get(Application.id == application.id)
    repositories = stored.repositories
    assert (json.loads(repositories) if isinstance(repositories, str) else repositories) == [
        "https://github.com/example/pseudo"]


@pytest.mark.parametrize(("host", "shown", "decoded"), SPELLINGS)
def test_open_policy_refuses_every_spelling_of_loopback(host, shown, decoded):
    errors: list[FieldError] = []
    url = f"https://{host}/hdh/pseudo"
    assert clean_repositories([url], policy=UrlPolicy(), errors=errors) == []
    assert [(e.field, e.message) for e in errors] == [
        ("repositories", f"Adresse de dépôt refusée ({url}) : l'hôte « {shown} » est une adresse locale ou privée"
                         f"{decoded}.")]


def test_open_policy_refuses_names_resolving_to_internal_addresses(monkeypatch):
    answers = {"forge.example.org": "127.0.0.1", "intranet.example.org": "192.168.10.4",
               "algo.example.org": "8.8.8.8"}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    errors: list[FieldError] = []
    cleaned = clean_repositories(
        ["https://forge.example.org/a/b", "https://intranet.example.org/a/b", "https://typo.example.org/a/b",
         "https://localhost/a/b", "https://algo.example.org/team/algo"],
        policy=UrlPolicy(), errors=errors)
    assert cleaned == ["https://algo.example.org/team/algo"]
    assert [e.message for e in errors] == [
        "Adresse de dépôt refusée (https://forge.example.org/a/b) : "
        "l'hôte « forge.example.org » mène à une adresse de bouclage (127.0.0.1).",
        "Adresse de dépôt refusée (https://intranet.example.org/a/b) : "
        "l'hôte « intranet.example.org » mène à une adresse privée (192.168.10.4).",
        "Adresse de dépôt refusée (https://typo.example.org/a/b) : "
        "l'hôte « typo.example.org » est introuvable (DNS).",
        "Adresse de dépôt refusée (https://localhost/a/b) : l'hôte « localhost » est une adresse locale ou privée.",
    ]
    assert {e.field for e in errors} == {"repositories"}
