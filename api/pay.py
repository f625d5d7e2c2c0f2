"""The pay recommendation, kept apart from the appraisal report.

Read only by the person, their school's leader and the pay committee: every other caller,
whatever their role, gets the same 404 as for a review with no recommendation.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict

from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import development_messages as d
from commands.messages import Name, Text
from commands.read_policy import ReadScope, may_read_pay
from events.pay import PayOutcome
from projections import cpd_log
from projections import pay_recommendations as pay
from projections.names import names_of
from projections.pay_recommendations import PayView

router = APIRouter(prefix="/v1/reviews", tags=["pay"], responses=PROBLEM_RESPONSES)


class RecommendPayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recommendation: PayOutcome
    reasons: Text


@router.post(
    "/{review_id}/pay-recommendation",
    summary="Recommend pay progression after the report is issued (appraiser or school leader)",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecommendPay",
)
def recommend_pay(
    review_id: UUID,
    body: Annotated[
        RecommendPayBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "recommendation": "progress",
                        "reasons": "All objectives met; strong report",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.RecommendPay, body, status_code=201, review_id=review_id)


class RecordPayDecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: PayOutcome
    body: Name = "Pay committee"
    decided_on: date
    rationale: Text


@router.post(
    "/{review_id}/pay-decision",
    summary="Record the pay committee's decision",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordPayDecision",
)
def record_pay_decision(
    review_id: UUID,
    body: Annotated[
        RecordPayDecisionBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "decision": "progress",
                        "body": "Pay committee",
                        "decided_on": "2026-10-15",
                        "rationale": "Accepted the recommendation",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.RecordPayDecision, body, review_id=review_id)


class PayOut(BaseModel):
    recommendation: PayView
    appraisee_name: str


@router.get("/{review_id}/pay-recommendation", summary="A review's pay recommendation")
def get_pay_recommendation(
    review_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> PayOut:
    fresh(container, min_position, "pay_recommendations", "cpd_log")
    view = pay.for_review(db, review_id)
    scope = None
    if view is not None:
        scope = ReadScope(
            trust_id=view.trust_id,
            school_ids=frozenset({view.school_id}),
            people=frozenset({view.appraisee_id}),
        )
    if view is None or scope is None or not may_read_pay(principal, scope):
        raise hidden("pay recommendation")
    name = names_of(db, cpd_log.NAMES, [view.appraisee_id]).get(view.appraisee_id, "")
    return PayOut(recommendation=view, appraisee_name=name)
