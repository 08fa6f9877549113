"""The served OpenAPI document against the app itself: schemathesis generates requests from
/schema/openapi.json and checks each answer (no server error; status, content type, headers and
body as documented), as anonymous, applicant, reviewer and manager, on the demo data.

Bounded and deterministic: at most `MAX_EXAMPLES` cases per operation and identity, derandomised,
no example database. Requests go through the whole app (middleware, guards, error handlers) in
the test's event loop, like every other API test, so the app shares the test's database pool.
Path parameters are drawn from the real identifiers half the time, so the documented 200
bodies are checked too, not only the 404s.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.accounts.service import create_api_token
from registry.accounts.tables import User
from registry.applications.tables import Application, Attachment, CoApplicant
from registry.calls.tables import Call
from registry.demo import DEMO_ACCOUNTS, load_demo
from registry.projects.tables import Project
from registry.reviews.tables import Assignment
from tests.conftest import http_client

BASE_URL = "http://testserver.local"  # as tests.conftest.http_client
MAX_EXAMPLES = int(os.environ.get("AMI_SCHEMA_EXAMPLES", "25"))
# Then data that breaks the schema (wrong types, missing fields, bad headers): it must meet a documented
# 400/401/422 with the error body, never a server error. Fewer cases, as the manager (who gets deepest).
NEGATIVE_EXAMPLES = int(os.environ.get("AMI_SCHEMA_NEGATIVE_EXAMPLES", "5"))
NEGATIVE_IDENTITIES = ["manager"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# In this order, on the same data; each identity reads first and changes states last.
IDENTITIES = ["anonymous", "reviewer", "manager", "applicant"]
ORDER = ["GET", "PATCH", "PUT", "DELETE", "POST"]  # submit, withdraw and the like come last
ANONYMOUS_ON_GUARDED = 3
# Run last for each identity: revoking a token by id could revoke the one the run is using.
LAST = {("DELETE", "/api/v1/me/tokens/{token_id}")}
# Never given a real project: a real harvest would reach out to the forges.
NO_REAL_VALUES = {("POST", "/api/v1/projects/{slug}/harvest")}


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def add_file_and_co_applicant(client: Any, headers: dict[str, str]) -> None:
    """The demo has neither: one of each on the applicant's draft, so their routes answer 2xx too."""
    drafts = (await client.get("/api/v1/applications", headers=headers)).json()["items"]
    draft = next(item for item in drafts if item["state"] == "draft")
    url = f"/api/v1/applications/{draft['id']}"
    uploaded = await client.post(f"{url}/attachments", headers=headers,
                                 files={"file": ("protocole.pdf", PDF, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    invited = await client.post(f"{url}/co-applicants", headers=headers, json={"email": "co@example.org"})
    assert invited.status_code == 201, invited.text


async def real_parameters() -> dict[str, list[dict[str, Any]]]:
    """Path parameters naming what the demo data holds, per parameter set (pairs kept coherent)."""
    calls = [{"slug": r["slug"]} for r in await Call.select(Call.slug)]
    projects = [{"slug": r["slug"]} for r in await Project.select(Project.slug)]
    applications = [{"application_id": r["id"]} for r in await Application.select(Application.id)]
    return {
        "call": calls,
        "project": projects,
        "application_id": applications,
        "assignment_id": [{"assignment_id": r["id"]} for r in await Assignment.select(Assignment.id)],
        "application_id,attachment_id": [
            {"application_id": r["application"], "attachment_id": r["id"]}
            for r in await Attachment.select(Attachment.id, Attachment.application)],
        "application_id,co_id": [
            {"application_id": r["application"], "co_id": r["id"]}
            for r in await CoApplicant.select(CoApplicant.id, CoApplicant.application)],
    }


def real_choices(operation: Any, real: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    names = sorted(p.name for p in operation.path_parameters)
    if not names or (operation.method.upper(), operation.path) in NO_REAL_VALUES:
        return []
    if names == ["slug"]:
        return real["call" if operation.path.startswith("/api/v1/calls/") else "project"]
    return real.get(",".join(names), [])


@dataclasses.dataclass
class Figures:
    operations: int = 0
    cases: int = 0
    failures: Counter = dataclasses.field(default_factory=Counter)
    statuses: Counter = dataclasses.field(default_factory=Counter)
    succeeded: set[str] = dataclasses.field(default_factory=set)  # operations answered 2xx at least once
    examples: list[str] = dataclasses.field(default_factory=list)


def draw(strategy: Any, limit: int) -> list[Any]:
    cases: list[Any] = []

    @settings(max_examples=limit, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(strategy)
    def collect(case: Any) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to break (no parameters, no body): no negative case
        pass
    return cases


def generate(operation: Any, mode: GenerationMode, limit: int, real: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """Up to `limit` cases from the schema; the second half then names real identifiers in its path."""
    raw = operation.definition.raw
    if mode == GenerationMode.NEGATIVE and not (
            raw.get("requestBody") or any(p.get("in") == "query" for p in raw.get("parameters", []))):
        return []  # a path's text cannot break its schema: nothing worth the (slow) search
    cases = draw(operation.as_strategy(generation_mode=mode), limit)
    choices = real_choices(operation, real) if mode == GenerationMode.POSITIVE else []
    for number, case in enumerate(cases[len(cases) // 2:]) if choices else ():
        case.path_parameters = {**case.path_parameters, **choices[number % len(choices)]}
    return cases


def failure_kind(failure: Failure) -> str:
    return type(failure).__name__


async def send(client: Any, case: Any, headers: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """The case as schemathesis would send it (its serialisers, through `requests`), over the test's client."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in {
        "method", "url", "headers", "params", "cookies", "data", "json", "files"}}).prepare()
    response = await client.request(prepared.method, prepared.url, headers=dict(prepared.headers),
                                    content=prepared.body)
    return response, kwargs


async def run_schemathesis(client: Any, generated: list[tuple[Any, list[Any]]], headers: dict[str, str],
                           renew: Callable[[], Any]) -> Figures:
    figures = Figures()
    for operation, cases in generated:
        figures.operations += 1
        if not headers and operation.definition.raw.get("security"):
            cases = cases[:ANONYMOUS_ON_GUARDED]  # the guard answers before anything is read
        for case in cases:
            response, kwargs = await send(client, case, headers)
            figures.cases += 1
            figures.statuses[response.status_code] += 1
            if response.is_success:
                figures.succeeded.add(f"{operation.method.upper()} {operation.path}")
            try:
                case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs=kwargs)
            except (Failure, FailureGroup) as error:
                for failure in getattr(error, "exceptions", None) or [error]:
                    figures.failures[failure_kind(failure)] += 1
                    if len(figures.examples) < 15:
                        figures.examples.append(
                            f"{operation.method.upper()} {operation.path}: "
                            f"{getattr(failure, 'title', '')} [{response.status_code}]\n"
                            f"    {str(getattr(failure, 'message', failure))[:600]}\n"
                            f"    {case.as_curl_command(headers=headers, base_url=BASE_URL)[:400]}")
            if headers and (operation.method.upper(), operation.path) in LAST and response.status_code == 204:
                headers.update(await renew())  # it may have revoked the run's own token: carry on with a new one
    return figures


@pytest.mark.slow
async def test_schema_matches_what_the_app_answers(settings, app_factory, capsys):
    app = app_factory(dataclasses.replace(
        settings, github_api_url="http://127.0.0.1:9", gitlab_api_urls={}, allowed_forge_hosts=()))
    await load_demo()
    started, cpu_started = time.monotonic(), time.process_time()
    async with http_client(app) as client:
        served = await client.get("/schema/openapi.json")
        assert served.status_code == 200
        schema = schemathesis.openapi.from_dict(served.json())
        applicant = next(a for a in DEMO_ACCOUNTS if a.role == "applicant")
        user = await User.objects().get(User.email == applicant.email)
        seed_token = await create_api_token(user.id, name="seed")
        await add_file_and_co_applicant(client, {"Authorization": f"Bearer {seed_token}"})
        real = await real_parameters()
        operations = sorted((result.ok() for result in schema.get_all_operations()),
                            key=lambda op: ((op.method.upper(), op.path) in LAST, ORDER.index(op.method.upper()),
                                            op.path))
        # Derandomised, so each identity gets the same requests: generated once.
        positive = [(op, generate(op, GenerationMode.POSITIVE, MAX_EXAMPLES, real)) for op in operations]
        negative = [(op, generate(op, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, real)) for op in operations]
        generation_cpu = time.process_time() - cpu_started
        runs = [(identity, "positive", positive) for identity in IDENTITIES]
        runs += [(identity, "negative", negative) for identity in NEGATIVE_IDENTITIES]
        report = []
        for identity, mode, generated in runs:
            account = next((a for a in DEMO_ACCOUNTS if a.role == identity), None)

            async def renew(account=account) -> dict[str, str]:
                user = await User.objects().get(User.email == account.email)
                return {"Authorization": f"Bearer {await create_api_token(user.id, name='schemathesis')}"}

            headers = await renew() if account else {}
            report.append((f"{identity}, {mode}", await run_schemathesis(client, generated, headers, renew)))
    with capsys.disabled():
        for identity, figures in report:
            print(f"\nschemathesis [{identity}]: {figures.operations} operations, {figures.cases} cases, "
                  f"statuses {dict(sorted(figures.statuses.items()))}, failures {dict(figures.failures) or 0}")
        never = sorted({f"{op.method.upper()} {op.path}" for op in operations}
                       - set().union(*(figures.succeeded for _, figures in report)))
        print(f"schemathesis: never answered 2xx: {', '.join(never) or 'none'}")
        print(f"schemathesis: {MAX_EXAMPLES} positive / {NEGATIVE_EXAMPLES} negative examples per operation at "
              f"most, {time.monotonic() - started:.0f} s "
              f"({time.process_time() - cpu_started:.0f} s of CPU, {generation_cpu:.0f} s of it generating)")
    for identity, figures in report:
        assert figures.operations >= 40, identity
        assert figures.cases >= figures.operations / 2, identity
    assert not any(figures.failures for _, figures in report), "\n".join(
        f"[{identity}] {example}" for identity, figures in report for example in figures.examples)


# The document itself: what the audit found false, checked directly.

def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in {"get", "post", "put", "patch", "delete"}]


async def test_schema_documents_our_error_body_and_no_other(client):
    document = (await client.get("/schema/openapi.json")).json()
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "errors"] and set(error["properties"]) == {"detail", "errors"}
    assert document["components"]["schemas"]["FieldError"]["required"] == ["field", "message"]
    assert '"status_code"' not in json.dumps(document)  # Litestar's own error body is gone
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400 and "application/json" in response.get("content", {}):
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, \
                    (method, path, status)


async def test_schema_declares_the_statuses_guards_and_rules_give(client):
    document = (await client.get("/schema/openapi.json")).json()
    for method, path, operation in _operations(document):
        assert "401" in operation["responses"], (method, path)  # a bad token is refused on any path
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        if path.startswith("/api/") and method != "GET":
            assert "403" in operation["responses"], (method, path)  # CSRF for a session
    statuses = {(m, p): set(op["responses"]) for m, p, op in _operations(document)}
    assert {"401", "403", "404", "409", "422"} <= statuses[("POST", "/api/v1/applications/{application_id}/submit")]
    assert {"403", "404", "409", "429"} <= statuses[("POST", "/api/v1/projects/{slug}/harvest")]
    assert {"403", "422"} <= statuses[("GET", "/api/v1/assignments")]
    assert "403" not in statuses[("GET", "/api/v1/me")] and "404" not in statuses[("GET", "/api/v1/me")]
    harvest = document["paths"]["/api/v1/projects/{slug}/harvest"]["post"]["responses"]["429"]
    assert harvest["headers"]["Retry-After"]["required"] is True
    assert document["paths"]["/api/v1/calls"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/api/v1/projects"]["get"]


async def test_schema_media_types_are_the_ones_served(client):
    document = (await client.get("/schema/openapi.json")).json()

    def content(path: str, status: str = "200") -> set[str]:
        return set(document["paths"][path]["get"]["responses"][status]["content"])

    assert content("/exports/projects.csv") == {"text/csv"}
    assert content("/feeds/releases.atom") == {"application/atom+xml"}
    assert content("/projects/{slug}/releases.atom") == {"application/atom+xml"}
    assert content("/projects/{slug}/codemeta.json") == {"application/ld+json"}
    assert content("/api/v1/applications/{application_id}/attachments/{attachment_id}") == {"application/pdf"}
    assert content("/projects/{slug}/releases.atom", "404") == {"text/html"}  # an error page outside /api/
    assert content("/projects/{slug}/spdx.json", "503") == {"application/json"}
    upload = document["paths"]["/api/v1/applications/{application_id}/attachments"]["post"]["requestBody"]
    assert upload["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    projects = {p["name"] for p in document["paths"]["/api/v1/projects"]["get"]["parameters"]}
    assert {"q", "label", "licence", "compliant", "sort", "page", "per_page"} <= projects
    served = await client.get("/exports/projects.csv")
    assert served.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("path", ["/api/v1/calls", "/api/v1/applications", "/api/v1/assignments"])
async def test_a_page_beyond_the_last_is_refused_not_a_server_error(client, make_user, api_token, path):
    headers = await api_token(await make_user("manager", "reviewer", "applicant"))
    response = await client.get(path, params={"page": 10**22}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "page", "message": "La page ne dépasse pas 100 000."}]
    assert (await client.get(path, params={"page": 100_000}, headers=headers)).status_code == 200
