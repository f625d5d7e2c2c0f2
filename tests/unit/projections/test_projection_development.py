"""The read models around the appraisal, fed events through the engine: CPD (a person's log,
the school and trust views checked against sums done by hand), evidence, observations and the
standards focus, pay recommendations, and outcomes by the cycle's scale."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from events import cpd as cp
from events import cycle as cy
from events import evidence as ev
from events import framework as fw
from events import objective as ob
from events import observation as obs
from events import pay as py
from events import review as rv
from events.values import CyclePolicy
from projections import cpd_log, evidence_list, framework_view, observation_log
from projections import pay_recommendations as pay
from projections.cpd_summary import NO_PRIORITY, trust_cpd
from tests.unit.projections.test_projection_objectives import draft


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


def test_evidence_rows_keep_the_hash_after_removal(trust: Any, project: Any) -> None:
    trust.start_review()
    oid = draft(trust)
    evidence_id = uuid4()
    trust.given(
        ev.EvidenceFileAttached,
        evidence_id,
        actor=trust.appraisee,
        trust_id=trust.trust_id,
        school_id=trust.school_a,
        person_id=trust.appraisee,
        subject="objective",
        subject_id=oid,
        title="Data",
        filename="data.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="ab" * 32,
    )
    trust.given(ev.EvidenceRemoved, evidence_id, reason="Wrong file")
    [row] = evidence_list.evidence_for(project().db, oid)
    assert row.removed and row.sha256 == "ab" * 32 and row.removal_reason == "Wrong file"


def observe(
    trust: Any, school: UUID, focus: tuple[str, ...], kind: str = "lesson_observation"
) -> UUID:
    oid = uuid4()
    trust.given(
        obs.ObservationRecorded,
        oid,
        actor=trust.appraiser,
        trust_id=trust.trust_id,
        school_id=school,
        cycle_id=trust.cycle_id,
        review_id=trust.review_id,
        observed_id=trust.appraisee,
        observer_id=trust.appraiser,
        kind=kind,
        held_on=date(2025, 9, 12),
        context="Year 4",
        focus_standards=focus,
        strengths="s",
        areas_to_develop="a",
    )
    return oid


def test_the_standards_focus_counts_each_headline_standard_once_per_observation_by_school(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    first = observe(trust, trust.school_a, ("TS2", "TS2c", "TS5"))
    observe(trust, trust.school_a, ("TS5b",), "learning_walk")
    observe(trust, trust.school_b, ("TS7",))
    trust.given(obs.ObservationCommented, first, actor=trust.appraisee, comment="Thanks")
    db = project().db
    focus = observation_log.standards_focus(db, trust.trust_id, trust.cycle_id)
    by_school = {s.school: {c.standard: c.observations for c in s.standards} for s in focus.schools}
    assert by_school == {"Alder Primary": {"TS2": 1, "TS5": 2}, "Birch Academy": {"TS7": 1}}
    assert [(s.school, s.observations, s.learning_walks) for s in focus.schools] == [
        ("Alder Primary", 1, 1),
        ("Birch Academy", 1, 0),
    ]
    got = observation_log.get_observation(db, first)
    assert got is not None and got.comment == "Thanks"


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
