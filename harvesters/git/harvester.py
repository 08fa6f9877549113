"""Plain Git over https: `git ls-remote` for the cheap check, a shallow fetch when HEAD moved."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import tempfile
from typing import Any

from registry.harvest.records import (
    HarvestResult,
    Outcome,
    ReleaseRecord,
    RepositoryRecord,
    RepositoryTarget,
)
from registry.harvest.urls import UnsafeRepositoryURL, check_repository_url

from ..base import Harvester
from ..content import assemble_files, files_to_fetch, interesting_files, parse_time
from ..errors import HarvestError, RepositoryGone, times
from .refs import RemoteRefs, parse_ls_remote

_GONE_HINTS = ("not found", " 404", " 410", "does not appear to be a git repository")


class GitHarvester(Harvester):
    forge = "git"
    label = "Git"

    def collect(self, target: RepositoryTarget, *, full: bool) -> HarvestResult:
        url = self._safe_url(target.url)
        state: dict[str, Any] = dict(target.validators)
        refs = self._ls_remote(url)
        known_head = state.get("head")
        known_tags: dict[str, str] = state.get("tags", {})
        if refs.head == known_head and refs.tags == known_tags and not full:
            return HarvestResult(Outcome.UNCHANGED, validators=state)
        record = RepositoryRecord(default_branch=refs.default_branch, head_sha=refs.head)
        new_tags = {t: sha for t, sha in refs.tags.items() if not target.known_tags.get(t)}
        if refs.head and (refs.head != known_head or new_tags or not state.get("blobs")):
            with tempfile.TemporaryDirectory(prefix="ami-git-") as workdir:
                self._fetch(url, workdir, refs, new_tags)
                record.last_push_at = parse_time(self._git(workdir, "log", "-1", "--format=%cI", "ami/head").strip())
                if refs.head != known_head or not state.get("blobs"):
                    self._read_files(workdir, record, state)
                web = target.url.removesuffix(".git")
                record.tag_releases = [
                    ReleaseRecord(
                        tag=tag, name=tag, commit_sha=sha, from_tag_only=True, url=web,
                        published_at=parse_time(self._git(workdir, "log", "-1", "--format=%cI", sha).strip()),
                    )
                    for tag, sha in sorted(new_tags.items())
                ]
        state["head"] = refs.head
        state["tags"] = refs.tags
        return HarvestResult(Outcome.CHANGED, record=record, validators=state)

    def _safe_url(self, url: str) -> str:
        try:
            parsed = check_repository_url(url, allowed_hosts=self.config.allowed_hosts(),
                                          allow_loopback=self.config.allow_loopback)
        except UnsafeRepositoryURL as error:
            raise HarvestError(f"adresse refusée : {error.detail}") from None
        if not self.config.allow_loopback:
            # The name may resolve to a private address even when it does not look like one.
            try:
                infos = socket.getaddrinfo(parsed.host, 443, proto=socket.IPPROTO_TCP)
            except OSError:
                raise HarvestError(f"l'hôte « {parsed.host} » est introuvable (DNS)") from None
            if any(not ipaddress.ip_address(info[4][0]).is_global for info in infos):
                raise HarvestError(f"adresse refusée : « {parsed.host} » mène à une adresse privée")
        return url

    def _environment(self) -> dict[str, str]:
        return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true",
                "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}

    def _options(self) -> list[str]:
        allowed = "always" if self.config.allow_loopback else "never"
        return ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always",
                "-c", f"protocol.http.allow={allowed}", "-c", "http.followRedirects=false",
                "-c", "http.lowSpeedLimit=1000",
                "-c", f"http.lowSpeedTime={int(max(self.config.timeout_seconds, 1))}"]

    def _network(self, args: list[str], *, cwd: str | None = None) -> str:
        """One git command that talks to the remote: retried like an HTTP request."""
        attempt = 0
        while True:
            attempt += 1
            self.stats.count(None, rate_limited=False)
            try:
                done = subprocess.run(
                    [self.config.git_binary, *self._options(), *args], cwd=cwd,
                    capture_output=True, text=True, env=self._environment(),
                    timeout=self.config.timeout_seconds * 3,
                )
            except subprocess.TimeoutExpired:
                problem = "le serveur Git n'a pas répondu à temps"
            else:
                if done.returncode == 0:
                    return done.stdout
                message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
                lowered = done.stderr.lower()
                if any(hint in lowered for hint in _GONE_HINTS):
                    raise RepositoryGone("le dépôt Git est introuvable ; données conservées")
                problem = f"le serveur Git a refusé la requête ({message[:160]})"
                if "refused" in lowered:
                    problem = "connexion au serveur Git impossible (connexion refusée)"
            if attempt >= self.config.max_attempts:
                raise HarvestError(f"{problem} {times(attempt)}")
            self.backoff(attempt)

    def _ls_remote(self, url: str) -> RemoteRefs:
        refs = parse_ls_remote(self._network(["ls-remote", "--symref", url, "HEAD", "refs/tags/*"]))
        if not refs.head and not refs.tags:
            refs = RemoteRefs(default_branch=refs.default_branch, head="", tags={})
        return refs

    def _fetch(self, url: str, workdir: str, refs: RemoteRefs, new_tags: dict[str, str]) -> None:
        self._git(workdir, "init", "-q", "--bare", ".")
        refspecs = ["HEAD:refs/remotes/ami/head"]
        refspecs += [f"refs/tags/{tag}:refs/tags/{tag}" for tag in sorted(new_tags)]
        self._network(["fetch", "-q", "--depth=1", "--no-tags", url, *refspecs], cwd=workdir)

    def _git(self, workdir: str, *args: str) -> str:
        done = subprocess.run([self.config.git_binary, *args], cwd=workdir, capture_output=True,
                              text=True, env=self._environment(), timeout=60)
        if done.returncode != 0:
            raise HarvestError(f"lecture du dépôt Git impossible ({done.stderr.strip()[:160]})")
        return done.stdout

    def _read_files(self, workdir: str, record: RepositoryRecord, state: dict[str, Any]) -> None:
        entries: dict[str, str] = {}
        for line in self._git(workdir, "ls-tree", "ami/head").splitlines():
            meta, _, name = line.partition("\t")
            mode, kind, sha = meta.split()
            if kind == "blob":
                entries[name] = sha
        known: dict[str, str] = state.get("blobs", {})
        fetched = {
            name: self._git(workdir, "cat-file", "blob", entries[name])
            for name in files_to_fetch(entries, known, everything=False)
        }
        for key, value in assemble_files(entries, known, fetched).items():
            setattr(record, key, value)
        state["blobs"] = {n: entries[n] for n in interesting_files(sorted(entries))}
