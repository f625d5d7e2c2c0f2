"""review_status and the school and trust summaries: stages, overdue, staff who move."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from events import objective as ob
from events import review as rv
from projections.cycle_summary.school import school_summaries, school_summary
from projections.cycle_summary.trust import trust_summary
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


def test_staff_who_move_count_where_they_were_when_each_thing_happened(
    trust: Any, project: Any
) -> None:
    g, r = trust.given, trust.start_review()
    g(rv.MeetingRecorded, r, kind="planning", held_on=date(2025, 9, 20), notes="Plan")
    oid = uuid4()
    g(
        ob.ObjectiveDrafted,
        oid,
        review_id=r,
        cycle_id=trust.cycle_id,
        appraisee_id=trust.appraisee,
        title="Reading",
        description="Reading ages",
        success_criteria=("80%",),
        priority_id=trust.priority,
        due_date=date(2026, 7, 1),
    )
    g(ob.ObjectiveAgreed, oid, by="appraisee")
    trust.move(trust.school_b, date(2026, 1, 5))
    g(ob.ObjectiveAgreed, oid, by="appraiser")
    g(rv.MeetingRecorded, r, kind="mid_year", held_on=date(2026, 2, 20), notes="Mid")
    db = project().db

    a = school_summary(db, trust.school_a, trust.cycle_id)
    b = school_summary(db, trust.school_b, trust.cycle_id)
    assert a is not None and b is not None
    assert (a.staff_in_cycle, a.planning_done, a.objectives_set, a.objectives_agreed) == (
        1,
        1,
        1,
        0,
    )
    assert (b.staff_in_cycle, b.mid_year_done, b.objectives_set, b.objectives_agreed) == (
        1,
        1,
        0,
        1,
    )
    assert (a.school_name, a.priorities_applicable, a.priorities_covered) == ("Alder Primary", 1, 1)
    assert [s.school_name for s in school_summaries(db, trust.trust_id, trust.cycle_id)] == [
        "Alder Primary",
        "Birch Academy",
    ]

    totals = trust_summary(db, trust.trust_id, trust.cycle_id)
    assert totals is not None
    # The person counts in both schools' rows but once in the trust's totals.
    assert (totals.staff_in_cycle, totals.schools_count, len(totals.schools)) == (1, 2, 2)
    assert (totals.objectives_set, totals.objectives_agreed) == (1, 1)
    assert totals.overdue(date(2026, 8, 1)) == {"objectives": 0, "mid_year": 0, "report": 1}


def test_a_withdrawn_objective_leaves_the_counts(trust: Any, project: Any) -> None:
    g, r = trust.given, trust.start_review()
    oid = uuid4()
    g(
        ob.ObjectiveDrafted,
        oid,
        review_id=r,
        cycle_id=trust.cycle_id,
        appraisee_id=trust.appraisee,
        title="Reading",
        description="Reading ages",
        success_criteria=(),
        due_date=date(2026, 7, 1),
    )
    g(ob.ObjectiveWithdrawn, oid, reason="Left the phase")
    summary = school_summary(project().db, trust.school_a, trust.cycle_id)
    assert summary is not None
    assert (summary.objectives_set, summary.objectives_withdrawn) == (0, 1)
