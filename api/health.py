"""Operational endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

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
def readyz(container: AppContainer) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok"}
    try:
        body["head_position"] = container.store.recorder.max_notification_id() or 0
        rows = container.projections.status()
    except Exception as e:  # readiness reports any store failure as "not ready"
        return JSONResponse({"status": "unavailable", "detail": type(e).__name__}, 503)
    body["projections"] = {r.name: {"position": r.position, "lag": r.lag} for r in rows}
    if any(r.lag > MAX_READY_LAG for r in rows):
        body["status"] = "catching_up"
        return JSONResponse(body, 503)
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    metrics = request.app.state.metrics
    try:
        for row in request.app.state.container.projections.status():
            metrics.projection_lag.labels(row.name, str(row.version)).set(row.lag)
    except Exception:
        metrics.projection_lag.clear()
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
