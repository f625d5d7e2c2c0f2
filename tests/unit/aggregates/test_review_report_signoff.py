"""The Review aggregate: issuing the written report, the appraisee's comments and the
sign-off by both sides.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates import review
from aggregates.base import Context
from events.base import DomainEvent
from events.review import (
    AppraiseeCommented,
    Moderated,
    ReportIssued,
    SignedOff,
)
from events.values import (
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

# The report ------------------------------------------------------------------------------------


def test_issuing_the_report_dates_it_today(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    x = later(ctx, ISSUED_DAY)
    state = accepted(
        review.evolve,
        given=assessed,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, x),
        then=[history.next(ReportIssued, REVIEW, ctx=x, issued_on=ISSUED_DAY)],
    )
    assert state.report_issued_on == ISSUED_DAY
    assert state.report_current
    assert not state.report_open


def test_the_report_follows_the_assessment(ctx: Context, year_ended: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=year_ended,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, later(ctx)),
        rule="assessment-written",
    )


def test_the_report_is_issued_once(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, later(ctx)),
        rule="report-not-issued",
    )


def test_reissuing_the_report_of_a_reopened_review_clears_its_sign_offs_and_moderation(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    given = [
        *signed,
        history(Moderated, REVIEW, outcome=ModerationOutcome.REFERRED_BACK, note="evidence thin"),
    ]
    x = later(ctx, date(2026, 7, 20))
    state = accepted(
        review.evolve,
        given=given,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, x),
        then=[history.next(ReportIssued, REVIEW, ctx=x, issued_on=date(2026, 7, 20))],
    )
    assert state.signed_by == frozenset()
    assert state.moderation is None
    assert not state.reopened


def test_the_appraisee_comments_on_the_issued_report(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=issued,
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, "a fair report", x),
        then=[history.next(AppraiseeCommented, REVIEW, ctx=x, comment="a fair report")],
    )
    assert state.commented


@pytest.mark.parametrize("fixture", ["assessed", "reopened"])
def test_comments_need_an_issued_report(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, "comment", later(ctx)),
        rule="report-issued",
    )


def test_comments_come_before_the_appraisee_signs(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    given = [*issued, history(SignedOff, REVIEW, by=Signatory.APPRAISEE)]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, "afterthought", later(ctx)),
        rule="comment-before-sign-off",
    )


def test_a_comment_needs_text(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, " ", later(ctx)),
        rule="comment-required",
    )


# Sign-off --------------------------------------------------------------------------------------


def test_appraisee_and_appraiser_each_sign_the_issued_report(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=issued,
        when=lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISER, x),
        then=[history.next(SignedOff, REVIEW, ctx=x, by=Signatory.APPRAISER)],
    )
    assert state.signed_by == {Signatory.APPRAISER}


@pytest.mark.parametrize("fixture", ["year_ended", "assessed", "reopened"])
def test_a_report_can_be_signed_off_only_after_it_is_issued(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISEE, later(ctx)),
        rule="report-issued",
    )


def test_each_side_signs_once(ctx: Context, signed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=signed,
        when=lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISER, later(ctx)),
        rule="sign-once",
    )
