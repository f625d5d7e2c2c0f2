"""cycle_summary: the school and trust summaries of a cycle, counting staff who move where
they were when each thing happened, and leaving out withdrawn objectives."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from events import objective as ob
from events import review as rv
from projections.cycle_summary.school import school_summaries, school_summary
from projections.cycle_summary.trust import trust_summary


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
