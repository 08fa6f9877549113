"""Piccolo's configuration: the engine comes from AMI_DATABASE_URL (SQLite under var/ by default)."""

from piccolo.conf.apps import AppRegistry

from registry.db import engine_from_environment

DB = engine_from_environment()

APPS = [
    "registry.accounts.piccolo_app",
    "registry.audit.piccolo_app",
    "registry.labels.piccolo_app",
    "registry.calls.piccolo_app",
    "registry.projects.piccolo_app",
    "registry.harvest.piccolo_app",
    "registry.applications.piccolo_app",
    "registry.reviews.piccolo_app",
    "registry.outbox.piccolo_app",
    "registry.reports.piccolo_app",
    "registry.team.piccolo_app",
    "registry.enquiries.piccolo_app",
    "registry.cache.piccolo_app",
]

APP_REGISTRY = AppRegistry(apps=APPS)
