"""The Review aggregate: the planning, mid-year and end-of-year meetings, in order and in
the cycle.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from aggregates import review
from aggregates.base import Context
from events.base import DomainEvent
from events.review import (
    MeetingRecorded,
)
from events.values import (
    MeetingKind,
)
from tests.unit.aggregates.gwt import History, accepted, rejected
from tests.unit.aggregates.review_support import (
    END_YEAR_DAY,
    MID_YEAR_DAY,
    OPEN_CYCLE,
    PLANNING_DAY,
    REVIEW,
    later,
)

# Meetings --------------------------------------------------------------------------------------


def test_recording_the_planning_meeting(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    state = accepted(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "objectives discussed", ctx
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                kind=MeetingKind.PLANNING,
                held_on=PLANNING_DAY,
                notes="objectives discussed",
            )
        ],
    )
    assert state.meetings == {MeetingKind.PLANNING: PLANNING_DAY}


def test_review_meetings_follow_the_planning_meeting_in_order(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    x = later(ctx)
    after_mid = accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.MID_YEAR, MID_YEAR_DAY, "n", x
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=x,
                kind=MeetingKind.MID_YEAR,
                held_on=MID_YEAR_DAY,
                notes="n",
            )
        ],
    )
    assert after_mid.meetings[MeetingKind.MID_YEAR] == MID_YEAR_DAY
    # the end-of-year meeting may also follow the planning meeting without a mid-year one
    accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, END_YEAR_DAY, "n", x
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=x,
                kind=MeetingKind.END_YEAR,
                held_on=END_YEAR_DAY,
                notes="n",
            )
        ],
    )


@pytest.mark.parametrize(
    "held_on", [date(2025, 8, 31), date(2026, 9, 1)], ids=["before the cycle", "after the cycle"]
)
def test_a_meeting_falls_within_the_cycle(
    ctx: Context, started: list[DomainEvent], held_on: date
) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, held_on, "n", later(ctx, date(2026, 9, 2))
        ),
        rule="meeting-in-cycle",
    )


def test_a_meeting_cannot_be_recorded_ahead_of_the_day_it_is_held(
    ctx: Context, started: list[DomainEvent]
) -> None:
    tomorrow = ctx.now.date() + timedelta(days=1)
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, tomorrow, "n", ctx
        ),
        rule="meeting-not-future",
    )


def test_each_meeting_is_recorded_once(ctx: Context, planned: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "again", ctx
        ),
        rule="meeting-once",
    )


def test_a_reopened_review_may_hold_a_meeting_again(
    ctx: Context, history: History, reopened: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=reopened,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, date(2026, 7, 9), "after appeal", x
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=x,
                kind=MeetingKind.END_YEAR,
                held_on=date(2026, 7, 9),
                notes="after appeal",
            )
        ],
    )
    assert state.meetings[MeetingKind.END_YEAR] == date(2026, 7, 9)


@pytest.mark.parametrize(
    ("fixture", "kind", "held_on"),
    [
        ("started", MeetingKind.MID_YEAR, MID_YEAR_DAY),
        ("started", MeetingKind.END_YEAR, END_YEAR_DAY),
        ("planned", MeetingKind.MID_YEAR, date(2025, 9, 5)),
        ("mid_year_held", MeetingKind.END_YEAR, date(2026, 1, 15)),
    ],
    ids=[
        "mid-year without planning",
        "end-of-year without planning",
        "mid-year before planning",
        "end-of-year before mid-year",
    ],
)
def test_meetings_are_held_in_order(
    ctx: Context,
    history: History,
    request: pytest.FixtureRequest,
    fixture: str,
    kind: MeetingKind,
    held_on: date,
) -> None:
    if fixture == "mid_year_held":
        given = [
            *request.getfixturevalue("planned"),
            history(
                MeetingRecorded, REVIEW, kind=MeetingKind.MID_YEAR, held_on=MID_YEAR_DAY, notes="n"
            ),
        ]
    else:
        given = request.getfixturevalue(fixture)
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.record_meeting(r, OPEN_CYCLE, kind, held_on, "n", later(ctx)),
        rule="meeting-order",
    )


def test_a_meeting_needs_notes(ctx: Context, started: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "  ", ctx
        ),
        rule="meeting-notes-required",
    )


def test_no_meeting_is_recorded_once_the_report_is_issued(
    ctx: Context, issued: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, date(2026, 7, 9), "late", later(ctx)
        ),
        rule="report-not-issued",
    )
