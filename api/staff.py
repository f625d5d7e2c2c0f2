"""Staff: registration, transfers between schools, line management, leaving."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from aggregates.review import review_id_for
from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh
from api.reviews import ReviewDetail, review_detail
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from projections import review_status

router = APIRouter(prefix="/v1/staff", tags=["staff"])

ROUTES = [
    CommandRoute(
        "",
        m.RegisterStaff,
        "Register a member of staff at a school",
        {
            "trust_id": "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60",
            "name": "Priya Shah",
            "email": "p.shah@oak.example.org",
            "job_title": "Year 4 Teacher",
            "category": "teacher",
            "school_id": "7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
            "start_date": "2023-09-01",
        },
        created=True,
    ),
    CommandRoute(
        "/{staff_id}/transfers",
        m.TransferStaff,
        "Move a member of staff to another school of the trust",
        {
            "school_id": "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
            "effective_date": "2026-01-05",
            "reason": "Covering the maths lead's secondment",
        },
    ),
    CommandRoute(
        "/{staff_id}/line-manager",
        m.ChangeLineManager,
        "Change (or clear) a line manager",
        {
            "line_manager_id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
            "reason": "New phase leader for lower key stage 2",
        },
    ),
    CommandRoute(
        "/{staff_id}/name",
        m.RenameStaff,
        "Record a change of name (and the name they go by)",
        {"new_name": "Priya Shah-Evans", "preferred_name": "Priya", "reason": "Married"},
    ),
    CommandRoute(
        "/{staff_id}/job-title",
        m.ChangeJobTitle,
        "Record a new job title",
        {"job_title": "Phase Leader, Lower KS2", "reason": "Promotion from September"},
    ),
    CommandRoute(
        "/{staff_id}/leaving",
        m.RecordStaffLeaving,
        "Record that a member of staff left the trust",
        {"effective_date": "2026-04-12", "reason": "Relocated"},
    ),
]
add_routes(router, ROUTES)


@router.get(
    "/{staff_id}/cycles/{cycle_id}/appraisal",
    summary="A member of staff's appraisal in a cycle: their review and objectives",
    responses=PROBLEM_RESPONSES,
)
def get_appraisal(
    staff_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> ReviewDetail:
    fresh(container, min_position, "review_status", "objective_current")
    view = review_status.get_review(db, review_id_for(cycle_id, staff_id))
    return review_detail(db, principal, view)
