"""Staff: registration, transfers between schools, line management, leaving."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from aggregates.review import review_id_for
from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh
from api.requesting import Accepted, CommandCall
from api.reviews import ReviewDetail, review_detail
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.messages import Clean, Name, NewId, Reason
from events.values import StaffCategory
from projections import review_status

router = APIRouter(prefix="/v1/staff", tags=["staff"])


class RegisterStaffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trust_id: UUID
    name: Name
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), Clean
    ]
    job_title: Name
    category: StaffCategory = StaffCategory.TEACHER
    school_id: UUID
    start_date: date
    staff_id: NewId = None
    preferred_name: Name | None = None


@router.post(
    "",
    summary="Register a member of staff at a school",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RegisterStaff",
)
def register_staff(
    body: Annotated[
        RegisterStaffBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "trust_id": "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60",
                        "name": "Priya Shah",
                        "email": "p.shah@oak.example.org",
                        "job_title": "Year 4 Teacher",
                        "category": "teacher",
                        "school_id": "7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
                        "start_date": "2023-09-01",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RegisterStaff, body, status_code=201)


class TransferStaffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_id: UUID
    effective_date: date
    reason: Reason


@router.post(
    "/{staff_id}/transfers",
    summary="Move a member of staff to another school of the trust",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="TransferStaff",
)
def transfer_staff(
    staff_id: UUID,
    body: Annotated[
        TransferStaffBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "school_id": "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
                        "effective_date": "2026-01-05",
                        "reason": "Covering the maths lead's secondment",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.TransferStaff, body, staff_id=staff_id)


class ChangeLineManagerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_manager_id: UUID | None
    reason: Reason


@router.post(
    "/{staff_id}/line-manager",
    summary="Change (or clear) a line manager",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChangeLineManager",
)
def change_line_manager(
    staff_id: UUID,
    body: Annotated[
        ChangeLineManagerBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "line_manager_id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
                        "reason": "New phase leader for lower key stage 2",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ChangeLineManager, body, staff_id=staff_id)


class RenameStaffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_name: Name
    preferred_name: Name | None = None
    reason: Reason


@router.post(
    "/{staff_id}/name",
    summary="Record a change of name (and the name they go by)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RenameStaff",
)
def rename_staff(
    staff_id: UUID,
    body: Annotated[
        RenameStaffBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "new_name": "Priya Shah-Evans",
                        "preferred_name": "Priya",
                        "reason": "Married",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RenameStaff, body, staff_id=staff_id)


class ChangeJobTitleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_title: Name
    reason: Reason


@router.post(
    "/{staff_id}/job-title",
    summary="Record a new job title",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChangeJobTitle",
)
def change_job_title(
    staff_id: UUID,
    body: Annotated[
        ChangeJobTitleBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "job_title": "Phase Leader, Lower KS2",
                        "reason": "Promotion from September",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ChangeJobTitle, body, staff_id=staff_id)


class RecordStaffLeavingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_date: date
    reason: Reason


@router.post(
    "/{staff_id}/leaving",
    summary="Record that a member of staff left the trust",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordStaffLeaving",
)
def record_staff_leaving(
    staff_id: UUID,
    body: Annotated[
        RecordStaffLeavingBody,
        Body(
            openapi_examples={
                "example": {"value": {"effective_date": "2026-04-12", "reason": "Relocated"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RecordStaffLeaving, body, staff_id=staff_id)


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
