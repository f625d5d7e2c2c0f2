"""Prometheus metrics, structured JSON logs, the access log and the request size limit.

``api/edge.py`` applies them to every request: it assigns (or accepts) an ``X-Request-ID``,
refuses bodies over the limit with a 413 problem, times the request, and logs one JSON line
per request with the principal when known.
"""

from __future__ import annotations

import orjson
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.types import Scope, Send

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


# Evidence uploads (API and dashboard) may carry a file up to the evidence limit; the
# multipart envelope (boundaries, headers, the title field) needs a little more.
_UPLOAD_OVERHEAD = 64 * 1024


def upload_limit(scope: Scope, default: int) -> int:
    """The body limit of an evidence upload: the evidence limit and the envelope."""
    container = getattr(getattr(scope.get("app"), "state", None), "container", None)
    if container is None:
        return default
    return max(default, int(container.settings.evidence_max_bytes) + _UPLOAD_OVERHEAD)


async def too_large(send: Send, limit: int) -> None:
    """The 413 problem (``send`` adds the request id and the security headers)."""
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
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
