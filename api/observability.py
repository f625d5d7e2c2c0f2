"""Request ids, structured JSON logs, Prometheus metrics and the request size limit.

One pure ASGI middleware does all four, so a request pays for one wrapper: it assigns (or
accepts) an ``X-Request-ID``, refuses bodies over the limit with a 413 problem, times the
request, and logs one JSON line per request with the principal when known.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import orjson
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024


class Metrics:
    """The service's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "appraisals_http_requests_total",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "appraisals_http_request_seconds",
            "HTTP request latency by method and route",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.commands = Counter(
            "appraisals_commands_total",
            "Commands by type and outcome (accepted, replayed, or the problem type)",
            ["command", "outcome"],
            registry=self.registry,
        )

        self.projection_lag = Gauge(
            "appraisals_projection_lag_events",
            "Events a projection's live version is behind the head of the log",
            ["projection", "version"],
            registry=self.registry,
        )

        # With a read replica (APPRAISALS_READ_DATABASE_URL).
        self.replica_up = Gauge(
            "appraisals_read_replica_up",
            "1 when read-model queries may use the read replica (answering, not lagging)",
            registry=self.registry,
        )
        self.replica_lag = Gauge(
            "appraisals_read_replica_lag_seconds",
            "How far the replica's read models are behind the primary's (seconds)",
            registry=self.registry,
        )
        self.replica_reads = Gauge(
            "appraisals_read_transactions",
            "Read-model transactions this process ran on each side since it started",
            ["source"],
            registry=self.registry,
        )

    def render(self) -> tuple[bytes, str]:
        return _generate_latest(self.registry), CONTENT_TYPE_LATEST


def configure_logging(level: str) -> None:
    """The process's one JSON log format (appraisals/logs.py)."""
    from config.logs import configure_logging as configure

    configure(level)


access_log = structlog.get_logger("appraisals.access")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        max_body = self.max_body
        if scope.get("method") == "POST" and _is_upload(scope.get("path", "")):
            max_body = _upload_limit(scope, max_body)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_body:
            status = 413
            await _too_large(send, request_id, max_body)
            self._observe(scope, status, started, request_id)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            status = 413
            await _too_large(send, request_id, max_body)
        finally:
            self._observe(scope, status, started, request_id)

    def _observe(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.requests.labels(method, path, str(status)).inc()
        self.metrics.latency.labels(method, path).observe(elapsed)
        state: dict[str, Any] = scope.get("state") or {}
        principal = state.get("principal")
        client = scope.get("client")
        access_log.info(
            "request",
            request_id=request_id,
            method=method,
            path=scope.get("path"),
            route=path,
            status=status,
            ms=round(elapsed * 1000, 2),
            client=client[0] if client else None,
            principal=str(principal.id) if principal else None,
            role=principal.role.value if principal else None,
            pid=os.getpid(),  # which process answered, when `serve --workers N` runs several
        )


class _BodyTooLarge(Exception):
    pass


# Evidence uploads (API and dashboard) may carry a file up to the evidence limit; the
# multipart envelope (boundaries, headers, the title field) needs a little more.
_UPLOAD_OVERHEAD = 64 * 1024


def _is_upload(path: str) -> bool:
    return path.endswith(("/evidence/files", "/evidence")) and not path.startswith("/v1/evidence")


def _upload_limit(scope: Scope, default: int) -> int:
    container = getattr(getattr(scope.get("app"), "state", None), "container", None)
    if container is None:
        return default
    return max(default, int(container.settings.evidence_max_bytes) + _UPLOAD_OVERHEAD)


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": "https://appraisal-ledger.dev/problems/payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"request bodies are limited to {limit} bytes",
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
