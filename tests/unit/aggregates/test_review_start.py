"""The Review aggregate, starting: one review per person per cycle, decisions only while
the cycle is open, and changing the appraiser.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest

from aggregates import review
from aggregates.base import Context
from aggregates.cycle import AppraisalCycle
from aggregates.review import Review, review_id_for
from aggregates.staff import Assignment, StaffMember
from events.base import DomainEvent
from events.review import (
    AppraiserChanged,
    ReviewStarted,
)
from events.values import (
    AppealOutcome,
    MeetingKind,
    ModerationOutcome,
    OverallJudgement,
    Signatory,
)
from tests.unit.aggregates.gwt import History, accepted, rejected, stamp
from tests.unit.aggregates.review_support import (
    ANN,
    ANN_STAFF,
    BOB,
    BOB_STAFF,
    CAT,
    CAT_STAFF,
    CLOSED_CYCLE,
    CYCLE,
    OBJ1,
    OPEN_CYCLE,
    OTHER_TRUST,
    PLANNING_DAY,
    REVIEW,
    SCHOOL,
    TRUST,
    assess,
    later,
)

# Starting --------------------------------------------------------------------------------------


def test_starting_a_review_gives_one_review_per_person_per_cycle(ctx: Context) -> None:
    state = accepted(
        review.evolve,
        given=[],
        when=lambda _: review.start_review(OPEN_CYCLE, ANN_STAFF, BOB_STAFF, ctx),
        then=[
            stamp(
                ReviewStarted,
                REVIEW,
                1,
                ctx,
                cycle_id=CYCLE,
                trust_id=TRUST,
                school_id=SCHOOL,
                appraisee_id=ANN,
                appraiser_id=BOB,
            )
        ],
    )
    assert state == Review(REVIEW, 1, CYCLE, TRUST, SCHOOL, ANN, BOB)
    assert review_id_for(CYCLE, ANN) == REVIEW != review_id_for(CYCLE, BOB)


@pytest.mark.parametrize(
    ("appraisee", "appraiser", "rule"),
    [
        (ANN_STAFF, ANN_STAFF, "appraiser-differs"),
        (replace(ANN_STAFF, left_on=date(2025, 8, 31)), BOB_STAFF, "staff-employed"),
        (ANN_STAFF, replace(BOB_STAFF, left_on=date(2025, 8, 31)), "staff-employed"),
        (ANN_STAFF, replace(BOB_STAFF, trust_id=OTHER_TRUST), "same-trust"),
        (replace(ANN_STAFF, trust_id=OTHER_TRUST), BOB_STAFF, "same-trust"),
        (replace(ANN_STAFF, assignments=()), BOB_STAFF, "staff-assigned"),
    ],
    ids=[
        "appraising oneself",
        "appraisee has left",
        "appraiser has left",
        "appraiser of another trust",
        "appraisee of another trust",
        "appraisee in no school",
    ],
)
def test_a_review_needs_two_current_members_of_the_cycles_trust_the_appraisee_in_a_school(
    ctx: Context, appraisee: StaffMember, appraiser: StaffMember, rule: str
) -> None:
    rejected(
        review.evolve,
        given=[],
        when=lambda _: review.start_review(OPEN_CYCLE, appraisee, appraiser, ctx),
        rule=rule,
    )


def test_the_review_records_the_school_the_appraisee_is_at_now(ctx: Context) -> None:
    moved = replace(
        ANN_STAFF,
        assignments=(*ANN_STAFF.assignments, Assignment(UUID(int=5), date(2025, 9, 1))),
    )
    [event] = review.start_review(OPEN_CYCLE, moved, BOB_STAFF, ctx)
    assert isinstance(event, ReviewStarted)
    assert event.school_id == UUID(int=5)


# Every decision needs the cycle open ----------------------------------------------------------

DECISIONS_ON_A_REVIEW: dict[str, Callable[[Review, AppraisalCycle, Context], list[DomainEvent]]] = {
    "change appraiser": lambda r, c, x: review.change_appraiser(
        r, c, ANN_STAFF, CAT_STAFF, "Bob is on leave", x
    ),
    "link objective": lambda r, c, x: review.link_objective(r, c, OBJ1, x),
    "record meeting": lambda r, c, x: review.record_meeting(
        r, c, MeetingKind.PLANNING, PLANNING_DAY, "n", x
    ),
    "self-assessment": lambda r, c, x: review.submit_self_assessment(r, c, "my year", x),
    "write assessment": lambda r, c, x: assess(r, c, OverallJudgement.MEETS, "s", (), (), "", x),
    "issue report": lambda r, c, x: review.issue_report(r, c, x),
    "comment": lambda r, c, x: review.comment_on_report(r, c, "thanks", x),
    "sign off": lambda r, c, x: review.sign_off(r, c, Signatory.APPRAISEE, x),
    "moderate": lambda r, c, x: review.moderate(r, c, ModerationOutcome.CONFIRMED, "", x),
    "lodge appeal": lambda r, c, x: review.lodge_appeal(r, c, "grounds", x),
    "decide appeal": lambda r, c, x: review.decide_appeal(r, c, AppealOutcome.DISMISSED, "n", x),
    "reopen": lambda r, c, x: review.reopen_review(r, c, "reason", x),
}


def test_no_review_starts_in_a_cycle_that_is_not_open(ctx: Context) -> None:
    rejected(
        review.evolve,
        given=[],
        when=lambda _: review.start_review(CLOSED_CYCLE, ANN_STAFF, BOB_STAFF, ctx),
        rule="cycle-open",
    )


@pytest.mark.parametrize("decision", list(DECISIONS_ON_A_REVIEW))
def test_nothing_is_decided_on_a_review_whose_cycle_is_not_open(
    ctx: Context, appealed: list[DomainEvent], decision: str
) -> None:
    decide = DECISIONS_ON_A_REVIEW[decision]
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: decide(r, CLOSED_CYCLE, later(ctx)),
        rule="cycle-open",
    )


# Changing the appraiser ------------------------------------------------------------------------


def test_changing_the_appraiser_records_who_before_and_why(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    state = accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.change_appraiser(
            r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, " Bob on leave ", ctx
        ),
        then=[
            history.next(
                AppraiserChanged,
                REVIEW,
                previous_appraiser_id=BOB,
                appraiser_id=CAT,
                reason="Bob on leave",
            )
        ],
    )
    assert state.appraiser_id == CAT


@pytest.mark.parametrize(
    ("appraiser", "rule"),
    [
        (ANN_STAFF, "appraiser-differs"),
        (BOB_STAFF, "appraiser-changed"),
        (replace(CAT_STAFF, left_on=date(2025, 12, 31)), "staff-employed"),
        (replace(CAT_STAFF, trust_id=OTHER_TRUST), "same-trust"),
    ],
    ids=["the appraisee", "the same appraiser", "someone who has left", "another trust"],
)
def test_the_new_appraiser_must_be_someone_else_who_can_appraise(
    ctx: Context, started: list[DomainEvent], appraiser: StaffMember, rule: str
) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, ANN_STAFF, appraiser, "why", ctx),
        rule=rule,
    )


def test_the_appraiser_is_not_changed_after_the_report_is_issued(
    ctx: Context, issued: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.change_appraiser(
            r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, "late", later(ctx)
        ),
        rule="report-not-issued",
    )


def test_the_appraiser_can_be_changed_once_the_review_is_reopened(
    ctx: Context, history: History, reopened: list[DomainEvent]
) -> None:
    x = later(ctx)
    accepted(
        review.evolve,
        given=reopened,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, "appeal", x),
        then=[
            history.next(
                AppraiserChanged,
                REVIEW,
                ctx=x,
                previous_appraiser_id=BOB,
                appraiser_id=CAT,
                reason="appeal",
            )
        ],
    )


def test_changing_the_appraiser_needs_a_reason(ctx: Context, started: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, " ", ctx),
        rule="reason-required",
    )
