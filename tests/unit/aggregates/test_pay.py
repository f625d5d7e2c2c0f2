"""The pay recommendation: after the report, with reasons; the decision recorded apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from aggregates import pay
from aggregates.base import Context
from aggregates.pay import pay_recommendation_id_for
from events.base import DomainEvent
from events.pay import PayDecisionRecorded, PayOutcome, PayRecommendationMade
from tests.unit.aggregates.gwt import Decision, History, accepted, rejected
from tests.unit.aggregates.test_cpd import ANN, CYCLE, REVIEW, REVIEW_STATE, SCHOOL, TRUST

PAY_ID = pay_recommendation_id_for(REVIEW)
ISSUED = replace(REVIEW_STATE, report_issued_on=date(2025, 9, 14))


@pytest.fixture
def recommended(history: History) -> list[DomainEvent]:
    return [
        history(
            PayRecommendationMade,
            PAY_ID,
            review_id=REVIEW,
            cycle_id=CYCLE,
            trust_id=TRUST,
            school_id=SCHOOL,
            appraisee_id=ANN,
            recommendation=PayOutcome.PROGRESS,
            reasons="All objectives met",
        )
    ]


def test_a_recommendation_follows_the_issued_report(ctx: Context, history: History) -> None:
    def recommend(rv: Any) -> Decision:
        return lambda _: pay.recommend_pay(
            review=rv,
            school_id=SCHOOL,
            recommendation=PayOutcome.PROGRESS,
            reasons="All objectives met",
            ctx=ctx,
        )

    rejected(pay.evolve, given=[], when=recommend(REVIEW_STATE), rule="pay-after-report")
    reopened = replace(ISSUED, reopened=True)
    rejected(pay.evolve, given=[], when=recommend(reopened), rule="pay-after-report")
    accepted(
        pay.evolve,
        given=[],
        when=recommend(ISSUED),
        then=[
            history.next(
                PayRecommendationMade,
                PAY_ID,
                review_id=REVIEW,
                cycle_id=CYCLE,
                trust_id=TRUST,
                school_id=SCHOOL,
                appraisee_id=ANN,
                recommendation=PayOutcome.PROGRESS,
                reasons="All objectives met",
            )
        ],
    )


def test_a_recommendation_gives_reasons(ctx: Context) -> None:
    rejected(
        pay.evolve,
        given=[],
        when=lambda _: pay.recommend_pay(
            review=ISSUED, school_id=SCHOOL, recommendation=PayOutcome.DEFER, reasons=" ", ctx=ctx
        ),
        rule="pay-reasons-required",
    )


def decide(ctx: Context, **change: object) -> Decision:
    fields: dict[str, Any] = {
        "decision": PayOutcome.PROGRESS,
        "body": "Pay committee",
        "decided_on": date(2025, 9, 15),
        "rationale": "Agreed with the recommendation",
        **change,
    }
    return lambda rec: pay.record_pay_decision(rec, ctx=ctx, **fields)


def test_the_decision_is_recorded_separately_once(
    ctx: Context, history: History, recommended: list[DomainEvent]
) -> None:
    state = accepted(
        pay.evolve,
        given=recommended,
        when=decide(ctx),
        then=[
            history.next(
                PayDecisionRecorded,
                PAY_ID,
                decision=PayOutcome.PROGRESS,
                body="Pay committee",
                decided_on=date(2025, 9, 15),
                rationale="Agreed with the recommendation",
            )
        ],
    )
    assert state.decision is PayOutcome.PROGRESS
    given = [
        *recommended,
        history(
            PayDecisionRecorded,
            PAY_ID,
            decision="defer",
            body="PC",
            decided_on=date(2025, 9, 15),
            rationale="r",
        ),
    ]
    rejected(pay.evolve, given=given, when=decide(ctx), rule="pay-decide-once")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"body": " "}, "pay-decision-body-required"),
        ({"rationale": ""}, "pay-decision-rationale-required"),
        ({"decided_on": date(2025, 9, 16)}, "pay-decision-not-future"),
    ],
)
def test_a_decision_names_the_body_and_its_rationale(
    ctx: Context, recommended: list[DomainEvent], change: dict[str, object], rule: str
) -> None:
    rejected(pay.evolve, given=recommended, when=decide(ctx, **change), rule=rule)


def test_pay_events_are_restricted() -> None:
    assert PayRecommendationMade.restricted and PayDecisionRecorded.restricted
