"""review_status: a review's stages, overdue reviews, and a review that follows its
appraisee to a new school."""

from __future__ import annotations

from datetime import date
from typing import Any

from events import review as rv
from projections.review_status import get_review, overdue_reviews, reviews_for_school


def test_a_review_moves_through_its_stages(trust: Any, project: Any) -> None:
    g, r = trust.given, trust.start_review()
    db = project().db
    assert get_review(db, r).stage == "started"  # type: ignore[union-attr]

    g(rv.MeetingRecorded, r, kind="planning", held_on=date(2025, 9, 20), notes="Plan")
    g(rv.MeetingRecorded, r, kind="mid_year", held_on=date(2026, 2, 20), notes="Mid")
    g(rv.AssessmentWritten, r, overall="meets", summary="Solid")
    g(rv.ReportIssued, r, issued_on=date(2026, 7, 1))
    review = get_review(project().db, r)
    assert review is not None
    assert (review.stage, review.overall) == ("reported", "meets")
    assert review.appeal_deadline == date(2026, 7, 11)  # the policy's ten-day window

    g(rv.SignedOff, r, by="appraisee")
    g(rv.SignedOff, r, by="appraiser")
    assert get_review(project().db, r).stage == "signed_off"  # type: ignore[union-attr]

    g(rv.ReviewReopened, r, reason="Appeal upheld")
    review = get_review(project().db, r)
    assert review is not None
    assert (review.stage, review.reopened, review.signed_by_appraisee) == ("reopened", 1, False)


def test_overdue_is_worked_out_against_the_day_asked_about(trust: Any, project: Any) -> None:
    r = trust.start_review()
    db = project().db
    review = get_review(db, r)
    assert review is not None

    assert review.overdue(date(2025, 10, 1)) == {
        "objectives": False,
        "mid_year": False,
        "report": False,
    }
    assert review.overdue(date(2025, 11, 1))["objectives"] is True
    assert [x.review_id for x in overdue_reviews(db, trust.cycle_id, date(2025, 11, 1))] == [r]
    assert overdue_reviews(db, trust.cycle_id, date(2025, 10, 1)) == []


def test_a_review_follows_its_appraisee_to_a_new_school(trust: Any, project: Any) -> None:
    r = trust.start_review()
    trust.move(trust.school_b, date(2025, 11, 1))
    db = project().db

    review = get_review(db, r)
    assert review is not None
    assert (review.school_id, review.current_school_id) == (trust.school_a, trust.school_b)
    assert [x.review_id for x in reviews_for_school(db, trust.school_b, trust.cycle_id)] == [r]
