"""The FastAPI application: its lifespan owns the database engine and one Temporal client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

import sla
from api.errors import install_error_handlers
from api.middleware import ProblemOnError
from api.openapi import install_problem_responses
from api.parameters import check_parameters
from api.routes import (
    accounts,
    attachments,
    calendars,
    codec,
    complaints,
    health,
    incidents,
    keys,
    mailboxes,
    maintenance,
    metrics,
    monitors,
    objectives,
    on_call,
    policies,
    regimes,
    releases,
    reports,
    reviews,
    system,
    tickets,
)
from db.session import SessionFactory, make_engine, make_session_factory
from services import policies as saved_terms
from services import terms
from settings import Settings, get_settings
from web import banners, layout, rate, signin, status_calendar, track
from web.console import accounts as console_accounts
from web.console import admin as admin_pages
from web.console import calendars as calendar_pages
from web.console import complaints as complaint_pages
from web.console import dashboard as dashboard_page
from web.console import inbox as console_inbox
from web.console import incidents as incident_pages
from web.console import maintenance as maintenance_pages
from web.console import monitors as monitor_pages
from web.console import policies as policy_pages
from web.console import queue as console_queue
from web.console import releases as release_pages
from web.console import team as team_pages
from web.console import tickets as console_tickets
from web.portal import documents as portal_documents
from web.portal import home as portal_home
from web.portal import monitors as portal_monitors
from web.portal import raise_ticket as portal_raise
from web.portal import signin as portal_signin
from web.portal import support as portal_support
from web.portal import tickets as portal_tickets
from web.portal.viewer import PortalSignInRequired, portal_sign_in_redirect
from web.protection import BrowserGuard
from web.static_files import static_files
from web.status import page as status_pages
from web.status import subscribe as status_subscribe
from web.viewer import PageForbidden, SignInRequired, forbidden_page, sign_in_redirect
from workflows.connection import connect

log = logging.getLogger("pledge.api")

DESCRIPTION = """
Pledge keeps the promises a support or customer-success team makes: SLA clocks counted in
business hours and working days, complaint deadlines, onboarding objectives, monthly reports
and quarterly reviews, each a durable Temporal workflow.

Every route except `/health` and these docs needs an API key: `Authorization: Bearer <key>`.
Errors are problem documents (`status`, `title`, `detail`, and `errors` per field).
"""


async def _adopt_terms(factory: SessionFactory) -> None:
    """Edited preset files become versions, then the saved terms are read (services/terms.py).

    A database not migrated yet (or away) is left to /health and the first request to report.
    """
    try:
        async with factory() as session:
            await saved_terms.adopt_files(session)
            await session.commit()
            await terms.load(session)
    except Exception as exc:  # noqa: BLE001 - the API starts; /health says what is wrong
        log.warning("the saved policies were not read at start-up: %s", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn --factory api.app:create_app` calls this with the environment."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sla.use_data_dirs(settings.presets_dir, settings.regimes_dir)
        sla.load_presets()  # a broken preset stops start-up here, not a request later
        engine = make_engine(
            settings.effective_database_url, busy_seconds=settings.database_busy_seconds
        )
        # Lazy: the API starts, and /health says so, even while Temporal is still coming up.
        app.state.temporal = await connect(settings, lazy=True)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.write_session_factory = make_session_factory(engine, writes=True)
        await _adopt_terms(app.state.write_session_factory)
        yield
        await engine.dispose()

    # Swagger UI and ReDoc from local files: /docs must work on a machine without internet.
    app = FastAPIOffline(
        title="Pledge",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(check_parameters)],
    )
    install_error_handlers(app)
    layout.install()  # the console's frame shows each viewer the sections of their roles
    banners.install()  # and the maintenance announced
    app.add_exception_handler(SignInRequired, sign_in_redirect)  # type: ignore[arg-type]
    app.add_exception_handler(PageForbidden, forbidden_page)  # type: ignore[arg-type]
    app.add_exception_handler(PortalSignInRequired, portal_sign_in_redirect)  # type: ignore[arg-type]
    app.add_middleware(ProblemOnError)
    # Outermost: a forged request is refused before anything else runs (web/protection.py).
    app.add_middleware(
        BrowserGuard,
        # fastapi-offline serves these itself (app.docs_url is None): their pages start
        # with inline scripts, which the pages' policy would block.
        unstyled_paths=frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"}),
    )
    app.mount("/static", static_files(), name="static")
    for module in (
        health,
        keys,
        policies,
        calendars,
        regimes,
        accounts,
        tickets,
        attachments,
        releases,
        complaints,
        reports,
        reviews,
        objectives,
        metrics,
        monitors,
        mailboxes,
        incidents,
        maintenance,
        status_calendar,
        on_call,
        system,
        codec,
        track,
        rate,
        status_pages,
        status_subscribe,
        console_accounts,
        complaint_pages,
        release_pages,
        incident_pages,
        maintenance_pages,
        dashboard_page,
        monitor_pages,
        team_pages,
        console_inbox,
        console_queue,
        console_tickets,
        signin,
        admin_pages,
        policy_pages,
        calendar_pages,
        portal_signin,
        # Before any /portal/tickets/{reference} page: /portal/tickets/new is not a reference.
        portal_raise,
        portal_home,
        portal_support,
        portal_documents,
        portal_monitors,
        # After any page at a fixed /portal/tickets/<name> (the raising form's "new"): routes
        # match in order, and /portal/tickets/{reference} would take the name as a reference.
        portal_tickets,
    ):
        app.include_router(module.router)
    install_problem_responses(app)
    return app
