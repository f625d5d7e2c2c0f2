"""The Observation aggregate: focus on the closed standards list, grades only by policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from aggregates import observation
from aggregates.base import Context
from aggregates.framework import ObservationPolicy
from aggregates.objective import Objective
from aggregates.observation import ObservationNotes
from events.base import DomainEvent
from events.observation import ObservationCommented, ObservationKind, ObservationRecorded
from tests.unit.aggregates.gwt import Decision, History, accepted, rejected
from tests.unit.aggregates.test_cpd import (
    ANN,
    ANNS_OBJECTIVE,
    BOB,
    CYCLE,
    REVIEW,
    REVIEW_STATE,
    SCHOOL,
    TRUST,
)

OBS = UUID("43000000-0000-4000-8000-0000000000d1")
NOTES = ObservationNotes(
    kind=ObservationKind.LESSON_OBSERVATION,
    held_on=date(2025, 9, 12),
    context="Year 4 guided reading, 28 pupils",
    focus_standards=("TS2", "TS5b"),
    strengths="Clear modelling of inference",
    areas_to_develop="Questions for the lowest 20%",
)
GRADED = ObservationPolicy(version=1, graded=True, grades=("Effective", "Developing"))


def record(  # type: ignore[no-untyped-def]
    ctx: Context,
    notes: ObservationNotes = NOTES,
    *,
    observer: UUID = BOB,
    policy: ObservationPolicy = ObservationPolicy(),
    objectives: tuple[Objective, ...] = (ANNS_OBJECTIVE,),
):
    return lambda _: observation.record_observation(
        OBS,
        review=REVIEW_STATE,
        school_id=SCHOOL,
        observer_id=observer,
        notes=notes,
        objectives=objectives,
        policy=policy,
        ctx=ctx,
    )


def recorded_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "trust_id": TRUST,
        "school_id": SCHOOL,
        "cycle_id": CYCLE,
        "review_id": REVIEW,
        "observed_id": ANN,
        "observer_id": BOB,
        "kind": NOTES.kind,
        "held_on": NOTES.held_on,
        "context": NOTES.context,
        "focus_standards": NOTES.focus_standards,
        "strengths": NOTES.strengths,
        "areas_to_develop": NOTES.areas_to_develop,
        "grade": None,
        "objective_ids": (ANNS_OBJECTIVE.id,),
    }
    return {**fields, **overrides}


@pytest.fixture
def recorded(history: History) -> list[DomainEvent]:
    return [history(ObservationRecorded, OBS, **recorded_fields())]


def test_an_ungraded_observation_is_recorded_against_the_standards(
    ctx: Context, history: History
) -> None:
    accepted(
        observation.evolve,
        given=[],
        when=record(ctx),
        then=[history.next(ObservationRecorded, OBS, **recorded_fields())],
    )


def test_a_grade_is_refused_unless_the_trusts_policy_asks_for_one(
    ctx: Context, history: History
) -> None:
    graded = replace(NOTES, grade="Effective")
    rejected(observation.evolve, given=[], when=record(ctx, graded), rule="observation-ungraded")
    rejected(
        observation.evolve,
        given=[],
        when=record(ctx, policy=GRADED),
        rule="observation-grade-in-policy",
    )
    accepted(
        observation.evolve,
        given=[],
        when=record(ctx, graded, policy=GRADED),
        then=[history.next(ObservationRecorded, OBS, **recorded_fields(grade="Effective"))],
    )


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"focus_standards": ("TS9",)}, "observation-standards-known"),
        ({"focus_standards": ()}, "observation-focus"),
        ({"held_on": date(2025, 9, 16)}, "observation-not-future"),
        ({"context": ""}, "observation-context-required"),
        ({"strengths": " "}, "observation-strengths-required"),
        ({"areas_to_develop": ""}, "observation-areas-required"),
    ],
)
def test_an_observation_must_be_complete_and_on_the_closed_list(
    ctx: Context, change: dict[str, Any], rule: str
) -> None:
    rejected(observation.evolve, given=[], when=record(ctx, replace(NOTES, **change)), rule=rule)


def test_nobody_observes_themselves_or_links_someone_elses_objective(ctx: Context) -> None:
    rejected(observation.evolve, given=[], when=record(ctx, observer=ANN), rule="observer-differs")
    bobs = replace(ANNS_OBJECTIVE, appraisee_id=BOB)
    rejected(
        observation.evolve,
        given=[],
        when=record(ctx, objectives=(bobs,)),
        rule="observation-objective-of-observed",
    )


def test_the_observed_person_responds_once(
    ctx: Context, history: History, recorded: list[DomainEvent]
) -> None:

    def comment(text: str) -> Decision:
        return lambda o: observation.comment_on_observation(o, comment=text, ctx=ctx)

    rejected(
        observation.evolve, given=recorded, when=comment(" "), rule="observation-comment-required"
    )
    state = accepted(
        observation.evolve,
        given=recorded,
        when=comment("Agreed; trying hinge questions"),
        then=[history.next(ObservationCommented, OBS, comment="Agreed; trying hinge questions")],
    )
    assert state.commented
    rejected(
        observation.evolve,
        given=[*recorded, history(ObservationCommented, OBS, comment="first")],
        when=comment("second"),
        rule="observation-comment-once",
    )
