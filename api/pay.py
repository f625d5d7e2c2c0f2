"""The pay recommendation, kept apart from the appraisal report.

Read only by the person, their school's leader and the pay committee: every other caller,
whatever their role, gets the same 404 as for a review with no recommendation.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.schemas import PROBLEM_RESPONSES
from commands import development_messages as d
from commands.read_policy import ReadScope, may_read_pay
from projections import cpd_log
from projections import pay_recommendations as pay
from projections.names import names_of
from projections.pay_recommendations import PayView

router = APIRouter(prefix="/v1/reviews", tags=["pay"], responses=PROBLEM_RESPONSES)

ROUTES = [
    CommandRoute(
        "/{review_id}/pay-recommendation",
        d.RecommendPay,
        "Recommend pay progression after the report is issued (appraiser or school leader)",
        {"recommendation": "progress", "reasons": "All objectives met; strong report"},
        created=True,
    ),
    CommandRoute(
        "/{review_id}/pay-decision",
        d.RecordPayDecision,
        "Record the pay committee's decision",
        {
            "decision": "progress",
            "body": "Pay committee",
            "decided_on": "2026-10-15",
            "rationale": "Accepted the recommendation",
        },
    ),
]
add_routes(router, ROUTES)


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
