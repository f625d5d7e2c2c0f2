"""objective_current and objective_revisions, fed event by event through the engine."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from events import objective as ob
from events import review as rv
from events.values import FieldChange
from projections.objective_current import (
    get_objective,
    objectives_for_appraiser,
    objectives_for_review,
    objectives_for_school,
)
from projections.objective_revisions import changes_in_cycle, history


def draft(trust: Any, **overrides: Any) -> UUID:
    objective_id = uuid4()
    fields: dict[str, Any] = {
        "review_id": trust.review_id,
        "cycle_id": trust.cycle_id,
        "appraisee_id": trust.appraisee,
        "title": "Improve reading",
        "description": "Year 3 reading ages",
        "success_criteria": ("80% at expected",),
        "priority_id": trust.priority,
        "due_date": date(2026, 7, 1),
        **overrides,
    }
    trust.given(ob.ObjectiveDrafted, objective_id, actor=trust.appraiser, **fields)
    return objective_id


def test_an_objective_agreed_by_both_is_agreed(trust: Any, project: Any) -> None:
    trust.start_review()
    oid = draft(trust)
    trust.given(ob.ObjectiveAgreed, oid, actor=trust.appraisee, by="appraisee")
    db = project().db
    assert get_objective(db, oid).status == "awaiting_agreement"  # type: ignore[union-attr]

    trust.given(ob.ObjectiveAgreed, oid, actor=trust.appraiser, by="appraiser")
    row = get_objective(project().db, oid)

    assert row is not None
    assert row.status == "agreed"
    assert (row.appraisee_id, row.appraiser_id) == (trust.appraisee, trust.appraiser)
    assert (row.school_id, row.trust_id) == (trust.school_a, trust.trust_id)
    assert row.priority_title == "Reading"
    assert row.success_criteria == ["80% at expected"]


def test_revising_an_agreed_objective_clears_agreement_and_keeps_the_change(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    oid = draft(trust)
    trust.given(ob.ObjectiveAgreed, oid, by="appraisee")
    trust.given(ob.ObjectiveAgreed, oid, by="appraiser")
    change = FieldChange(field="title", old="Improve reading", new="Improve phonics")
    trust.given(ob.ObjectiveRevised, oid, changes=(change,), reason="Sharper focus")
    db = project().db

    row = get_objective(db, oid)
    assert row is not None
    assert (row.title, row.status, row.revisions) == ("Improve phonics", "draft", 1)
    assert not row.agreed_by_appraisee and not row.agreed_by_appraiser

    revised = [r for r in history(db, oid) if r.event_type == "ObjectiveRevised"]
    assert [(r.field, r.old_value, r.new_value) for r in revised] == [
        ("title", "Improve reading", "Improve phonics"),
        ("status", "agreed", "draft"),
    ]
    assert {r.reason for r in revised} == {"Sharper focus"}


def test_an_objective_counts_at_the_school_the_appraisee_was_in_when_it_was_drafted(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    first = draft(trust)
    trust.move(trust.school_b, date(2025, 11, 1))
    second = draft(trust, title="Lead a working group")
    db = project().db

    assert get_objective(db, first).school_id == trust.school_a  # type: ignore[union-attr]
    assert get_objective(db, second).school_id == trust.school_b  # type: ignore[union-attr]
    assert [o.objective_id for o in objectives_for_school(db, trust.school_b, trust.cycle_id)] == [
        second
    ]
    assert len(objectives_for_review(db, trust.review_id)) == 2


def test_a_new_appraiser_takes_over_the_objectives_of_the_review(trust: Any, project: Any) -> None:
    trust.start_review()
    oid = draft(trust)
    newcomer = uuid4()
    trust.given(
        rv.AppraiserChanged,
        trust.review_id,
        previous_appraiser_id=trust.appraiser,
        appraiser_id=newcomer,
        reason="Ada went on leave",
    )
    db = project().db

    assert [o.objective_id for o in objectives_for_appraiser(db, newcomer, trust.cycle_id)] == [oid]


def test_withdrawn_assessed_and_reinstated_objectives_report_their_status(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    kept, dropped = draft(trust), draft(trust, title="Second")
    trust.given(ob.ProgressRecorded, kept, percent=60, note="Good start")
    trust.given(ob.ObjectiveAssessed, kept, outcome="met", comment="Well done")
    trust.given(ob.ObjectiveWithdrawn, dropped, reason="Changed role")
    db = project().db
    assert get_objective(db, kept).status == "assessed"  # type: ignore[union-attr]
    assert get_objective(db, dropped).status == "withdrawn"  # type: ignore[union-attr]

    trust.given(ob.ObjectiveReinstated, dropped, reason="Review reopened")
    row = get_objective(project().db, dropped)
    assert row is not None and row.status == "draft" and row.withdrawal_reason is None
    changes = changes_in_cycle(db, trust.cycle_id)
    assert [c.field for c in changes if c.objective_id == kept][-3:] == [
        "progress_percent",
        "outcome",
        "status",
    ]
