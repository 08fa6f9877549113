"""GitLab (gitlab.com and any configured host) through python-gitlab's configured session.

python-gitlab's `http_request` raises on 304 and drops the headers of error responses
(Retry-After, RateLimit-Reset), so requests go through the session it builds.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import gitlab

from registry.harvest.records import HarvestResult, Outcome, RepositoryRecord, RepositoryTarget
from registry.harvest.urls import check_repository_url

from ..config import HarvestConfig
from ..content import assemble_files, decode_text, files_to_fetch, interesting_files
from ..errors import N_, NotFound, RepositoryGone
from ..http import HttpForgeHarvester, RawResponse
from ..stats import RequestStats
from ..transport import guarded_session
from . import mapping


class GitLabHarvester(HttpForgeHarvester):
    forge = "gitlab"
    label = "GitLab"

    def __init__(self, config: HarvestConfig, stats: RequestStats, *, host: str) -> None:
        self.label = f"GitLab ({host})"
        super().__init__(config, stats, api_url=config.gitlab_api_url(host))
        self.host = host
        self.token = config.gitlab_tokens.get(host, "")
        self._local = threading.local()

    def _client(self) -> gitlab.Gitlab:
        client = getattr(self._local, "client", None)
        if client is None:
            client = gitlab.Gitlab(
                url=self.api_url.removesuffix("/api/v4"),
                private_token=self.token or None,
                timeout=self.config.timeout_seconds,
                retry_transient_errors=False,
                per_page=100,
                # Pinned, checked addresses; no redirect to another host (PRIVATE-TOKEN).
                session=guarded_session(allow_loopback=self.config.allow_loopback),
            )
            self._local.client = client
        return client

    def send(self, url: str, headers: dict[str, str]) -> RawResponse:
        client = self._client()
        all_headers = {**client.headers, **headers}
        if self.token:
            all_headers["PRIVATE-TOKEN"] = self.token
        response = client.session.get(url, headers=all_headers, timeout=client.timeout)
        return RawResponse(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                           response.text)

    def collect(self, target: RepositoryTarget, *, full: bool) -> HarvestResult:
        state: dict[str, Any] = dict(target.validators)
        path = check_repository_url(target.url, allow_loopback=self.config.allow_loopback).path
        known_path = target.full_name or path
        project_ref = target.forge_id or quote(known_path, safe="")
        try:
            project = self.get(f"/projects/{project_ref}?license=true", state=state,
                               resource="project")
        except NotFound as missing:
            raise RepositoryGone(N_("le projet n'existe plus sur %(forge)s (%(status)s) ; données conservées")
                                 % {"forge": self.label, "status": missing.status}) from None
        if project.not_modified and not full:
            return HarvestResult(Outcome.UNCHANGED, validators=state)
        record = (mapping.map_project(project.data, forge=self.label)
                  if not project.not_modified else RepositoryRecord())
        if record.full_name is None or record.full_name.lower() == known_path.lower():
            record.url = None
        active = record.last_push_at is not None and record.last_push_at != target.last_push_at
        if not (active or full or not target.full_name):
            return HarvestResult(Outcome.CHANGED, record=record, validators=state)
        base = f"/projects/{record.forge_id or project_ref}"
        web_url = (record.url or target.url).removesuffix(".git")
        self._collect_details(base, record, target, state, web_url=web_url)
        return HarvestResult(Outcome.CHANGED, record=record, validators=state)

    def _collect_details(self, base: str, record: RepositoryRecord, target: RepositoryTarget,
                         state: dict[str, Any], *, web_url: str) -> None:
        languages = self.get(f"{base}/languages", state=state, resource="languages")
        if not languages.not_modified:
            record.languages = mapping.map_languages(languages.data, forge=self.label)
        releases = self.get_list(f"{base}/releases?per_page=100", state=state,
                                 resource="releases", what=N_("versions"))
        if releases is not None:
            record.releases = [mapping.map_release(p, forge=self.label) for p in releases]
        tags = self.get_list(f"{base}/repository/tags?per_page=100", state=state,
                             resource="tags", what=N_("étiquettes"))
        if tags is not None:
            record.tag_releases = [mapping.map_tag(t, web_url=web_url, forge=self.label) for t in tags]
        branch = record.default_branch or target.default_branch
        if not branch:
            return  # an empty project has no branch yet
        head = self.get(f"{base}/repository/branches/{quote(branch, safe='')}", state=state,
                        resource="branch")
        if head.not_modified:
            return
        record.head_sha = mapping.map_branch_head(head.data, forge=self.label)
        if record.head_sha == target.head_sha and state.get("blobs"):
            return
        tree = self.get(f"{base}/repository/tree?ref={quote(branch, safe='')}&per_page=100")
        entries = mapping.map_tree(tree.data, forge=self.label)
        record.files = sorted(entries)  # root files: `file` milestones at the root
        known: dict[str, str] = state.get("blobs", {})
        fetched: dict[str, str] = {}
        for name in files_to_fetch(entries, known, everything=False):
            try:
                raw = self.get(f"{base}/repository/blobs/{entries[name]}/raw", raw=True).data
            except NotFound:
                continue
            fetched[name] = decode_text(raw.encode("utf-8"))
        for key, value in assemble_files(entries, known, fetched).items():
            setattr(record, key, value)
        state["blobs"] = {n: entries[n] for n in interesting_files(sorted(entries))}
