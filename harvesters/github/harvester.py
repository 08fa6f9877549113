"""GitHub through PyGithub's low-level requester (it alone lets us send validators)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote, urlsplit

from github import Auth, Github
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

from registry.harvest.records import HarvestResult, Outcome, RepositoryRecord, RepositoryTarget
from registry.harvest.urls import check_repository_url

from ..config import HarvestConfig
from ..content import assemble_files, files_to_fetch, interesting_files
from ..errors import N_, NotFound, RepositoryGone
from ..http import HttpForgeHarvester, RawResponse
from ..stats import RequestStats
from ..transport import GuardedAdapter
from . import mapping


def _guard_connections(client: Github, api_url: str, *, allow_loopback: bool) -> None:
    """Make the client's connections GuardedAdapter ones (pinned addresses, no redirect to
    another host with the token).

    PyGithub offers only a process-wide hook (`Requester.injectConnectionClasses`, which also
    stops connection reuse), so the class is set on this client's requester; fail closed if a
    PyGithub upgrade renames it.
    """
    https = urlsplit(api_url).scheme == "https"
    base = HTTPSRequestsConnectionClass if https else HTTPRequestsConnectionClass

    class GuardedConnection(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.adapter = GuardedAdapter(allow_loopback=allow_loopback, max_retries=self.retry,
                                          pool_connections=self.pool_size, pool_maxsize=self.pool_size)
            self.session.mount(f"{self.protocol}://", self.adapter)

    requester = client.requester
    if not hasattr(requester, "_Requester__connectionClass"):
        raise RuntimeError("PyGithub's Requester no longer has __connectionClass: update _guard_connections")
    requester._Requester__connectionClass = GuardedConnection  # type: ignore[attr-defined]


class GitHubHarvester(HttpForgeHarvester):
    forge = "github"
    label = "GitHub"

    def __init__(self, config: HarvestConfig, stats: RequestStats) -> None:
        super().__init__(config, stats, api_url=config.github_api_url)
        self._local = threading.local()

    def _client(self) -> Github:
        # One client per worker thread: PyGithub's requester keeps per-connection state.
        client = getattr(self._local, "client", None)
        if client is None:
            client = Github(
                base_url=self.api_url,
                auth=Auth.Token(self.config.github_token) if self.config.github_token else None,
                timeout=int(max(self.config.timeout_seconds, 1)),
                per_page=100,
                # Our loop owns retries and rate-limit waits (bounded by max_wait_seconds).
                retry=None,
                seconds_between_requests=self.config.seconds_between_requests,
                seconds_between_writes=None,
            )
            _guard_connections(client, self.api_url, allow_loopback=self.config.allow_loopback)
            self._local.client = client
        return client

    def send(self, url: str, headers: dict[str, str]) -> RawResponse:
        status, response_headers, body = self._client().requester.requestJson(
            "GET", url, headers=headers
        )
        return RawResponse(status, {k.lower(): v for k, v in response_headers.items()}, body or "")

    def collect(self, target: RepositoryTarget, *, full: bool) -> HarvestResult:
        state: dict[str, Any] = dict(target.validators)
        full_name = target.full_name or check_repository_url(
            target.url, allow_loopback=self.config.allow_loopback
        ).path
        base = f"/repos/{quote(full_name)}"
        try:
            repo = self.get(base, state=state, resource="repo")
        except NotFound as missing:
            raise RepositoryGone(N_("le dépôt n'existe plus sur GitHub (%(status)s) ; données conservées")
                                 % {"status": missing.status}) from None
        if repo.not_modified and not full:
            return HarvestResult(Outcome.UNCHANGED, validators=state)
        record = mapping.map_repository(repo.data) if not repo.not_modified else RepositoryRecord()
        if record.full_name is None or record.full_name.lower() == full_name.lower():
            record.url = None  # same place: keep the URL as the applicant wrote it
        pushed = (record.last_push_at is not None and record.last_push_at != target.last_push_at)
        if not (pushed or full or not target.full_name):
            return HarvestResult(Outcome.CHANGED, record=record, validators=state)
        base = f"/repos/{quote(record.full_name or full_name)}"
        self._collect_details(base, record, target, state, full=full)
        return HarvestResult(Outcome.CHANGED, record=record, validators=state)

    def _collect_details(self, base: str, record: RepositoryRecord, target: RepositoryTarget,
                         state: dict[str, Any], *, full: bool) -> None:
        languages = self.get(f"{base}/languages", state=state, resource="languages")
        if not languages.not_modified:
            record.languages = mapping.map_languages(languages.data)
        tags_page = self.get_list(f"{base}/tags?per_page=100", state=state, resource="tags",
                                  what=N_("étiquettes"))
        if tags_page is not None:
            state["tag_commits"] = mapping.map_tags(tags_page)
        tag_commits: dict[str, str] = state.get("tag_commits", {})
        releases_page = self.get_list(f"{base}/releases?per_page=100", state=state,
                                      resource="releases", what=N_("versions"))
        if releases_page is not None:
            releases = [mapping.map_release(p, tag_commits) for p in releases_page]
            record.releases = [r for r in releases if r is not None]
        if tags_page is not None or releases_page is not None:
            real = {r.tag for r in record.releases or []}
            record.tag_releases = self._tag_releases(base, tag_commits, real, target, record)
        self._collect_files(base, record, state, branch=record.default_branch or target.default_branch)

    def _tag_releases(self, base: str, tag_commits: dict[str, str], real: set[str],
                      target: RepositoryTarget, record: RepositoryRecord) -> list[Any]:
        html_url = record.url or target.url
        out = []
        lookups = 0
        for tag, sha in tag_commits.items():
            if target.known_tags.get(tag) or tag in real:
                continue
            date = None
            if lookups < self.config.max_tag_lookups:
                lookups += 1
                try:
                    date = mapping.map_commit_date(self.get(f"{base}/commits/{sha}").data)
                except NotFound:
                    date = None
            out.append(mapping.map_tag_release(tag, sha, date, html_url.removesuffix(".git")))
        return out

    def _collect_files(self, base: str, record: RepositoryRecord, state: dict[str, Any],
                       *, branch: str) -> None:
        try:
            listing = self.get(f"{base}/contents/?ref={quote(branch)}", state=state,
                               resource="contents")
        except NotFound:
            return  # an empty repository has no tree yet
        if listing.not_modified:
            return
        entries = mapping.map_root_entries(listing.data)
        record.files = sorted(entries)  # root files: `file` milestones at the root
        known: dict[str, str] = state.get("blobs", {})
        fetched: dict[str, str] = {}
        for name in files_to_fetch(entries, known, everything=False):
            try:
                payload = self.get(f"{base}/contents/{quote(name)}?ref={quote(branch)}").data
            except NotFound:
                continue
            fetched[name] = mapping.map_file_text(payload)
        for key, value in assemble_files(entries, known, fetched).items():
            setattr(record, key, value)
        state["blobs"] = {n: entries[n] for n in interesting_files(sorted(entries))}

