"""Real Git repositories served over `git http-backend` (CGI) on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BACKEND = "/usr/lib/git-core/git-http-backend"
ENV = {"GIT_AUTHOR_NAME": "HDH", "GIT_AUTHOR_EMAIL": "hdh@example.org",
       "GIT_COMMITTER_NAME": "HDH", "GIT_COMMITTER_EMAIL": "hdh@example.org"}


def git(cwd: Path, *args: str, date: str = "2026-01-10T09:00:00+00:00") -> str:
    env = {**os.environ, **ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


class GitServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, lower-case headers)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.cgi(self)

            def do_POST(self) -> None:  # noqa: N802
                server.cgi(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, name: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{name}.git"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def create(self, name: str, files: dict[str, str], *, date: str = "2026-01-10T09:00:00+00:00") -> Path:
        work = self.root / f"{name}-work"
        work.mkdir()
        git(work, "init", "-q", "-b", "main")
        self.commit(work, files, "initial", date=date)
        git(self.root, "clone", "-q", "--bare", str(work), f"{name}.git")
        git(work, "remote", "add", "origin", str(self.root / f"{name}.git"))
        return work

    def commit(self, work: Path, files: dict[str, str], message: str, *,
               date: str = "2026-01-10T09:00:00+00:00") -> str:
        for path, text in files.items():
            (work / path).write_text(text)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", message, date=date)
        return git(work, "rev-parse", "HEAD")

    def cgi(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        self.requests.append((request.path, {k.lower(): v for k, v in request.headers.items()}))
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        env = {
            "GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
            "REQUEST_METHOD": request.command, "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": request.headers.get("Git-Protocol", ""), "PATH": os.environ["PATH"],
        }
        if request.headers.get("Content-Encoding") == "gzip":
            env["HTTP_CONTENT_ENCODING"] = "gzip"
        done = subprocess.run([BACKEND], input=body, capture_output=True, env=env)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        request.send_response(status)
        for key, value in headers:
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
