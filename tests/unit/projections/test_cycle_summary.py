"""cycle_summary: the school and trust summaries of a cycle, counting staff who move where
they were when each thing happened, and leaving out withdrawn objectives."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from hypothesis import given, settings

from events import objective as ob
from events import review as rv
from events.base import DomainEvent
from events.values import FieldChange
from projections import objective_fold as fold
from projections.cycle_summary.school import school_summaries, school_summary
from projections.cycle_summary.subjects import IGNORED, KEPT
from projections.cycle_summary.trust import trust_summary
from tests.unit.projections.test_objective_fold import histories


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


def test_agreement_no_longer_counts_once_revised_and_counts_where_agreed_again(
    trust: Any, project: Any
) -> None:
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
    g(ob.ObjectiveAgreed, oid, by="appraisee")
    g(ob.ObjectiveAgreed, oid, by="appraiser")
    trust.move(trust.school_b, date(2026, 1, 5))
    change = FieldChange(field="title", old="Reading", new="Reading for pleasure")
    g(ob.ObjectiveRevised, oid, changes=(change,), reason="Wider aim")
    db = project().db
    a = school_summary(db, trust.school_a, trust.cycle_id)
    assert a is not None and (a.objectives_set, a.objectives_agreed) == (1, 0)

    g(ob.ObjectiveAgreed, oid, by="appraiser")
    g(ob.ObjectiveAgreed, oid, by="appraisee")
    g(ob.ObjectiveAssessed, oid, outcome="met", comment="Done")
    db = project().db
    a = school_summary(db, trust.school_a, trust.cycle_id)
    b = school_summary(db, trust.school_b, trust.cycle_id)
    assert a is not None and b is not None
    # Counted where it was drafted, agreed again and assessed: the appraisee's school each day.
    assert (a.objectives_set, a.objectives_agreed, a.outcome_met) == (1, 0, 0)
    assert (b.objectives_set, b.objectives_agreed, b.outcome_met) == (0, 1, 1)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_the_objective_events_the_summaries_do_not_read_change_nothing_they_keep(
    events: list[DomainEvent],
) -> None:
    """The summaries keep part of the shared fold's state and skip the events that change
    none of it, so what they keep is what the whole fold holds."""
    first, *rest = events
    assert isinstance(first, ob.ObjectiveDrafted)
    state = fold.drafted(first)
    for event in rest:
        assert isinstance(event, fold.CHANGES)
        if isinstance(event, IGNORED):
            assert not set(fold.changes(state, event)) & set(KEPT)
        state = fold.evolve(state, event)
