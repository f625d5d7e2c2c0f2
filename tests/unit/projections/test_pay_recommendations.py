"""pay_recommendations: a review's recommendation and its decision, one row."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from events import pay as py
from projections import pay_recommendations as pay


def test_a_pay_recommendation_and_its_decision_are_one_row_per_review(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    rec = uuid4()
    trust.given(
        py.PayRecommendationMade,
        rec,
        actor=trust.appraiser,
        review_id=trust.review_id,
        cycle_id=trust.cycle_id,
        trust_id=trust.trust_id,
        school_id=trust.school_a,
        appraisee_id=trust.appraisee,
        recommendation="progress",
        reasons="Met",
    )
    trust.given(
        py.PayDecisionRecorded,
        rec,
        decision="defer",
        body="Pay committee",
        decided_on=date(2025, 10, 1),
        rationale="Budget",
    )
    row = pay.for_review(project().db, trust.review_id)
    assert row is not None
    assert (row.recommendation, row.decision, row.decision_body) == (
        "progress",
        "defer",
        "Pay committee",
    )
