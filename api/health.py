"""Operational endpoints: liveness, readiness and metrics.

Readiness is honest: not ready when the store does not answer, when projections cannot be
woken (Redis mode with Redis down: read models would freeze), or when a read model is behind
the log by more than ``MAX_READY_LAG`` events or ``ready_max_lag_seconds`` seconds. A read
replica is reported (state, lag, reads served) but never makes the service unready: queries
fall back to the primary. Nothing here shows a URL or a secret: failures are named by their
kind only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.container import Container
from api.deps import AppContainer

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


# Past this lag (events) a projection makes the service report not ready.
MAX_READY_LAG = 10_000


@router.get(
    "/readyz",
    summary="Readiness: the store answers and read models are not far behind",
    responses={503: {"description": "Not ready: the store is down or read models lag behind"}},
)
def readyz(request: Request, container: AppContainer) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok"}
    try:
        _store_answers(container)
        body["head_position"] = container.projections.head()
        rows = container.projections.status()
        behind = min((r.position for r in rows if r.lag > 0), default=None)
        age = _age_of_event_after(container, behind) if behind is not None else 0.0
    except Exception as e:  # readiness reports any store failure as "not ready"
        return JSONResponse({"status": "unavailable", "detail": type(e).__name__}, 503)
    body["projections"] = {r.name: {"position": r.position, "lag": r.lag} for r in rows}
    body["lag_seconds"] = round(age, 3)
    if container.replica is not None:
        body["replica"] = _replica(container)
    if container.settings.redis_url:
        body["wakeups"] = "ok" if _redis_answers(request, container) else "unavailable"
    if body.get("wakeups") == "unavailable":
        body["status"] = "wakeups_unavailable"
        return JSONResponse(body, 503)
    if any(r.lag > MAX_READY_LAG for r in rows) or age > container.settings.ready_max_lag_seconds:
        body["status"] = "catching_up"
        return JSONResponse(body, 503)
    return JSONResponse(body)


def _replica(container: Container) -> dict[str, Any]:
    """The read replica, checked now: its state, lag, and the reads each side served. A
    replica that is down or behind leaves the service ready: queries read the primary."""
    replica = container.replica
    assert replica is not None
    return {**replica.status(fresh=True).as_dict(), "reads": dict(replica.served)}


def _store_answers(container: Container) -> None:
    """A quick, bounded probe first: the pools' own retries can take minutes to give up."""
    settings = container.settings
    if settings.is_postgres:
        with psycopg.connect(settings.database_url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")


def _age_of_event_after(container: Container, position: int) -> float:
    """Seconds since the oldest event a read model has not applied was recorded."""
    projections = container.projections
    with projections.db.transaction(write=False) as tx:
        rows = projections.engine.log.read(tx, position, position + 1, 1, None)
    if not rows:
        return 0.0
    state = rows[0][4]
    data = orjson.loads(bytes(state))
    stamp = datetime.fromisoformat(str(data["timestamp"]))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return max((datetime.now(UTC) - stamp).total_seconds(), 0.0)


def _redis_answers(request: Request, container: Container) -> bool:
    client: redis.Redis | None = getattr(request.app.state, "readiness_redis", None)
    if client is None:
        assert container.settings.redis_url
        client = redis.Redis.from_url(
            container.settings.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        request.app.state.readiness_redis = client
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    metrics = request.app.state.metrics
    try:
        for row in request.app.state.container.projections.status():
            metrics.projection_lag.labels(row.name, str(row.version)).set(row.lag)
    except Exception:
        metrics.projection_lag.clear()
    replica = request.app.state.container.replica
    if replica is not None:
        try:
            state = replica.status()
        except Exception:  # the primary is down: readiness says so; metrics stay up
            state = None
        metrics.replica_up.set(1 if state is not None and state.state == "ok" else 0)
        lag = state.lag_seconds if state is not None else None
        metrics.replica_lag.set(lag if lag is not None else float("nan"))
        metrics.replica_reads.labels("replica").set(replica.served["replica"])
        metrics.replica_reads.labels("primary").set(replica.served["primary"])
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
