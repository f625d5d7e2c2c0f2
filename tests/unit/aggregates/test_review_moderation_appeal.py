"""The Review aggregate after the report: moderation, appeals and reopening.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates import review
from aggregates.base import Context
from aggregates.review import AppealState
from events.base import DomainEvent
from events.review import (
    AppealDecided,
    AppealLodged,
    Moderated,
    ReviewReopened,
    SignedOff,
)
from events.values import (
    AppealOutcome,
    ModerationOutcome,
    Signatory,
)
from tests.unit.aggregates.gwt import History, accepted, rejected
from tests.unit.aggregates.review_support import (
    ISSUED_DAY,
    OPEN_CYCLE,
    REVIEW,
    later,
)

# Moderation ------------------------------------------------------------------------------------


def test_moderation_confirms_a_report_signed_by_both(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=signed,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", x),
        then=[history.next(Moderated, REVIEW, ctx=x, outcome=ModerationOutcome.CONFIRMED, note="")],
    )
    assert state.moderation is ModerationOutcome.CONFIRMED
    assert not state.reopened


def test_a_report_referred_back_by_moderation_is_reopened(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=signed,
        when=lambda r: review.moderate(
            r, OPEN_CYCLE, ModerationOutcome.REFERRED_BACK, "judgement unsupported", x
        ),
        then=[
            history.next(
                Moderated,
                REVIEW,
                ctx=x,
                outcome=ModerationOutcome.REFERRED_BACK,
                note="judgement unsupported",
            )
        ],
    )
    assert state.reopened
    assert state.report_open


def test_moderation_needs_both_signatures(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    given = [*issued, history(SignedOff, REVIEW, by=Signatory.APPRAISER)]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", later(ctx)),
        rule="signed-off",
    )


def test_a_report_is_moderated_once(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    given = [*signed, history(Moderated, REVIEW, outcome=ModerationOutcome.CONFIRMED, note="")]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", later(ctx)),
        rule="moderate-once",
    )


def test_moderation_waits_for_a_pending_appeal(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    given = [*signed, history(AppealLodged, REVIEW, grounds="unfair")]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", later(ctx)),
        rule="no-open-appeal",
    )


def test_referring_a_report_back_needs_a_reason(ctx: Context, signed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=signed,
        when=lambda r: review.moderate(
            r, OPEN_CYCLE, ModerationOutcome.REFERRED_BACK, " ", later(ctx)
        ),
        rule="referral-reason-required",
    )


# Appeals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day", [ISSUED_DAY, date(2026, 7, 15)], ids=["the day of the report", "the last day"]
)
def test_an_appeal_is_lodged_within_the_window_after_the_report(
    ctx: Context, history: History, issued: list[DomainEvent], day: date
) -> None:
    x = later(ctx, day)
    state = accepted(
        review.evolve,
        given=issued,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "data ignored", x),
        then=[history.next(AppealLodged, REVIEW, ctx=x, grounds="data ignored")],
    )
    assert state.appeal is AppealState.LODGED


def test_an_appeal_after_the_window_is_refused(ctx: Context, issued: list[DomainEvent]) -> None:
    broken = rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "late", later(ctx, date(2026, 7, 16))),
        rule="appeal-window",
    )
    assert "2026-07-15" in broken.message


@pytest.mark.parametrize("fixture", ["assessed", "reopened"])
def test_an_appeal_needs_an_issued_report(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "grounds", later(ctx)),
        rule="report-issued",
    )


def test_one_appeal_per_review(ctx: Context, history: History, appealed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "again", later(ctx)),
        rule="appeal-once",
    )
    dismissed = [
        *appealed,
        history(AppealDecided, REVIEW, outcome=AppealOutcome.DISMISSED, note="n"),
    ]
    rejected(
        review.evolve,
        given=dismissed,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "again", later(ctx)),
        rule="appeal-once",
    )


def test_an_appeal_needs_grounds(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "", later(ctx)),
        rule="appeal-grounds-required",
    )


def test_an_upheld_appeal_reopens_the_review(
    ctx: Context, history: History, appealed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=appealed,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.UPHELD, "agreed", x),
        then=[
            history.next(AppealDecided, REVIEW, ctx=x, outcome=AppealOutcome.UPHELD, note="agreed")
        ],
    )
    assert state.appeal is AppealState.UPHELD
    assert state.reopened


def test_a_dismissed_appeal_leaves_the_report_standing(
    ctx: Context, history: History, appealed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=appealed,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.DISMISSED, "fair", x),
        then=[
            history.next(AppealDecided, REVIEW, ctx=x, outcome=AppealOutcome.DISMISSED, note="fair")
        ],
    )
    assert state.appeal is AppealState.DISMISSED
    assert state.report_current


def test_only_a_pending_appeal_is_decided(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.UPHELD, "n", later(ctx)),
        rule="appeal-pending",
    )


def test_an_appeal_decision_needs_a_note(ctx: Context, appealed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.UPHELD, " ", later(ctx)),
        rule="appeal-note-required",
    )


# Reopening -------------------------------------------------------------------------------------


def test_reopening_a_review_reopens_its_report(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=signed,
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, " new evidence ", x),
        then=[history.next(ReviewReopened, REVIEW, ctx=x, reason="new evidence")],
    )
    assert state.reopened
    assert state.report_open
    assert not state.report_current


@pytest.mark.parametrize("fixture", ["assessed", "reopened"])
def test_only_a_review_with_an_issued_report_reopens(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, "reason", later(ctx)),
        rule="report-issued",
    )


def test_a_review_with_a_pending_appeal_is_not_reopened(
    ctx: Context, appealed: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, "reason", later(ctx)),
        rule="no-open-appeal",
    )


def test_reopening_a_review_needs_a_reason(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, "  ", later(ctx)),
        rule="reason-required",
    )
