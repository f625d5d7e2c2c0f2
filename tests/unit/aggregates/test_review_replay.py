"""The Review aggregate rebuilt from its history: a whole year replayed, and a history
that does not start with the review refused.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from aggregates import review
from aggregates.base import Context
from aggregates.review import AppealState, Review
from events.base import DomainEvent
from events.review import (
    ReviewReopened,
)
from events.values import (
    AppealOutcome,
    MeetingKind,
    ModerationOutcome,
    OverallJudgement,
    Signatory,
)
from tests.unit.aggregates.gwt import History, fold, on
from tests.unit.aggregates.review_support import (
    ANN,
    ANN_STAFF,
    BOB,
    BOB_STAFF,
    CYCLE,
    END_YEAR_DAY,
    ISSUED_DAY,
    MID_YEAR_DAY,
    OBJ1,
    OBJ2,
    OPEN_CYCLE,
    PLANNING_DAY,
    REVIEW,
    SCHOOL,
    TRUST,
    assess,
)

# Replay ----------------------------------------------------------------------------------------


def test_replaying_a_whole_year_rebuilds_the_review(ctx: Context) -> None:
    def at(day: date) -> Context:
        return on(ctx, day)

    decisions: list[Callable[[Any], list[DomainEvent]]] = [
        lambda _: review.start_review(OPEN_CYCLE, ANN_STAFF, BOB_STAFF, at(PLANNING_DAY)),
        lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "n", at(PLANNING_DAY)
        ),
        lambda r: review.link_objective(r, OPEN_CYCLE, OBJ1, at(PLANNING_DAY)),
        lambda r: review.link_objective(r, OPEN_CYCLE, OBJ2, at(PLANNING_DAY)),
        lambda r: review.unlink_objective(r, OBJ2, "merged", at(MID_YEAR_DAY)),
        lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.MID_YEAR, MID_YEAR_DAY, "n", at(MID_YEAR_DAY)
        ),
        lambda r: review.submit_self_assessment(r, OPEN_CYCLE, "mine", at(END_YEAR_DAY)),
        lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, END_YEAR_DAY, "n", at(END_YEAR_DAY)
        ),
        lambda r: assess(r, OPEN_CYCLE, OverallJudgement.MEETS, "s", (), (), "", at(END_YEAR_DAY)),
        lambda r: review.issue_report(r, OPEN_CYCLE, at(ISSUED_DAY)),
        lambda r: review.comment_on_report(r, OPEN_CYCLE, "ok", at(ISSUED_DAY)),
        lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISEE, at(ISSUED_DAY)),
        lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISER, at(ISSUED_DAY)),
        lambda r: review.lodge_appeal(r, OPEN_CYCLE, "unfair", at(date(2026, 7, 8))),
        lambda r: review.decide_appeal(
            r, OPEN_CYCLE, AppealOutcome.DISMISSED, "fair", at(date(2026, 7, 12))
        ),
        lambda r: review.moderate(
            r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", at(date(2026, 7, 13))
        ),
    ]
    state: Review | None = None
    decided: list[DomainEvent] = []
    for decide in decisions:
        events = decide(state)
        for event in events:
            state = review.evolve(state, event)
        decided.extend(events)

    assert [e.originator_version for e in decided] == list(range(1, 17))
    assert (
        fold(review.evolve, decided)
        == state
        == Review(
            REVIEW,
            16,
            CYCLE,
            TRUST,
            SCHOOL,
            ANN,
            BOB,
            active_objectives=frozenset({OBJ1}),
            all_objectives=frozenset({OBJ1, OBJ2}),
            meetings={
                MeetingKind.PLANNING: PLANNING_DAY,
                MeetingKind.MID_YEAR: MID_YEAR_DAY,
                MeetingKind.END_YEAR: END_YEAR_DAY,
            },
            self_assessed=True,
            assessment=OverallJudgement.MEETS,
            report_issued_on=ISSUED_DAY,
            signed_by=frozenset(Signatory),
            commented=True,
            moderation=ModerationOutcome.CONFIRMED,
            appeal=AppealState.DISMISSED,
        )
    )


def test_a_history_that_does_not_start_with_the_review_is_refused(history: History) -> None:
    with pytest.raises(ValueError, match="before ReviewStarted"):
        fold(review.evolve, [history(ReviewReopened, REVIEW, reason="r")])
