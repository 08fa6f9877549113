"""Typed settings, read once from AMI_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from registry.db import PROJECT_ROOT, DatabaseTarget, DatabaseURLError, parse_database_url

DEVELOPMENT_SECRET = "dev-only-secret-key-change-me-in-production-0000"  # noqa: S105


class SettingsError(ValueError):
    """A bad setting: the message names the key and the value."""


def _bool(key: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{key}={raw!r}: expected on/off (or true/false, 1/0)")


def _int(key: str, raw: str, *, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise SettingsError(f"{key}={raw!r}: must be at least {minimum}")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


def _url(key: str, raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{key}={raw!r}: expected an http(s) URL")
    return raw.rstrip("/")


def _pairs(key: str, raw: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in _csv_keep_case(raw):
        host, sep, url = item.partition("=")
        if not sep or not host or not url:
            raise SettingsError(f"{key}={raw!r}: expected host=url pairs separated by commas")
        pairs[host.strip().lower()] = _url(key, url.strip())
    return pairs


def _csv_keep_case(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Settings:
    # Where the data lives: sqlite:///relative, sqlite:////absolute or postgresql://…
    database_url: str = ""
    database: DatabaseTarget = field(default_factory=lambda: parse_database_url(None))
    # Signs nothing secret by itself but feeds CSRF tokens; must be set in production.
    secret_key: str = DEVELOPMENT_SECRET
    production: bool = False
    # Public base URL, used in emails, feeds and SPDX namespaces.
    base_url: str = "http://127.0.0.1:8000"
    scheduler: bool = True
    # Empty: mails are written to var/outbox/ and listed on a staff page.
    smtp_url: str = ""
    mail_from: str = "AMI Health Data Hub <ne-pas-repondre@ami.health-data-hub.fr>"
    var_dir: Path = PROJECT_ROOT / "var"
    session_days: int = 14
    # Cookies marked Secure; on by default in production.
    secure_cookies: bool = False
    login_attempts_per_account: int = 5
    login_attempts_per_client: int = 20
    rate_limit_window_seconds: int = 900
    github_api_url: str = "https://api.github.com"
    github_token: str = ""
    gitlab_hosts: tuple[str, ...] = ("gitlab.com", "framagit.org")
    gitlab_api_urls: dict[str, str] = field(default_factory=dict)
    # host=token pairs, optional.
    gitlab_tokens: dict[str, str] = field(default_factory=dict)
    allowed_forge_hosts: tuple[str, ...] = ()
    # Test-only: lets forges on 127.0.0.1 through the URL checks.
    allow_loopback_forges: bool = False
    harvest_concurrency: int = 4
    attachment_max_bytes: int = 20 * 1024 * 1024

    def public(self) -> dict[str, Any]:
        hidden = {"secret_key", "github_token", "gitlab_tokens", "smtp_url"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}


def load_settings(environ: dict[str, str] | None = None, *, env_file: Path | None = None) -> Settings:
    env: dict[str, str] = {}
    dotenv = env_file if env_file is not None else Path.cwd() / ".env"
    if dotenv.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    def get(key: str) -> str | None:
        return env.get(f"AMI_{key}")

    values: dict[str, Any] = {}
    production = _bool("AMI_PRODUCTION", get("PRODUCTION") or "off")
    values["production"] = production
    if (raw := get("DATABASE_URL")) is not None:
        try:
            values["database"] = parse_database_url(raw)
        except DatabaseURLError as error:
            raise SettingsError(str(error)) from None
        values["database_url"] = raw
    secret = get("SECRET_KEY")
    if secret:
        if len(secret) < 32:
            raise SettingsError("AMI_SECRET_KEY=<hidden>: must be at least 32 characters long")
        values["secret_key"] = secret
    elif production:
        raise SettingsError("AMI_SECRET_KEY is empty: it is required when AMI_PRODUCTION=on")
    if (raw := get("BASE_URL")) is not None:
        values["base_url"] = _url("AMI_BASE_URL", raw)
    if (raw := get("SCHEDULER")) is not None:
        values["scheduler"] = _bool("AMI_SCHEDULER", raw)
    if (raw := get("SMTP_URL")) is not None:
        if raw and not raw.startswith(("smtp://", "smtps://")):
            raise SettingsError(f"AMI_SMTP_URL={raw!r}: expected smtp://host:port or smtps://…")
        values["smtp_url"] = raw
    if (raw := get("MAIL_FROM")) is not None:
        values["mail_from"] = raw
    if (raw := get("VAR_DIR")) is not None:
        values["var_dir"] = Path(raw).resolve()
    values["secure_cookies"] = _bool(
        "AMI_SECURE_COOKIES", get("SECURE_COOKIES") or ("on" if production else "off")
    )
    for key, name, minimum in (
        ("SESSION_DAYS", "session_days", 1),
        ("LOGIN_ATTEMPTS_PER_ACCOUNT", "login_attempts_per_account", 1),
        ("LOGIN_ATTEMPTS_PER_CLIENT", "login_attempts_per_client", 1),
        ("RATE_LIMIT_WINDOW_SECONDS", "rate_limit_window_seconds", 1),
        ("HARVEST_CONCURRENCY", "harvest_concurrency", 1),
        ("ATTACHMENT_MAX_BYTES", "attachment_max_bytes", 1024),
    ):
        if (raw := get(key)) is not None:
            values[name] = _int(f"AMI_{key}", raw, minimum=minimum)
    if (raw := get("GITHUB_API_URL")) is not None:
        values["github_api_url"] = _url("AMI_GITHUB_API_URL", raw)
    if (raw := get("GITHUB_TOKEN")) is not None:
        values["github_token"] = raw
    if (raw := get("GITLAB_HOSTS")) is not None:
        values["gitlab_hosts"] = _csv(raw)
    if (raw := get("GITLAB_API_URLS")) is not None:
        values["gitlab_api_urls"] = _pairs("AMI_GITLAB_API_URLS", raw)
    if (raw := get("GITLAB_TOKENS")) is not None:
        values["gitlab_tokens"] = {
            host.strip().lower(): token.strip()
            for host, _, token in (p.partition("=") for p in _csv_keep_case(raw))
        }
    if (raw := get("ALLOWED_FORGE_HOSTS")) is not None:
        values["allowed_forge_hosts"] = _csv(raw)
    if (raw := get("ALLOW_LOOPBACK_FORGES")) is not None:
        values["allow_loopback_forges"] = _bool("AMI_ALLOW_LOOPBACK_FORGES", raw)
        if values["allow_loopback_forges"] and production:
            raise SettingsError("AMI_ALLOW_LOOPBACK_FORGES=on: not allowed with AMI_PRODUCTION=on")
    return Settings(**values)
