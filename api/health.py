"""Operational endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

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
