"""Trusts, their schools and development priorities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.replaying import AsOfMoment, replayed
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.messages import Clean, Name, NewId, Phrase, Reason
from commands.read_policy import may_read_summary
from projections.cycle_summary import trust as trust_cycle_summary
from projections.cycle_summary.views import TrustCycleSummaryView
from replay.summaries import trust_summary_as_of

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])

TRUST = "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60"
SCHOOL = "7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f"


class RegisterTrustBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    trust_id: NewId = Field(default=None, description="client-chosen id (optional, UUID v4/v7)")


@router.post(
    "",
    summary="Register a trust (platform admin)",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RegisterTrust",
)
def register_trust(
    body: Annotated[
        RegisterTrustBody,
        Body(openapi_examples={"example": {"value": {"name": "Oak Learning Trust"}}}),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RegisterTrust, body, status_code=201)


class AddSchoolBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    phase: Annotated[str, StringConstraints(max_length=50), Clean] | None = None
    school_id: NewId = None


@router.post(
    "/{trust_id}/schools",
    summary="Add a school to the trust",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="AddSchool",
)
def add_school(
    trust_id: UUID,
    body: Annotated[
        AddSchoolBody,
        Body(
            openapi_examples={
                "example": {"value": {"name": "Oak Primary Academy", "phase": "primary"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.AddSchool, body, status_code=201, trust_id=trust_id)


class RenameSchoolBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_name: Name
    reason: Reason


@router.post(
    "/{trust_id}/schools/{school_id}/renaming",
    summary="Rename a school",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RenameSchool",
)
def rename_school(
    trust_id: UUID,
    school_id: UUID,
    body: Annotated[
        RenameSchoolBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "new_name": "Oak Primary School",
                        "reason": "Renamed on joining the federation",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RenameSchool, body, trust_id=trust_id, school_id=school_id)


class AppointGovernorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    school_id: UUID | None = Field(
        default=None, description="the school whose board they sit on; None for the trust board"
    )
    governor_id: UUID | None = None


@router.post(
    "/{trust_id}/governors",
    summary="Appoint a governor of a school's board or the trust board (appraises headteachers)",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="AppointGovernor",
)
def appoint_governor(
    trust_id: UUID,
    body: Annotated[
        AppointGovernorBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "name": "Priya Shah",
                        "school_id": "2b3c4d5e-6f70-4a1b-8c2d-3e4f5a6b7c8d",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.AppointGovernor, body, status_code=201, trust_id=trust_id)


class AddPriorityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name
    description: Phrase = ""
    school_id: UUID | None = Field(default=None, description="None for a trust-wide priority")
    priority_id: NewId = None


@router.post(
    "/{trust_id}/priorities",
    summary="Add a development priority (trust-wide, or for one school)",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="AddPriority",
)
def add_priority(
    trust_id: UUID,
    body: Annotated[
        AddPriorityBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "title": "Reading for pleasure",
                        "description": "Every pupil reads widely and often",
                        "school_id": SCHOOL,
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.AddPriority, body, status_code=201, trust_id=trust_id)


class RetirePriorityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{trust_id}/priorities/{priority_id}/retirement",
    summary="Retire a priority",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RetirePriority",
)
def retire_priority(
    trust_id: UUID,
    priority_id: UUID,
    body: Annotated[
        RetirePriorityBody,
        Body(
            openapi_examples={
                "example": {"value": {"reason": "Met in full in the 2024-25 improvement plan"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RetirePriority, body, trust_id=trust_id, priority_id=priority_id)


class TrustSummary(BaseModel):
    summary: TrustCycleSummaryView
    overdue: dict[str, int] = Field(description="Reviews late on the day (today, or `as_of`)")
    as_of: datetime | None = Field(None, description="The moment asked about, if any")
    position: int | None = Field(None, description="With `as_of`: the log position replayed to")
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


@router.get(
    "/{trust_id}/cycles/{cycle_id}/summary",
    summary="A trust's cycle summary: totals and its schools side by side",
    responses=PROBLEM_RESPONSES,
)
def get_trust_summary(
    trust_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
    as_of: AsOfMoment = None,
) -> TrustSummary:
    fresh(container, min_position, "trust_cycle_summary", "school_cycle_summary")
    if not may_read_summary(principal, trust_id) or principal.role.value == "school_leader":
        raise hidden("trust summary", denied=True)
    view = trust_cycle_summary.trust_summary(db, trust_id, cycle_id)
    if view is None:
        raise hidden("trust summary")
    if as_of is None:
        return TrustSummary(
            summary=view, overdue=view.overdue(date.today()), names=names_for(db, view)
        )
    then = replayed(lambda: trust_summary_as_of(db, trust_id, cycle_id, at=as_of))
    if then.view is None:
        raise hidden("trust summary at that moment")
    return TrustSummary(
        summary=then.view,
        overdue=then.view.overdue(as_of.date()),
        as_of=as_of,
        position=then.position,
        names=names_for(db, then.view),
    )
