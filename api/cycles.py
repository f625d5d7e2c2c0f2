"""Appraisal cycles: scheduling, opening, closing, reopening and policy."""

from __future__ import annotations

from fastapi import APIRouter

from api.commanding import CommandRoute, add_routes
from commands import messages as m

router = APIRouter(prefix="/v1/cycles", tags=["cycles"])

ROUTES = [
    CommandRoute(
        "",
        m.ScheduleCycle,
        "Schedule a trust-wide appraisal cycle",
        {
            "trust_id": "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60",
            "name": "2026-27",
            "start_date": "2026-09-01",
            "end_date": "2027-08-31",
            "objective_setting_deadline": "2026-10-31",
            "mid_year_window_start": "2027-02-01",
            "mid_year_window_end": "2027-03-31",
            "end_year_deadline": "2027-07-16",
            "max_objectives": 3,
            "appeal_window_days": 10,
        },
        created=True,
    ),
    CommandRoute("/{cycle_id}/opening", m.OpenCycle, "Open a scheduled cycle", {}),
    CommandRoute("/{cycle_id}/closing", m.CloseCycle, "Close an open cycle", {}),
    CommandRoute(
        "/{cycle_id}/reopening",
        m.ReopenCycle,
        "Reopen a closed cycle",
        {"reason": "Late appeal admitted by the trust board"},
    ),
    CommandRoute(
        "/{cycle_id}/policy",
        m.ChangeCyclePolicy,
        "Change the cycle's policy",
        {
            "max_objectives": 4,
            "appeal_window_days": 15,
            "reason": "Board approved the revised appraisal policy",
        },
    ),
]
add_routes(router, ROUTES)
