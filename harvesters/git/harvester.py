"""Plain Git over https: `git ls-remote` for the cheap check, a shallow fetch when HEAD moved."""

from __future__ import annotations

import os
import re
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
from registry.harvest.urls import (
    UnsafeRepositoryURL,
    check_repository_url,
    parse_ip_host,
    resolve_public_addresses,
)

from ..base import Harvester
from ..content import assemble_files, files_to_fetch, interesting_files, parse_time
from ..errors import N_, HarvestError, RepositoryGone, repeated
from .refs import RemoteRefs, parse_ls_remote

MAX_LISTED_FILES = 20000
_GONE_HINTS = ("not found", " 404", " 410", "does not appear to be a git repository")
_REDIRECT = re.compile(r"returned error: (30[1-8])\b")


class GitHarvester(Harvester):
    forge = "git"
    label = "Git"

    def collect(self, target: RepositoryTarget, *, full: bool) -> HarvestResult:
        url, pin = self._safe_url(target.url)
        state: dict[str, Any] = dict(target.validators)
        refs = self._ls_remote(url, pin)
        known_head = state.get("head")
        known_tags: dict[str, str] = state.get("tags", {})
        if refs.head == known_head and refs.tags == known_tags and not full:
            return HarvestResult(Outcome.UNCHANGED, validators=state)
        record = RepositoryRecord(default_branch=refs.default_branch, head_sha=refs.head)
        new_tags = {t: sha for t, sha in refs.tags.items() if not target.known_tags.get(t)}
        if refs.head and (refs.head != known_head or new_tags or not state.get("blobs")):
            with tempfile.TemporaryDirectory(prefix="ami-git-") as workdir:
                self._fetch(url, workdir, refs, new_tags, pin)
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

    def _safe_url(self, url: str) -> tuple[str, list[str]]:
        """The URL checked, and the git options that pin its host to the addresses checked.

        The host is resolved once here and every address must be public; `http.curloptResolve`
        makes git (curl) connect to those while keeping the name for the Host header, SNI and
        the certificate, so a DNS answer that changes between this check and git's connections
        (DNS rebinding) cannot send git to an internal address.
        """
        try:
            parsed = check_repository_url(url, allowed_hosts=self.config.allowed_hosts(),
                                          allow_loopback=self.config.allow_loopback)
        except UnsafeRepositoryURL as error:
            raise HarvestError(N_("adresse refusée : %(detail)s") % {"detail": error.detail}) from None
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = resolve_public_addresses(parsed.host, port, url=url,
                                                 allow_loopback=self.config.allow_loopback)
        except UnsafeRepositoryURL as error:
            raise HarvestError(N_("adresse refusée : %(detail)s") % {"detail": error.detail}) from None
        except OSError:
            raise HarvestError(N_("l'hôte « %(host)s » est introuvable (DNS)") % {"host": parsed.host}) from None
        if parse_ip_host(parsed.host) is not None:
            return url, []  # an address literal: nothing to resolve
        listed = ",".join(f"[{a}]" if a.version == 6 else str(a) for a in addresses)
        return url, ["-c", f"http.curloptResolve={parsed.host}:{port}:{listed}"]

    def _environment(self) -> dict[str, str]:
        # No system or user configuration (credential helpers, http.extraHeader, cookie files,
        # insteadOf rewrites…) and none passed through the environment: only _options().
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG")}
        return {**inherited, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}

    def _options(self) -> list[str]:
        allowed = "always" if self.config.allow_loopback else "never"
        # Redirects are never followed (not even the first one, git's default), so that
        # nothing reaches another host; no credentials of any kind are sent.
        return ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always",
                "-c", f"protocol.http.allow={allowed}", "-c", "http.followRedirects=false",
                "-c", "credential.helper=", "-c", "http.extraHeader=",
                "-c", "http.lowSpeedLimit=1000",
                "-c", f"http.lowSpeedTime={int(max(self.config.timeout_seconds, 1))}"]

    def _network(self, args: list[str], pin: list[str], *, cwd: str | None = None) -> str:
        """One git command that talks to the remote: retried like an HTTP request."""
        attempt = 0
        while True:
            attempt += 1
            self.stats.count(None, rate_limited=False)
            try:
                done = subprocess.run(
                    [self.config.git_binary, *self._options(), *pin, *args], cwd=cwd,
                    capture_output=True, text=True, env=self._environment(),
                    timeout=self.config.timeout_seconds * 3,
                )
            except subprocess.TimeoutExpired:
                problem = N_("le serveur Git n'a pas répondu à temps")
            else:
                if done.returncode == 0:
                    return done.stdout
                message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
                lowered = done.stderr.lower()
                if redirect := _REDIRECT.search(done.stderr):
                    raise HarvestError(N_("le serveur Git a répondu par une redirection (%(status)s) : "
                                          "redirection refusée, la collecte ne suit aucune redirection")
                                       % {"status": redirect.group(1)})
                if any(hint in lowered for hint in _GONE_HINTS):
                    raise RepositoryGone(N_("le dépôt Git est introuvable ; données conservées"))
                problem = N_("le serveur Git a refusé la requête (%(detail)s)") % {"detail": message[:160]}
                if "refused" in lowered:
                    problem = N_("connexion au serveur Git impossible (connexion refusée)")
            if attempt >= self.config.max_attempts:
                raise HarvestError(repeated(problem, attempt))
            self.backoff(attempt)

    def _ls_remote(self, url: str, pin: list[str]) -> RemoteRefs:
        refs = parse_ls_remote(self._network(["ls-remote", "--symref", url, "HEAD", "refs/tags/*"], pin))
        if not refs.head and not refs.tags:
            refs = RemoteRefs(default_branch=refs.default_branch, head="", tags={})
        return refs

    def _fetch(self, url: str, workdir: str, refs: RemoteRefs, new_tags: dict[str, str],
               pin: list[str]) -> None:
        self._git(workdir, "init", "-q", "--bare", ".")
        refspecs = ["HEAD:refs/remotes/ami/head"]
        refspecs += [f"refs/tags/{tag}:refs/tags/{tag}" for tag in sorted(new_tags)]
        self._network(["fetch", "-q", "--depth=1", "--no-tags", url, *refspecs], pin, cwd=workdir)

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
        # Every path of the default branch (the shallow fetch has the whole tree), for `file` milestones.
        names = self._git(workdir, "ls-tree", "-r", "--name-only", "ami/head").splitlines()
        record.files = sorted(names)[:MAX_LISTED_FILES]
        state["blobs"] = {n: entries[n] for n in interesting_files(sorted(entries))}
