"""cpd_log and cpd_summary: a person's CPD log, and the school and trust views checked
against sums done by hand."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from events import cpd as cp
from events import objective as ob
from projections import cpd_log
from projections.cpd_summary import NO_PRIORITY, trust_cpd
from tests.unit.projections.test_objective_current import draft


def plan(
    trust: Any, objective_ids: list[UUID], *, hours: float, cost: int, kind: str = "course"
) -> UUID:
    activity = uuid4()
    trust.given(
        cp.CpdPlanned,
        activity,
        actor=trust.appraisee,
        trust_id=trust.trust_id,
        school_id=trust.school_a,
        cycle_id=trust.cycle_id,
        review_id=trust.review_id,
        staff_id=trust.appraisee,
        title=f"Activity {hours}",
        provider="Hub",
        kind=kind,
        starts_on=date(2025, 9, 10),
        ends_on=date(2025, 9, 10),
        hours=hours,
        cost_pence=cost,
        objective_ids=tuple(objective_ids),
        development_needs=(),
    )
    return activity


def test_the_cpd_views_add_up_as_done_by_hand(trust: Any, project: Any) -> None:
    trust.start_review()
    reading = draft(trust)  # priority "Reading"
    writing = draft(trust, title="Improve writing", priority_id=None)
    spare = draft(trust, title="Lead a club", priority_id=None)
    a = plan(trust, [reading, writing], hours=6, cost=10_000)
    b = plan(trust, [reading], hours=2, cost=0, kind="coaching")
    c = plan(trust, [spare], hours=3, cost=5_000)
    trust.given(cp.CpdCompleted, a, completed_on=date(2025, 9, 10), hours=7.0, cost_pence=12_000)
    trust.given(cp.CpdReflected, a, reflection="Useful", impact="strong")
    trust.given(cp.CpdCompleted, b, completed_on=date(2025, 9, 10), hours=2.0, cost_pence=0)
    trust.given(cp.CpdReflected, b, reflection="Some", impact="some")
    trust.given(cp.CpdCancelled, c, reason="Course cancelled")
    for oid, outcome in ((reading, "met"), (writing, "not_met"), (spare, "met")):
        trust.given(ob.ObjectiveAssessed, oid, outcome=outcome, comment="done")
    db = project().db

    log = cpd_log.person_log(db, trust.appraisee, trust.cycle_id)
    assert {x.activity_id: x.status for x in log} == {a: "done", b: "done", c: "cancelled"}

    view = trust_cpd(db, trust.trust_id, trust.cycle_id)
    [school] = view.schools
    assert school.school == "Alder Primary" and view.cycle == "2025-26"
    e = school.effort
    # Planned: a and b (c cancelled) = 6 + 2 h, £100 + £0; done: 7 + 2 h, £120 + £0.
    assert (e.planned, e.done, e.planned_hours, e.done_hours) == (2, 2, 8.0, 9.0)
    assert (e.planned_spend_pence, e.done_spend_pence) == (10_000, 12_000)
    by_priority = {p.priority: p.effort for p in school.by_priority}
    # a splits between Reading and no priority (3 h + 3 h planned, 3.5 + 3.5 done); b is Reading.
    assert by_priority["Reading"].planned_hours == 5.0
    assert by_priority["Reading"].done_hours == 5.5
    assert by_priority["Reading"].done_spend_pence == 6_000
    assert by_priority[NO_PRIORITY].planned_hours == 3.0
    assert {k.kind: k.effort.done for k in school.by_kind} == {"coaching": 1, "course": 1}
    i = school.impact
    # Supported by done CPD: reading (met) and writing (not met): 1 of 2. Others: spare, met.
    assert (i.supported_assessed, i.supported_met, i.supported_met_rate) == (2, 1, 0.5)
    assert (i.other_assessed, i.other_met, i.other_met_rate) == (1, 1, 1.0)
    assert (i.reflected, i.mean_impact) == (2, 2.0)  # strong 3, some 1
    assert view.trust.effort == school.effort
