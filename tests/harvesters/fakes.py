"""Local fake GitHub and GitLab: real HTTP on 127.0.0.1, payloads shaped like the real APIs.

ETags and 304, rate-limit headers, Link pagination, 301 moves, redirects and faults on demand;
every request's headers are kept (`request_headers`), so a test can tell which credentials arrived.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit


@dataclass
class FakeRepo:
    owner: str
    name: str
    id: int
    description: str = "Pseudonymisation des données de santé"
    topics: list[str] = field(default_factory=lambda: ["sante", "open-source"])
    stars: int = 12
    forks: int = 3
    archived: bool = False
    default_branch: str = "main"
    pushed_at: str = "2026-01-10T09:00:00Z"
    licence: str = "MIT"
    languages: dict[str, int] = field(default_factory=lambda: {"Python": 12000, "Shell": 300})
    head: str = "a" * 40
    # (tag, commit sha, commit date, release or None: {name, body, published_at})
    tags: list[tuple[str, str, str, dict[str, str] | None]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    src_sha: str = "d" * 40  # the src/ tree: changes with every push that touches code

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Fault:
    pattern: str  # regex on the path (query included)
    kind: str  # status:502 | timeout | malformed | missing:<field> | exhausted | secondary | drop
    times: int = 1_000_000


@dataclass
class Redirect:
    pattern: str  # regex on the path (query included)
    location: str | Callable[[str], str]  # or a function of the requested path
    status: int = 302
    times: int = 1_000_000


@dataclass
class Gate:
    """Holds the first request whose path matches until `release` is set (a run caught mid-way)."""
    pattern: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeForge:
    """A threaded HTTP server; subclasses route paths to payloads."""

    rate_prefix = "X-RateLimit-"

    def __init__(self, *, latency: float = 0.0, limit: int = 5000) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.moved: dict[str, str] = {}  # old full name -> new full name
        self.faults: list[Fault] = []
        self.gates: list[Gate] = []
        self.redirects: list[Redirect] = []
        self.request_headers: list[tuple[str, dict[str, str]]] = []  # (path, lower-case headers)
        self.latency = latency
        self.limit = limit
        self.remaining = limit
        self.reset_at = int(time.time()) + 3600
        self.log: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.timeout_sleep = 2.0
        forge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                forge.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeForge:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name] = repo
        return repo

    def fault(self, pattern: str, kind: str, times: int = 1_000_000) -> None:
        self.faults.append(Fault(pattern, kind, times))

    def redirect(self, pattern: str, location: str | Callable[[str], str], status: int = 302,
                 times: int = 1_000_000) -> None:
        self.redirects.append(Redirect(pattern, location, status, times))

    def _take_redirect(self, path: str) -> tuple[int, str] | None:
        with self.lock:
            for redirect in self.redirects:
                if redirect.times > 0 and re.search(redirect.pattern, path):
                    redirect.times -= 1
                    location = redirect.location
                    return redirect.status, location(path) if callable(location) else location
        return None

    def hold(self, pattern: str) -> Gate:
        gate = Gate(pattern)
        self.gates.append(gate)
        return gate

    def paths(self) -> list[str]:
        return [p for p, _ in self.log]

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.pattern, path):
                    fault.times -= 1
                    return fault
        return None

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        path = request.path
        with self.lock:
            self.request_headers.append((path, {k.lower(): v for k, v in request.headers.items()}))
            gate = next((g for g in self.gates if not g.arrived.is_set() and re.search(g.pattern, path)), None)
            if gate is not None:
                gate.arrived.set()
        if gate is not None:
            gate.release.wait(30)
        redirect = self._take_redirect(path)
        if redirect is not None:
            status, location = redirect
            # A session cookie too: it must not follow the redirect either.
            return self._send(request, status, {"message": "Moved"},
                              {"Location": location, "Set-Cookie": "forge_session=s3cr3t; Path=/"}, path)
        fault = self._take_fault(path)
        headers: dict[str, str] = {}
        if fault and fault.kind == "timeout":
            time.sleep(self.timeout_sleep)
        if fault and fault.kind == "drop":
            request.close_connection = True
            request.connection.close()
            return
        if self.remaining <= 0 or (fault and fault.kind == "exhausted"):
            self.remaining = 0
            return self._send(request, 403, {"message": "API rate limit exceeded"}, {}, path)
        if fault and fault.kind == "secondary":
            body = {"message": "You have exceeded a secondary rate limit."}
            return self._send(request, 403, body, {"Retry-After": "3600"}, path)
        if fault and fault.kind.startswith("status:"):
            status = int(fault.kind.split(":")[1])
            extra = {"Retry-After": "0"} if status == 429 else {}
            return self._send(request, status, {"message": "Server Error"}, extra, path)
        parts = urlsplit(path)
        status, payload, headers = self.route(parts.path, parse_qs(parts.query))
        if fault and fault.kind.startswith("missing:") and isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k != fault.kind.split(":")[1]}
        body = (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        if fault and fault.kind == "malformed":
            body = b'{"id": 1, "full_name": '
        if status == 200:
            etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return self._send(request, 304, b"", headers, path)
        self._send(request, status, body, headers, path)

    def _send(self, request: BaseHTTPRequestHandler, status: int, body: Any,
              headers: dict[str, str], path: str) -> None:
        with self.lock:
            if status != 304 and self.remaining > 0:
                self.remaining -= 1
            self.log.append((path, status))
            remaining = self.remaining
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.send_header(f"{self.rate_prefix}Limit", str(self.limit))
        request.send_header(f"{self.rate_prefix}Remaining", str(remaining))
        request.send_header(f"{self.rate_prefix}Reset", str(self.reset_at))
        for key, value in headers.items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    def paginate(self, items: list[Any], query: dict[str, list[str]], path: str,
                 ) -> tuple[int, Any, dict[str, str]]:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = (f'<{self.base}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
        return 200, chunk, headers


class FakeGitHub(FakeForge):
    def repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        api = f"{self.base}/repos/{repo.full_name}"
        return {
            "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name,
            "full_name": repo.full_name, "private": False,
            "owner": {"login": repo.owner, "id": repo.id * 7, "type": "Organization"},
            "html_url": f"https://github.com/{repo.full_name}",
            "description": repo.description, "fork": False, "url": api,
            "homepage": f"https://{repo.name}.example.org", "size": 1024,
            "stargazers_count": repo.stars, "watchers_count": repo.stars,
            "language": next(iter(repo.languages), None), "forks_count": repo.forks,
            "archived": repo.archived, "disabled": False, "open_issues_count": 2,
            "license": {"key": repo.licence.lower(), "name": repo.licence,
                        "spdx_id": repo.licence, "url": None} if repo.licence else None,
            "topics": repo.topics, "visibility": "public", "default_branch": repo.default_branch,
            "created_at": "2025-05-01T10:00:00Z", "updated_at": repo.pushed_at,
            "pushed_at": repo.pushed_at,
        }

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        match = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if match:
            repo = next((r for r in self.repos.values() if r.id == int(match.group(1))), None)
        else:
            match = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", path)
            if not match:
                return 404, {"message": "Not Found"}, {}
            name = unquote(match.group(1))
            if name in self.moved:
                target = self.repos[self.moved[name]]
                location = f"{self.base}/repositories/{target.id}{match.group(2) or ''}"
                return 301, {"message": "Moved Permanently", "url": location}, {"Location": location}
            repo = self.repos.get(name)
        if repo is None:
            return 404, {"message": "Not Found",
                         "documentation_url": "https://docs.github.com/rest"}, {}
        rest = match.group(2) or ""
        if rest == "":
            return 200, self.repo_json(repo), {}
        if rest == "/languages":
            return 200, repo.languages, {}
        if rest == "/tags":
            items = [{"name": t, "commit": {"sha": sha, "url": ""}, "zipball_url": "",
                      "tarball_url": "", "node_id": ""} for t, sha, _, _ in reversed(repo.tags)]
            return self.paginate(items, query, path)
        if rest == "/releases":
            items = [{"id": i, "tag_name": t, "name": rel["name"], "body": rel["body"],
                      "draft": False, "prerelease": False, "target_commitish": repo.default_branch,
                      "created_at": rel["published_at"], "published_at": rel["published_at"],
                      "html_url": f"https://github.com/{repo.full_name}/releases/tag/{t}"}
                     for i, (t, _, _, rel) in enumerate(reversed(repo.tags)) if rel]
            return self.paginate(items, query, path)
        if rest.startswith("/commits/"):
            sha = rest.split("/")[-1]
            date = next((d for _, s, d, _ in repo.tags if s == sha), None)
            if date is None:
                return 404, {"message": "No commit found"}, {}
            return 200, {"sha": sha, "commit": {"committer": {"name": "x", "date": date},
                                                "author": {"name": "x", "date": date}}}, {}
        if rest == "/contents/":
            return 200, [{"name": n, "path": n, "sha": blob_sha(t), "size": len(t), "type": "file"}
                         for n, t in sorted(repo.files.items())] + [
                {"name": "src", "path": "src", "sha": repo.src_sha, "size": 0, "type": "dir"}], {}
        if rest.startswith("/contents/"):
            name = unquote(rest[len("/contents/"):])
            if name not in repo.files:
                return 404, {"message": "Not Found"}, {}
            text = repo.files[name]
            return 200, {"name": name, "path": name, "sha": blob_sha(text), "type": "file",
                         "encoding": "base64",
                         "content": base64.encodebytes(text.encode()).decode()}, {}
        return 404, {"message": "Not Found"}, {}


class FakeGitLab(FakeForge):
    rate_prefix = "RateLimit-"

    def project_json(self, repo: FakeRepo) -> dict[str, Any]:
        return {
            "id": repo.id, "description": repo.description, "name": repo.name,
            "path": repo.name, "path_with_namespace": repo.full_name,
            "default_branch": repo.default_branch, "topics": repo.topics, "tag_list": repo.topics,
            "web_url": f"https://gitlab.com/{repo.full_name}",
            "http_url_to_repo": f"https://gitlab.com/{repo.full_name}.git",
            "star_count": repo.stars, "forks_count": repo.forks, "archived": repo.archived,
            "last_activity_at": repo.pushed_at, "created_at": "2025-05-01T10:00:00.000Z",
            "visibility": "public",
            "license": {"key": repo.licence.lower(), "name": repo.licence,
                        "nickname": None} if repo.licence else None,
        }

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        match = re.match(r"^/api/v4/projects/([^/]+)(/.*)?$", path)
        if not match:
            return 404, {"message": "404 Not Found"}, {}
        ref = unquote(match.group(1))
        if ref.isdigit():
            repo = next((r for r in self.repos.values() if r.id == int(ref)), None)
        else:
            repo = self.repos.get(self.moved.get(ref, ref))
        if repo is None:
            return 404, {"message": "404 Project Not Found"}, {}
        rest = match.group(2) or ""
        if rest == "":
            return 200, self.project_json(repo), {}
        if rest == "/languages":
            total = sum(repo.languages.values()) or 1
            return 200, {k: round(v * 100 / total, 2) for k, v in repo.languages.items()}, {}
        if rest == "/releases":
            items = [{"tag_name": t, "name": rel["name"], "description": rel["body"],
                      "created_at": rel["published_at"], "released_at": rel["published_at"],
                      "commit": {"id": sha},
                      "_links": {"self": f"https://gitlab.com/{repo.full_name}/-/releases/{t}"}}
                     for t, sha, _, rel in reversed(repo.tags) if rel]
            return self.paginate(items, query, path)
        if rest == "/repository/tags":
            items = [{"name": t, "message": "", "target": sha,
                      "commit": {"id": sha, "committed_date": d, "created_at": d},
                      "release": None} for t, sha, d, _ in reversed(repo.tags)]
            return self.paginate(items, query, path)
        if rest.startswith("/repository/branches/"):
            branch = unquote(rest.split("/")[-1])
            if branch != repo.default_branch:
                return 404, {"message": "404 Branch Not Found"}, {}
            return 200, {"name": branch, "default": True,
                         "commit": {"id": repo.head, "committed_date": repo.pushed_at}}, {}
        if rest == "/repository/tree":
            return 200, [{"id": blob_sha(t), "name": n, "type": "blob", "path": n, "mode": "100644"}
                         for n, t in sorted(repo.files.items())], {}
        match = re.match(r"^/repository/blobs/([0-9a-f]+)/raw$", rest)
        if match:
            text = next((t for t in repo.files.values() if blob_sha(t) == match.group(1)), None)
            if text is None:
                return 404, {"message": "404 Blob Not Found"}, {}
            return 200, text.encode(), {}
        return 404, {"message": "404 Not Found"}, {}


def encoded(full_name: str) -> str:
    return quote(full_name, safe="")
