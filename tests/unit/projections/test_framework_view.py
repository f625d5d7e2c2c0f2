"""framework_view: a cycle's outcomes counted by the rating scale in force for it."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from events import cycle as cy
from events import framework as fw
from events import objective as ob
from events import review as rv
from events.values import CyclePolicy
from projections import framework_view
from tests.unit.projections.test_objective_current import draft


def test_outcomes_are_counted_by_the_scale_in_force_for_the_cycle(trust: Any, project: Any) -> None:
    trust.start_review()
    levels = (
        fw.ScaleLevel(key="exceeded", label="Exceeded", counts_as="met"),
        fw.ScaleLevel(key="achieved", label="Achieved", counts_as="met"),
        fw.ScaleLevel(key="not_yet", label="Not yet", counts_as="not_met"),
    )
    overall = (
        fw.ScaleLevel(key="secure", label="Secure", counts_as="meets"),
        fw.ScaleLevel(key="support", label="Support", counts_as="does_not_meet"),
    )
    trust.given(
        fw.RatingScalePublished,
        uuid4(),
        trust_id=trust.trust_id,
        scale_version=1,
        name="Three-point",
        objective_levels=levels,
        overall_levels=overall,
    )
    one, two, three = draft(trust), draft(trust), draft(trust)
    trust.given(ob.ObjectiveAssessed, one, outcome="met", comment="c")  # before adoption
    trust.given(
        cy.PolicyChanged,
        trust.cycle_id,
        old_policy=CyclePolicy(),
        new_policy=CyclePolicy(rating_scale_version=1),
        reason="Adopt",
    )
    trust.given(ob.ObjectiveAssessed, two, outcome="met", level="exceeded", comment="c")
    trust.given(ob.ObjectiveAssessed, three, outcome="not_met", level="not_yet", comment="c")
    trust.given(
        rv.AssessmentWritten, trust.review_id, overall="meets", summary="s", overall_level="secure"
    )
    db = project().db
    out = framework_view.cycle_outcomes(db, trust.trust_id, trust.cycle_id)
    assert out.scale.name == "Three-point"
    assert [(c.label, c.count) for c in out.trust.objectives] == [
        ("Exceeded", 2),  # the one assessed before adoption counts at the first "met" level
        ("Achieved", 0),
        ("Not yet", 1),
    ]
    assert [(c.label, c.count) for c in out.trust.overall] == [("Secure", 1), ("Support", 0)]
    assert [s.school for s in out.schools] == ["Alder Primary"]
    assert [v.version for v in framework_view.scales(db, trust.trust_id)] == [0, 1]


def test_a_cycles_outcomes_are_named_by_the_cycle(trust: Any, project: Any) -> None:
    trust.start_review()
    out = framework_view.cycle_outcomes(project().db, trust.trust_id, trust.cycle_id)
    assert out.cycle == "2025-26"
