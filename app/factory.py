"""The application factory: settings, database, templates, routes, errors and lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from piccolo.engine.base import Engine

from app.controllers.accounts import AccountPages, ProfilePages
from app.controllers.api.applications import ApplicationsApi
from app.controllers.api.calls import CallsApi
from app.controllers.api.corrections import CorrectionsApi
from app.controllers.api.enquiries import EnquiriesApi
from app.controllers.api.labels import LabelsApi
from app.controllers.api.me import MeController
from app.controllers.api.milestones import MilestonesApi
from app.controllers.api.projects import ProjectsApi
from app.controllers.api.reports import ReportsApi
from app.controllers.api.reviews import ReviewsApi
from app.controllers.api.team import TeamApi
from app.controllers.applications import ApplicationPages
from app.controllers.calls import CallPages
from app.controllers.corrections import CorrectionPages
from app.controllers.enquiries import EnquiryPages, ManageFaqPages
from app.controllers.feeds import OpenDataRoutes
from app.controllers.harvest import HarvestPages, api_harvest_now
from app.controllers.manage import AdminPages, ManagePages
from app.controllers.manage_calls import ManageCallPages, ManageCallQuestionPages
from app.controllers.manage_labels import ManageLabelPages
from app.controllers.manage_projects import ManageProjectPages
from app.controllers.manage_reviews import ManageReviewPages
from app.controllers.public import PublicPages, healthz
from app.controllers.registry_pages import RegistryPages
from app.controllers.reports import ManageReportPages, ReportPages
from app.controllers.reviews import DecisionPages, ReviewerPages
from app.controllers.team import TeamPages, TeamPublicPages
from app.mail import configure_mail
from app.openapi import install as install_openapi
from app.settings import Settings, load_settings
from app.web.errors import EXCEPTION_HANDLERS
from app.web.middleware import add_security_headers, http_cache_middleware, identity_middleware
from app.web.schema_page import PlainSchemaPage
from app.web.templating import build_environment
from registry.db import is_postgres, make_engine, use_engine
from registry.team.members import configure as configure_team

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("ami")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Litestar:
    """With `engine`, the caller owns it (and its pool); otherwise one is made from the settings."""
    settings = settings or load_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings.database)
    use_engine(engine)
    environment = build_environment(auto_reload=not settings.production)
    mailer = configure_mail(settings, environment)
    configure_team(base_url=settings.base_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if owns_engine and is_postgres(engine):
            await engine.start_connection_pool(min_size=1, max_size=20)
        scheduler = None
        if settings.scheduler:
            scheduler = _start_scheduler(settings)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            if owns_engine and is_postgres(engine):
                await engine.close_connection_pool()

    app = Litestar(
        route_handlers=[
            HarvestPages, api_harvest_now,
            PublicPages, AccountPages, ProfilePages, ManagePages, AdminPages, healthz, MeController,
            CallPages, ApplicationPages, ManageCallPages, ManageCallQuestionPages, CallsApi, ApplicationsApi,
            RegistryPages, ProjectsApi, LabelsApi, ManageLabelPages, OpenDataRoutes,
            ReviewsApi, ReviewerPages, DecisionPages, ManageReviewPages,
            ReportsApi, ReportPages, ManageReportPages,
            EnquiriesApi, EnquiryPages, ManageFaqPages, CorrectionsApi, CorrectionPages,
            MilestonesApi, ManageProjectPages,
            TeamPages, TeamPublicPages, TeamApi,
            create_static_files_router(path="/static", directories=[STATIC_DIR]),
        ],
        middleware=[identity_middleware, http_cache_middleware],
        before_send=[add_security_headers],  # on every response, 404s and static files too
        csrf_config=CSRFConfig(secret=settings.secret_key, cookie_httponly=False,
                               cookie_secure=settings.secure_cookies, exclude=["/api/"]),
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(environment)),
        openapi_config=OpenAPIConfig(
            title="AMI Algorithmes ouverts — API", version="1.0.0",
            description="API publique du registre et API des appels, candidatures et "
                        "évaluations (jetons personnels).",
            path="/schema", render_plugins=[PlainSchemaPage(), JsonRenderPlugin()]),
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"settings": settings, "mailer": mailer, "engine": engine}),
        lifespan=[lifespan],
        debug=False,
    )
    return install_openapi(app)  # the schema's errors, statuses and media types: app/openapi.py


def _start_scheduler(settings: Settings):  # type: ignore[no-untyped-def]
    try:
        from app.scheduler import start_scheduler
    except ImportError:
        log.warning("scheduler module not available: scheduled jobs are off")
        return None
    return start_scheduler(settings)
