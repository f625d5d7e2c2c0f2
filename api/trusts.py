"""Trusts, their schools and development priorities."""

from __future__ import annotations

from fastapi import APIRouter

from api.commanding import CommandRoute, add_routes
from commands import messages as m

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])

TRUST = "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60"
SCHOOL = "7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f"

ROUTES = [
    CommandRoute(
        "",
        m.RegisterTrust,
        "Register a trust (platform admin)",
        {"name": "Oak Learning Trust"},
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/schools",
        m.AddSchool,
        "Add a school to the trust",
        {"name": "Oak Primary Academy", "phase": "primary"},
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/schools/{school_id}/renaming",
        m.RenameSchool,
        "Rename a school",
        {"new_name": "Oak Primary School", "reason": "Renamed on joining the federation"},
    ),
    CommandRoute(
        "/{trust_id}/priorities",
        m.AddPriority,
        "Add a development priority (trust-wide, or for one school)",
        {
            "title": "Reading for pleasure",
            "description": "Every pupil reads widely and often",
            "school_id": SCHOOL,
        },
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/priorities/{priority_id}/retirement",
        m.RetirePriority,
        "Retire a priority",
        {"reason": "Met in full in the 2024-25 improvement plan"},
    ),
]
add_routes(router, ROUTES)
