"""RFC 9457 problem details: one place maps every error kind to a status and a stable type."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aggregates.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    Forbidden,
    Hidden,
    NotFound,
    RuleBroken,
    StaleVersion,
)
from commands.service import IdempotencyKeyReused

log = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying after a store outage.
STORE_RETRY_AFTER = 5
PROBLEM_BASE = "https://appraisal-ledger.dev/problems/"
MEDIA_TYPE = "application/problem+json"


class Unauthenticated(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PreconditionFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadCursor(ValueError):
    """A pagination cursor this API did not issue."""


class BadHeader(Exception):
    """A request header that does not parse (``header`` names it)."""

    def __init__(self, header: str, detail: str) -> None:
        super().__init__(detail)
        self.header = header
        self.detail = detail


class UnknownParameters(Exception):
    """Query parameters the route does not take."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


class RateLimited(Exception):
    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class StoreUnavailable(Exception):
    """The event store or read-model database cannot be reached."""


def store_outages() -> tuple[type[Exception], ...]:
    """What a database outage raises through psycopg, its pool and the eventsourcing
    recorders (connection lost, refused, pool exhausted, lock or statement timeouts)."""
    import psycopg
    import psycopg_pool
    from eventsourcing import persistence

    return (
        StoreUnavailable,
        psycopg.OperationalError,
        psycopg.InterfaceError,
        psycopg_pool.PoolTimeout,
        psycopg_pool.TooManyRequests,
        persistence.OperationalError,
        persistence.InterfaceError,
        persistence.ConnectionUnavailableError,
        persistence.ConnectionPoolClosedError,
    )


class NotReady(Exception):
    """A read model did not reach the requested position in time."""

    def __init__(self, detail: str, *, position: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.position = position


def problem(
    status: int, kind: str, title: str, detail: str, request: Request | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _errors(exc: RequestValidationError | ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(p) for p in e["loc"] if p != "body"),
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        errors = _errors(exc)
        fields = ", ".join(sorted({e["field"] or "body" for e in errors}))
        return problem(
            422, "validation-error", "Invalid input", f"invalid: {fields}", request, errors=errors
        )

    # Both the request's own validation and a command model's (built from path + body).
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(ValidationError, on_invalid)

    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, Forbidden | Hidden):
            await record_denial(request, exc)
        return domain_problem(exc, request)

    @app.exception_handler(Unauthenticated)
    async def on_unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        return problem(401, "unauthenticated", "Authentication required", exc.detail, request)

    @app.exception_handler(PreconditionFailed)
    async def on_precondition(request: Request, exc: PreconditionFailed) -> JSONResponse:
        return problem(412, "precondition-failed", "Precondition failed", exc.detail, request)

    @app.exception_handler(NotReady)
    async def on_not_ready(request: Request, exc: NotReady) -> JSONResponse:
        response = problem(
            503,
            "read-model-behind",
            "Read model not yet up to date",
            exc.detail,
            request,
            position=exc.position,
        )
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(BadCursor)
    async def on_bad_cursor(request: Request, exc: BadCursor) -> JSONResponse:
        return problem(400, "bad-cursor", "Bad cursor", str(exc), request)

    @app.exception_handler(BadHeader)
    async def on_bad_header(request: Request, exc: BadHeader) -> JSONResponse:
        return problem(
            400, "invalid-header", "Invalid header", exc.detail, request, header=exc.header
        )

    @app.exception_handler(UnknownParameters)
    async def on_unknown(request: Request, exc: UnknownParameters) -> JSONResponse:
        errors = [
            {"field": f"query.{n}", "message": "unknown query parameter", "type": "unknown"}
            for n in exc.names
        ]
        detail = "unknown query parameter(s): " + ", ".join(exc.names)
        return problem(422, "validation-error", "Invalid input", detail, request, errors=errors)

    @app.exception_handler(RateLimited)
    async def on_rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        response = problem(429, "rate-limited", "Too many requests", exc.detail, request)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        return problem(exc.status_code, kind, str(exc.detail), str(exc.detail), request)

    async def on_store_outage(request: Request, exc: Exception) -> JSONResponse:
        # The exception's text may name the host; never the password (psycopg omits it).
        # The SQLSTATE tells a lock timeout (55P03) from a lost connection (08...).
        sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
        cause = exc.__cause__
        log.warning(
            "store unavailable on %s %s: %s (SQLSTATE %s, from %s: %s)",
            request.method,
            request.url.path,
            type(exc).__name__,
            sqlstate or "none",
            type(cause).__name__ if cause else "-",
            str(cause or exc)[:300],
        )
        response = problem(
            503,
            "store-unavailable",
            "Store unavailable",
            "the database cannot be reached just now; retry shortly",
            request,
        )
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER)
        return response

    for outage in store_outages():
        app.add_exception_handler(outage, on_store_outage)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled %s on %s %s",
            type(exc).__name__,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        return problem(
            500, "internal-error", "Internal error", "an unexpected error occurred", request
        )


def domain_problem(exc: DomainError, request: Request | None = None) -> JSONResponse:
    if isinstance(exc, RuleBroken):
        return problem(422, "rule-broken", "Rule broken", exc.message, request, rule=exc.rule)
    if isinstance(exc, NotFound):
        return problem(404, "not-found", "Not found", exc.message, request)
    if isinstance(exc, Forbidden):
        return problem(403, "forbidden", "Forbidden", exc.message, request)
    if isinstance(exc, StaleVersion):
        return problem(
            412,
            "stale-version",
            "Precondition failed",
            exc.message,
            request,
            expected_version=exc.expected,
            current_version=exc.actual,
        )
    if isinstance(exc, IdempotencyKeyReused):
        return problem(422, exc.kind, "Idempotency key reused", exc.message, request)
    if isinstance(exc, AlreadyExists):
        existing = str(exc.existing_id)
        return problem(
            409,
            "already-exists",
            "Already exists",
            exc.message,
            request,
            existing_id=existing,
            existing=f"/v1/reviews/{existing}",
        )
    if isinstance(exc, Conflict):
        return problem(409, "conflict", "Conflict", exc.message, request)
    return problem(400, exc.kind, "Bad request", exc.message, request)


async def record_denial(request: Request, exc: DomainError) -> None:
    """A denied command or read goes to the security log (off the event loop)."""
    from anyio.to_thread import run_sync

    from api.security.log import SecurityEventKind

    container = getattr(request.app.state, "container", None)
    principal = getattr(request.state, "principal", None)
    if container is None or principal is None:
        return
    kind = (
        SecurityEventKind.DENIED_READ
        if request.method in ("GET", "HEAD")
        else SecurityEventKind.DENIED_COMMAND
    )
    client = request.client.host if request.client else "unknown"

    def record() -> None:
        container.security.log.record(
            kind,
            client=client,
            method=request.method,
            path=request.url.path,
            trust_id=principal.trust_id,
            actor_id=principal.id,
            role=principal.role.value,
            detail=exc.reason if isinstance(exc, Hidden) else exc.message,
        )

    await run_sync(record)
