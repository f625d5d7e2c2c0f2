"""The pay recommendation: kept apart from the appraisal report, as the regulations require.

After the report is issued the appraiser (or the panel) recommends progress, deferral or no
progression, with reasons; the relevant body's decision is recorded separately. One per
review (its id follows from the review's).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID, uuid5

from aggregates.base import Context, first_event, next_event, require, require_text
from aggregates.review import Review
from events.base import DomainEvent
from events.pay import PayDecisionRecorded, PayOutcome, PayRecommendationMade


@dataclass(frozen=True, slots=True)
class PayRecommendation:
    id: UUID
    version: int
    review_id: UUID
    trust_id: UUID
    school_id: UUID
    appraisee_id: UUID
    recommendation: PayOutcome
    decision: PayOutcome | None = None


def pay_recommendation_id_for(review_id: UUID) -> UUID:
    return uuid5(review_id, "pay-recommendation")


def recommend_pay(
    *, review: Review, school_id: UUID, recommendation: PayOutcome, reasons: str, ctx: Context
) -> list[DomainEvent]:
    require(
        review.report_current,
        "pay-after-report",
        "a pay recommendation is made after the appraisal report is issued",
    )
    require_text(reasons, "reasons", rule="pay-reasons-required")
    return [
        first_event(
            PayRecommendationMade,
            pay_recommendation_id_for(review.id),
            ctx,
            review_id=review.id,
            cycle_id=review.cycle_id,
            trust_id=review.trust_id,
            school_id=school_id,
            appraisee_id=review.appraisee_id,
            recommendation=recommendation,
            reasons=reasons.strip(),
        )
    ]


def record_pay_decision(
    recommendation: PayRecommendation,
    *,
    decision: PayOutcome,
    body: str,
    decided_on: date,
    rationale: str,
    ctx: Context,
) -> list[DomainEvent]:
    require(recommendation.decision is None, "pay-decide-once", "the decision is already recorded")
    require_text(body, "body", rule="pay-decision-body-required")
    require_text(rationale, "rationale", rule="pay-decision-rationale-required")
    require(decided_on <= ctx.now.date(), "pay-decision-not-future", "it has not been decided yet")
    return [
        next_event(
            PayDecisionRecorded,
            recommendation,
            ctx,
            decision=decision,
            body=body.strip(),
            decided_on=decided_on,
            rationale=rationale.strip(),
        )
    ]


def evolve(state: PayRecommendation | None, event: DomainEvent) -> PayRecommendation:
    if isinstance(event, PayRecommendationMade):
        return PayRecommendation(
            id=event.originator_id,
            version=event.originator_version,
            review_id=event.review_id,
            trust_id=event.trust_id,
            school_id=event.school_id,
            appraisee_id=event.appraisee_id,
            recommendation=event.recommendation,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before PayRecommendationMade")
    s = replace(state, version=event.originator_version)
    match event:
        case PayDecisionRecorded():
            return replace(s, decision=event.decision)
    return s
