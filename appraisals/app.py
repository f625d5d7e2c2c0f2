"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI

from api import (
    access,
    audit,
    cpd,
    cycles,
    directory,
    evidence,
    framework,
    health,
    imports,
    me,
    objectives,
    observations,
    openapi,
    pay,
    privacy,
    problems,
    reminders,
    reviews,
    schools,
    security_audit,
    sessions,
    staff,
    subject_access,
    trusts,
)
from api.edge import EdgeMiddleware
from api.observability import Metrics, configure_logging
from api.params import reject_unknown_query
from appraisals.wiring import Container, build
from config.settings import Settings, check_production
from web.app import install as install_dashboard

DESCRIPTION = """
Record, audit and analyse staff appraisal across a multi-academy trust.

Commands are `POST`s on resources and answer with the aggregate id, its new version (also as
`ETag`) and the event's log position. Errors are RFC 9457 problem details. Authenticate with
a bearer JWT (`appraisals token --role ...`).
"""


def create_app(
    settings: Settings | None = None,
    *,
    container: Container | None = None,
    run_projections: bool = True,
) -> FastAPI:
    """Build the app. With a ``container`` the caller owns it; otherwise the app builds and
    closes its own from ``settings`` (with the background work in this process unless
    ``run_projections`` is False: `serve` runs it in a process of its own)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = container is None
        if owned:
            check_production(settings or Settings())  # refuse development keys in production
        app.state.container = container or build(
            settings or Settings(), run_projections=run_projections
        )
        configure_logging(app.state.container.settings.log_level)
        if owned:
            app.state.container.start()
        # Sync endpoints run in anyio's thread pool: more threads than database connections
        # only adds GIL and pool-lock contention, so match the two.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = app.state.container.settings.worker_threads
        try:
            yield
        finally:
            if owned:
                app.state.container.close()

    app = FastAPI(
        title="appraisal-ledger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=openapi.TAGS,
        generate_unique_id_function=openapi.operation_id,
        dependencies=[Depends(reject_unknown_query)],
    )
    openapi.install(app)
    if container is not None:
        app.state.container = container
    effective = container.settings if container is not None else (settings or Settings())
    app.state.metrics = Metrics()
    # X-Forwarded-For/-Proto are believed only from the trusted proxies; from anyone else
    # they are ignored (the peer's own address and scheme stand).
    app.add_middleware(
        EdgeMiddleware,
        metrics=app.state.metrics,
        max_header_bytes=effective.max_header_bytes,
        max_request_line_bytes=effective.max_request_line_bytes,
        trusted_proxies=effective.trusted_proxy_networks,
    )
    problems.install(app)
    app.include_router(health.router)
    for resource in (
        directory,
        trusts,
        schools,
        staff,
        cycles,
        reviews,
        objectives,
        audit,
        cpd,
        evidence,
        observations,
        pay,
        framework,
        imports,
        access,
        me,
        subject_access,
        privacy,
    ):
        app.include_router(resource.router)
    app.include_router(security_audit.router)
    app.include_router(sessions.router)
    for router in reminders.routers:
        app.include_router(router)
    install_dashboard(app)
    return app


def create_web_app() -> FastAPI:
    """A web process of `serve --workers N` without Redis: the read models, audit sealing and
    reminders run in the one background process `serve` started (`appraisals projections run`)."""
    return create_app(run_projections=False)
