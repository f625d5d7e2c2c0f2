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


@router.get("/readyz", summary="Readiness: the event store answers")
def readyz(container: AppContainer) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok"}
    try:
        body["head_position"] = container.store.recorder.max_notification_id() or 0
    except Exception as e:
        return JSONResponse({"status": "unavailable", "detail": type(e).__name__}, 503)
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)
