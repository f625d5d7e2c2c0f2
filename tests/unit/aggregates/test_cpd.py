"""The CPD activity aggregate: planned and linked, done, reflected on, or cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from aggregates import cpd
from aggregates.base import Context
from aggregates.cpd import CpdPlan, CpdStatus
from aggregates.objective import Objective, ObjectiveStatus
from aggregates.review import Review
from events.base import DomainEvent
from events.cpd import CpdCancelled, CpdCompleted, CpdKind, CpdPlanned, CpdReflected, ImpactRating
from tests.unit.aggregates.gwt import History, accepted, rejected
from tests.unit.aggregates.test_objective import CONTENT

TRUST = UUID("41000000-0000-4000-8000-000000000001")
SCHOOL = UUID("41000000-0000-4000-8000-000000000002")
CYCLE = UUID("41000000-0000-4000-8000-000000000003")
REVIEW = UUID("41000000-0000-4000-8000-000000000005")
ANN = UUID("41000000-0000-4000-8000-0000000000a1")
BOB = UUID("41000000-0000-4000-8000-0000000000b0")
OBJ = UUID("41000000-0000-4000-8000-0000000000f1")
OTHER_OBJ = UUID("41000000-0000-4000-8000-0000000000f2")
ACT = UUID("41000000-0000-4000-8000-0000000000c1")

REVIEW_STATE = Review(
    id=REVIEW,
    version=3,
    cycle_id=CYCLE,
    trust_id=TRUST,
    school_id=SCHOOL,
    appraisee_id=ANN,
    appraiser_id=BOB,
    active_objectives=frozenset({OBJ}),
    all_objectives=frozenset({OBJ}),
)
ANNS_OBJECTIVE = Objective(
    id=OBJ, version=3, review_id=REVIEW, cycle_id=CYCLE, appraisee_id=ANN, content=CONTENT
)
PLAN = CpdPlan(
    title="Guided reading masterclass",
    provider="Maths & English Hub",
    kind=CpdKind.COURSE,
    starts_on=date(2025, 9, 10),
    ends_on=date(2025, 9, 12),
    hours=6.0,
    cost_pence=15_000,
    development_needs=("Questioning in guided reading",),
)


def planned_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "trust_id": TRUST,
        "school_id": SCHOOL,
        "cycle_id": CYCLE,
        "review_id": REVIEW,
        "staff_id": ANN,
        "title": PLAN.title,
        "provider": PLAN.provider,
        "kind": PLAN.kind,
        "starts_on": PLAN.starts_on,
        "ends_on": PLAN.ends_on,
        "hours": PLAN.hours,
        "cost_pence": PLAN.cost_pence,
        "objective_ids": (OBJ,),
        "development_needs": PLAN.development_needs,
    }
    return {**fields, **overrides}


def plan(ctx: Context, p: CpdPlan = PLAN, objectives: tuple[Objective, ...] = (ANNS_OBJECTIVE,)):  # type: ignore[no-untyped-def]
    return lambda _: cpd.plan_cpd(
        ACT, review=REVIEW_STATE, school_id=SCHOOL, plan=p, objectives=objectives, ctx=ctx
    )


@pytest.fixture
def planned(history: History) -> list[DomainEvent]:
    return [history(CpdPlanned, ACT, **planned_fields())]


@pytest.fixture
def done(history: History, planned: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *planned,
        history(CpdCompleted, ACT, completed_on=date(2025, 9, 12), hours=6.0, cost_pence=15_000),
    ]


def test_planning_links_the_activity_to_the_persons_objective_and_needs(
    ctx: Context, history: History
) -> None:
    state = accepted(
        cpd.evolve,
        given=[],
        when=plan(ctx),
        then=[history.next(CpdPlanned, ACT, **planned_fields())],
    )
    assert state.status is CpdStatus.PLANNED
    assert state.objective_ids == (OBJ,)


def test_an_objective_of_someone_else_is_refused(ctx: Context) -> None:
    someone_elses = replace(ANNS_OBJECTIVE, id=OTHER_OBJ, appraisee_id=BOB)
    rejected(
        cpd.evolve,
        given=[],
        when=plan(ctx, objectives=(someone_elses,)),
        rule="cpd-objective-of-appraisee",
    )


def test_a_withdrawn_objective_is_not_linked(ctx: Context) -> None:
    withdrawn = replace(ANNS_OBJECTIVE, status=ObjectiveStatus.WITHDRAWN)
    rejected(
        cpd.evolve, given=[], when=plan(ctx, objectives=(withdrawn,)), rule="cpd-objective-active"
    )


def test_an_activity_linked_to_nothing_is_refused(ctx: Context) -> None:
    unlinked = replace(PLAN, development_needs=(" ",))
    rejected(cpd.evolve, given=[], when=plan(ctx, unlinked, ()), rule="cpd-linked")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"title": "  "}, "cpd-title-required"),
        ({"ends_on": date(2025, 9, 1)}, "cpd-dates"),
        ({"hours": 0.0}, "cpd-hours"),
        ({"hours": 501.0}, "cpd-hours"),
        ({"cost_pence": -1}, "cpd-cost"),
    ],
)
def test_a_plan_must_be_well_formed(ctx: Context, change: dict[str, Any], rule: str) -> None:
    rejected(cpd.evolve, given=[], when=plan(ctx, replace(PLAN, **change)), rule=rule)


def test_done_records_the_actual_hours_and_cost(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    state = accepted(
        cpd.evolve,
        given=planned,
        when=lambda a: cpd.complete_cpd(
            a, completed_on=date(2025, 9, 12), hours=7.5, cost_pence=None, ctx=ctx
        ),
        then=[
            history.next(
                CpdCompleted, ACT, completed_on=date(2025, 9, 12), hours=7.5, cost_pence=15_000
            )
        ],
    )
    assert state.status is CpdStatus.DONE


def test_done_cannot_be_dated_before_the_start_or_in_the_future(
    ctx: Context, planned: list[DomainEvent]
) -> None:
    for day in (date(2025, 9, 9), date(2025, 9, 16)):
        rejected(
            cpd.evolve,
            given=planned,
            when=lambda a, day=day: cpd.complete_cpd(  # type: ignore[misc]
                a, completed_on=day, hours=None, cost_pence=None, ctx=ctx
            ),
            rule="cpd-completed-on",
        )


def test_only_a_planned_activity_is_done_or_cancelled(
    ctx: Context, done: list[DomainEvent]
) -> None:
    rejected(
        cpd.evolve,
        given=done,
        when=lambda a: cpd.cancel_cpd(a, reason="no longer needed", ctx=ctx),
        rule="cpd-planned",
    )


def test_reflection_comes_after_the_activity_is_done(
    ctx: Context, history: History, planned: list[DomainEvent], done: list[DomainEvent]
) -> None:
    reflect = lambda a: cpd.reflect_on_cpd(  # noqa: E731
        a, reflection="Questions now planned", impact=ImpactRating.CLEAR, ctx=ctx
    )
    rejected(cpd.evolve, given=planned, when=reflect, rule="cpd-done")
    state = accepted(
        cpd.evolve,
        given=done,
        when=reflect,
        then=[
            history.next(
                CpdReflected, ACT, reflection="Questions now planned", impact=ImpactRating.CLEAR
            )
        ],
    )
    assert state.impact is ImpactRating.CLEAR
    rejected(
        cpd.evolve,
        given=[*done, history(CpdReflected, ACT, reflection="x", impact="some")],
        when=reflect,
        rule="cpd-reflect-once",
    )


def test_a_reflection_is_not_blank(ctx: Context, done: list[DomainEvent]) -> None:
    rejected(
        cpd.evolve,
        given=done,
        when=lambda a: cpd.reflect_on_cpd(a, reflection=" ", impact=ImpactRating.SOME, ctx=ctx),
        rule="cpd-reflection-required",
    )


def test_cancelling_needs_a_reason(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    rejected(
        cpd.evolve,
        given=planned,
        when=lambda a: cpd.cancel_cpd(a, reason=" ", ctx=ctx),
        rule="cpd-cancel-reason-required",
    )
    state = accepted(
        cpd.evolve,
        given=planned,
        when=lambda a: cpd.cancel_cpd(a, reason="Course withdrawn", ctx=ctx),
        then=[history.next(CpdCancelled, ACT, reason="Course withdrawn")],
    )
    assert state.status is CpdStatus.CANCELLED
