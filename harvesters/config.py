from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class HarvestConfig:
    github_api_url: str = "https://api.github.com"
    github_token: str = ""
    gitlab_hosts: tuple[str, ...] = ("gitlab.com", "framagit.org")
    # host -> API base, overriding https://<host>/api/v4 (tests point it at a fake).
    gitlab_api_urls: dict[str, str] = field(default_factory=dict)
    gitlab_tokens: dict[str, str] = field(default_factory=dict)
    # Empty: any public host for plain Git; GitHub and GitLab hosts are always allowed.
    allowed_forge_hosts: tuple[str, ...] = ()
    allow_loopback: bool = False
    concurrency: int = 4
    timeout_seconds: float = 20.0
    # Attempts per request on 5xx, timeouts and refused connections.
    max_attempts: int = 3
    # First back-off pause; doubles at each attempt, with jitter.
    backoff_seconds: float = 1.0
    # Longest in-run pause for Retry-After; a longer one defers the repository instead.
    max_wait_seconds: float = 60.0
    # Requests kept in hand: below this remaining quota the forge is paused until its reset.
    rate_limit_reserve: int = 50
    # PyGithub's own pacing between requests (our loop already bounds concurrency).
    seconds_between_requests: float = 0.0
    check_interval: timedelta = timedelta(hours=1)
    full_interval: timedelta = timedelta(hours=24)
    # Tags without a release need one commit lookup each on GitHub; spread them over runs.
    max_tag_lookups: int = 20
    git_binary: str = "git"

    def gitlab_api_url(self, host: str) -> str:
        return self.gitlab_api_urls.get(host, f"https://{host}/api/v4").rstrip("/")

    def allowed_hosts(self) -> tuple[str, ...]:
        if not self.allowed_forge_hosts:
            return ()
        return ("github.com", *self.gitlab_hosts, *self.allowed_forge_hosts)
