"""The Review aggregate: the objectives linked to a review, up to the cycle policy's limit.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from aggregates import review
from aggregates.base import Context
from events.base import DomainEvent
from events.review import (
    ObjectiveLinked,
    ObjectiveUnlinked,
)
from tests.unit.aggregates.gwt import History, accepted, fold, rejected
from tests.unit.aggregates.review_support import (
    OBJ1,
    OBJ2,
    OBJ3,
    OPEN_CYCLE,
    REVIEW,
    later,
)

# Objectives on the review ----------------------------------------------------------------------


def test_linking_objectives_up_to_the_policys_limit(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    given = [*started, history(ObjectiveLinked, REVIEW, objective_id=OBJ1)]
    state = accepted(
        review.evolve,
        given=given,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ2, ctx),
        then=[history.next(ObjectiveLinked, REVIEW, objective_id=OBJ2)],
    )
    assert state.active_objectives == {OBJ1, OBJ2} == state.all_objectives


def test_a_review_has_at_most_the_policys_number_of_active_objectives(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    given = [
        *started,
        history(ObjectiveLinked, REVIEW, objective_id=OBJ1),
        history(ObjectiveLinked, REVIEW, objective_id=OBJ2),
    ]
    broken = rejected(
        review.evolve,
        given=given,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ3, ctx),
        rule="max-objectives",
    )
    assert "2" in broken.message


def test_a_withdrawn_objective_frees_its_place(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    given = [
        *started,
        history(ObjectiveLinked, REVIEW, objective_id=OBJ1),
        history(ObjectiveLinked, REVIEW, objective_id=OBJ2),
    ]
    unlinked = accepted(
        review.evolve,
        given=given,
        when=lambda r: review.unlink_objective(r, OBJ1, "role changed", ctx),
        then=[history.next(ObjectiveUnlinked, REVIEW, objective_id=OBJ1, reason="role changed")],
    )
    assert unlinked.active_objectives == {OBJ2}
    assert unlinked.all_objectives == {OBJ1, OBJ2}

    given.append(history(ObjectiveUnlinked, REVIEW, objective_id=OBJ1, reason="role changed"))
    accepted(
        review.evolve,
        given=given,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ3, ctx),
        then=[history.next(ObjectiveLinked, REVIEW, objective_id=OBJ3)],
    )


def test_linking_as_the_second_event_of_a_command_takes_the_next_version_but_one(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    state = fold(review.evolve, started)
    assert state is not None
    decided = review.link_objective(state, OPEN_CYCLE, OBJ1, ctx, offset=2)
    assert decided == [history.next(ObjectiveLinked, REVIEW, offset=2, objective_id=OBJ1)]


def test_objectives_are_not_added_after_the_report(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ1, later(ctx)),
        rule="report-not-issued",
    )


def test_only_an_active_objective_of_the_review_is_unlinked(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.unlink_objective(r, OBJ1, "not ours", ctx),
        rule="objective-active",
    )
    given = [
        *started,
        history(ObjectiveLinked, REVIEW, objective_id=OBJ1),
        history(ObjectiveUnlinked, REVIEW, objective_id=OBJ1, reason="withdrawn"),
    ]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.unlink_objective(r, OBJ1, "again", ctx),
        rule="objective-active",
    )
