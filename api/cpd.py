"""CPD: activities planned, done, reflected on; a person's log; the school and trust views."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import development_messages as d
from commands.messages import Clean, Name, Reason, Reference, Text
from commands.read_policy import ReadScope, may_read_record, may_read_summary
from events.cpd import CpdKind, ImpactRating
from projections import cpd_log, review_status
from projections.cpd_log import CpdActivityView
from projections.cpd_summary import TrustCpd, trust_cpd
from projections.engine.db import Database
from projections.names import names_of

router = APIRouter(prefix="/v1", tags=["cpd"], responses=PROBLEM_RESPONSES)


class PlanCpdBody(BaseModel):
    """Plan a CPD activity for the appraisee of a review, linked to their objectives/needs."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    title: Name
    provider: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), Clean] = ""
    kind: CpdKind
    starts_on: date
    ends_on: date
    hours: float = Field(gt=0, le=500)
    cost_pence: int = Field(default=0, ge=0, le=10_000_000)
    objective_ids: list[UUID] = Field(default_factory=list, max_length=10)
    development_needs: list[Reference] = Field(default_factory=list, max_length=10)
    activity_id: UUID | None = None


@router.post(
    "/cpd",
    summary="Plan a CPD activity for the appraisee of a review, linked to their objectives "
    "and needs",
    description=d.PlanCpd.__doc__,
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="PlanCpd",
)
def plan_cpd(
    body: Annotated[
        PlanCpdBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "review_id": "8f7e6d5c-4b3a-4928-9716-05f4e3d2c1b0",
                        "title": "Guided reading masterclass",
                        "provider": "English Hub",
                        "kind": "course",
                        "starts_on": "2026-01-14",
                        "ends_on": "2026-01-14",
                        "hours": 6,
                        "cost_pence": 15000,
                        "objective_ids": ["0f1e2d3c-4b5a-4697-8877-665544332211"],
                        "development_needs": ["Questioning in guided reading"],
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.PlanCpd, body, status_code=201)


class CompleteCpdBody(BaseModel):
    """Mark an activity done; hours and cost default to the planned ones."""

    model_config = ConfigDict(extra="forbid")

    completed_on: date
    hours: float | None = Field(default=None, gt=0, le=500)
    cost_pence: int | None = Field(default=None, ge=0, le=10_000_000)


@router.post(
    "/cpd/{activity_id}/completion",
    summary="Mark a CPD activity done (hours and cost default to the planned ones)",
    description=d.CompleteCpd.__doc__,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="CompleteCpd",
)
def complete_cpd(
    activity_id: UUID,
    body: Annotated[
        CompleteCpdBody,
        Body(openapi_examples={"example": {"value": {"completed_on": "2026-01-14", "hours": 6.5}}}),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.CompleteCpd, body, activity_id=activity_id)


class ReflectOnCpdBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reflection: Text
    impact: ImpactRating


@router.post(
    "/cpd/{activity_id}/reflection",
    summary="Reflect on a CPD activity and rate its impact (the person)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ReflectOnCpd",
)
def reflect_on_cpd(
    activity_id: UUID,
    body: Annotated[
        ReflectOnCpdBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {"reflection": "My questions now target inference", "impact": "clear"}
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.ReflectOnCpd, body, activity_id=activity_id)


class CancelCpdBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/cpd/{activity_id}/cancellation",
    summary="Cancel a planned CPD activity",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="CancelCpd",
)
def cancel_cpd(
    activity_id: UUID,
    body: Annotated[
        CancelCpdBody,
        Body(
            openapi_examples={
                "example": {"value": {"reason": "The course was withdrawn by the provider"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.CancelCpd, body, activity_id=activity_id)


class CpdActivityOut(BaseModel):
    activity: CpdActivityView
    staff_name: str
    objectives: dict[str, str]


class CpdLogOut(BaseModel):
    staff_id: UUID
    staff_name: str
    activities: list[CpdActivityView]
    objectives: dict[str, str]


def activity_scope(db: Database, a: CpdActivityView) -> ReadScope:
    review = review_status.get_review(db, a.review_id)
    people = {a.staff_id} | ({review.appraiser_id} if review else set())
    return ReadScope(
        trust_id=a.trust_id, school_ids=frozenset({a.school_id}), people=frozenset(people)
    )


@router.get("/cpd/{activity_id}", summary="A CPD activity")
def get_activity(
    activity_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> CpdActivityOut:
    fresh(container, min_position, "cpd_log")
    a = cpd_log.get_activity(db, activity_id)
    if a is None or not may_read_record(principal, activity_scope(db, a)):
        raise hidden("CPD activity")
    names = names_of(db, cpd_log.NAMES, [a.staff_id])
    return CpdActivityOut(
        activity=a,
        staff_name=names.get(a.staff_id, ""),
        objectives=cpd_log.objective_titles(db, a.objective_ids),
    )


@router.get("/staff/{staff_id}/cpd", summary="A person's CPD log (one cycle, or all)")
def get_person_log(
    staff_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    cycle_id: UUID | None = Query(None, description="Only this cycle"),
    min_position: MinPosition = None,
) -> CpdLogOut:
    fresh(container, min_position, "cpd_log")
    log = [
        a
        for a in cpd_log.person_log(db, staff_id, cycle_id)
        if may_read_record(principal, activity_scope(db, a))
    ]
    if not log and not _may_read_person(db, principal, staff_id):
        raise hidden("CPD log")
    linked = sorted({o for a in log for o in a.objective_ids})
    return CpdLogOut(
        staff_id=staff_id,
        staff_name=names_of(db, cpd_log.NAMES, [staff_id]).get(staff_id, ""),
        activities=log,
        objectives=cpd_log.objective_titles(db, linked),
    )


def _may_read_person(db: Database, principal: CurrentPrincipal, staff_id: UUID) -> bool:
    # An empty log is shown to those who could read the person's reviews.
    reviews = review_status.reviews_for_appraisee(db, staff_id)
    return any(
        may_read_record(
            principal,
            ReadScope(
                trust_id=r.trust_id,
                school_ids=frozenset({r.school_id, r.current_school_id}),
                people=frozenset({r.appraisee_id, r.appraiser_id}),
            ),
        )
        for r in reviews
    )


@router.get(
    "/trusts/{trust_id}/cycles/{cycle_id}/cpd",
    summary="The trust's CPD: schools side by side, by priority and kind, hours, spend, impact",
)
def get_trust_cpd(
    trust_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> TrustCpd:
    fresh(container, min_position, "cpd_log")
    if not may_read_summary(principal, trust_id):
        raise hidden("trust CPD view")
    return trust_cpd(db, trust_id, cycle_id)


@router.get("/schools/{school_id}/cycles/{cycle_id}/cpd", summary="A school's CPD in a cycle")
def get_school_cpd(
    school_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> TrustCpd:
    fresh(container, min_position, "cpd_log")
    trust_id = principal.trust_id
    if trust_id is None or not may_read_summary(principal, trust_id, school_id):
        raise hidden("school CPD view")
    view = trust_cpd(db, trust_id, cycle_id, school_ids={school_id})
    if not view.schools:
        raise hidden("school CPD view")
    return view
