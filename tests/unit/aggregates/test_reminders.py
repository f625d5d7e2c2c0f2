"""Reminder decisions: a trust's policy, a person's preference, a leader's "chase now"."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from aggregates import reminders, review, staff, trust
from aggregates.base import Context
from events.base import DomainEvent
from events.reminders import (
    DEFAULT_POLICY,
    Frequency,
    Milestone,
    QuietPeriod,
    ReminderPolicy,
    ReminderPolicyChanged,
    ReminderPreferenceChanged,
    ReviewChased,
)
from events.review import MeetingRecorded, ReportIssued, ReviewStarted, SignedOff
from events.staff import AssignedToSchool, StaffLeft, StaffRegistered
from events.trust import TrustRegistered
from events.values import MeetingKind, Signatory, StaffCategory
from tests.unit.aggregates.gwt import History, accepted, rejected

TRUST = UUID("40000000-0000-4000-8000-000000000001")
ANN = UUID("40000000-0000-4000-8000-0000000000a1")
BOB = UUID("40000000-0000-4000-8000-0000000000b0")
OAK = UUID("40000000-0000-4000-8000-0000000000c1")
CYCLE = UUID("40000000-0000-4000-8000-0000000000d1")
REVIEW = UUID("40000000-0000-4000-8000-0000000000e1")

HALF_TERM = QuietPeriod(name="Autumn half term", start=date(2025, 10, 27), end=date(2025, 10, 31))


@pytest.fixture
def oak(history: History) -> list[DomainEvent]:
    return [history(TrustRegistered, TRUST, name="Oak Learning Trust")]


@pytest.fixture
def ann(history: History) -> list[DomainEvent]:
    return [
        history(
            StaffRegistered,
            ANN,
            trust_id=TRUST,
            name="Ann Appraisee",
            email="ann@oak.example",
            job_title="Class Teacher",
            category=StaffCategory.TEACHER,
        ),
        history(
            AssignedToSchool,
            ANN,
            school_id=OAK,
            previous_school_id=None,
            effective_date=date(2020, 9, 1),
        ),
    ]


@pytest.fixture
def started(history: History) -> list[DomainEvent]:
    return [
        history(
            ReviewStarted,
            REVIEW,
            cycle_id=CYCLE,
            trust_id=TRUST,
            school_id=OAK,
            appraisee_id=ANN,
            appraiser_id=BOB,
        )
    ]


# The policy ------------------------------------------------------------------------------------


def test_the_default_policy_chases_every_milestone_before_and_after_and_escalates() -> None:
    rule = DEFAULT_POLICY.rule(Milestone.MID_YEAR_REVIEW)
    assert rule is not None
    offsets = [s.offset_days for s in rule.steps]
    assert min(offsets) < 0 < max(offsets)
    last = rule.steps[-1]
    assert {"line_manager", "school_leader"} <= {r.value for r in last.recipients}
    assert all(s.optional for s in rule.steps if s.offset_days < 0)
    assert not any(s.optional for s in rule.steps if s.offset_days > 0)
    assert {r.milestone for r in DEFAULT_POLICY.milestones} == set(Milestone)


def test_changing_the_reminder_policy_records_the_whole_new_policy_and_why(
    ctx: Context, history: History, oak: list[DomainEvent]
) -> None:
    policy = DEFAULT_POLICY.model_copy(update={"quiet_periods": (HALF_TERM,)})
    state = accepted(
        trust.evolve,
        given=oak,
        when=lambda t: reminders.change_reminder_policy(
            t, policy=policy, reason="Half term added", ctx=ctx
        ),
        then=[history.next(ReminderPolicyChanged, TRUST, policy=policy, reason="Half term added")],
    )
    assert state.reminder_policy.quiet_on(date(2025, 10, 29)) == HALF_TERM


def test_the_same_reminder_policy_again_is_no_change(ctx: Context, oak: list[DomainEvent]) -> None:
    rejected(
        trust.evolve,
        given=oak,
        when=lambda t: reminders.change_reminder_policy(
            t, policy=ReminderPolicy(), reason="No change", ctx=ctx
        ),
        rule="reminder-policy-changed",
    )


def test_a_policy_change_needs_a_reason(ctx: Context, oak: list[DomainEvent]) -> None:
    policy = DEFAULT_POLICY.model_copy(update={"weekly_digest": False})
    rejected(
        trust.evolve,
        given=oak,
        when=lambda t: reminders.change_reminder_policy(t, policy=policy, reason=" ", ctx=ctx),
        rule="reason-required",
    )


def test_a_policy_with_steps_out_of_order_or_a_backwards_quiet_period_is_refused() -> None:
    with pytest.raises(ValueError, match="date order"):
        ReminderPolicy.model_validate(
            {
                "milestones": [
                    {
                        "milestone": "mid_year_review",
                        "steps": [
                            {"offset_days": 3, "recipients": ["appraisee"]},
                            {"offset_days": -3, "recipients": ["appraisee"]},
                        ],
                    }
                ]
            }
        )
    with pytest.raises(ValueError, match="ends before it starts"):
        QuietPeriod(name="Backwards", start=date(2026, 4, 10), end=date(2026, 4, 1))


# A person's preference -------------------------------------------------------------------------


def test_a_person_chooses_a_weekly_digest_without_optional_reminders(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    state = accepted(
        staff.evolve,
        given=ann,
        when=lambda s: reminders.change_reminder_preference(
            s, frequency=Frequency.DIGEST, optional_reminders=False, via="profile", ctx=ctx
        ),
        then=[
            history.next(
                ReminderPreferenceChanged,
                ANN,
                frequency=Frequency.DIGEST,
                optional_reminders=False,
                via="profile",
            )
        ],
    )
    assert state.reminder_frequency is Frequency.DIGEST
    assert state.optional_reminders is False


def test_the_same_preference_again_is_no_change(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: reminders.change_reminder_preference(
            s, frequency=Frequency.IMMEDIATE, optional_reminders=True, via="profile", ctx=ctx
        ),
        rule="reminder-preference-changed",
    )


def test_someone_who_has_left_sets_no_preference(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    left = [*ann, history(StaffLeft, ANN, effective_date=date(2025, 8, 31), reason="Retired")]
    rejected(
        staff.evolve,
        given=left,
        when=lambda s: reminders.change_reminder_preference(
            s, frequency=Frequency.DIGEST, optional_reminders=True, via="profile", ctx=ctx
        ),
        rule="staff-employed",
    )


# Chasing ---------------------------------------------------------------------------------------


def test_chasing_reminds_whoever_still_has_to_act(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    state = accepted(
        review.evolve,
        given=started,
        when=lambda r: reminders.chase_review(
            r, milestone=Milestone.OBJECTIVES_AGREED, note="Please meet", ctx=ctx
        ),
        then=[
            history.next(
                ReviewChased,
                REVIEW,
                milestone=Milestone.OBJECTIVES_AGREED,
                recipients=(ANN, BOB),
                note="Please meet",
            )
        ],
    )
    assert state.chased_at[Milestone.OBJECTIVES_AGREED] == ctx.now


def test_a_sign_off_chase_goes_only_to_who_has_not_signed(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    issued = [
        *started,
        history(ReportIssued, REVIEW, issued_on=date(2026, 7, 10)),
        history(SignedOff, REVIEW, by=Signatory.APPRAISER),
    ]
    (event,) = reminders.chase_review(
        _fold(issued),
        milestone=Milestone.SIGN_OFF,
        note="",
        ctx=ctx,
    )
    assert isinstance(event, ReviewChased)
    assert event.recipients == (ANN,)


def _fold(events: list[DomainEvent]) -> review.Review:
    state = None
    for e in events:
        state = review.evolve(state, e)
    assert state is not None
    return state


def test_a_milestone_already_done_is_not_chased(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    planned = [
        *started,
        history(
            MeetingRecorded,
            REVIEW,
            kind=MeetingKind.PLANNING,
            held_on=date(2025, 9, 20),
            notes="Agreed",
        ),
    ]
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: reminders.chase_review(
            r, milestone=Milestone.OBJECTIVES_AGREED, note="", ctx=ctx
        ),
        rule="milestone-outstanding",
    )


def test_a_milestone_is_chased_at_most_once_a_day(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    chased = [
        *started,
        history(ReviewChased, REVIEW, milestone=Milestone.OBJECTIVES_AGREED, recipients=(ANN, BOB)),
    ]
    soon = Context(ctx.actor_id, ctx.actor_role, ctx.now + timedelta(hours=23))
    rejected(
        review.evolve,
        given=chased,
        when=lambda r: reminders.chase_review(
            r, milestone=Milestone.OBJECTIVES_AGREED, note="", ctx=soon
        ),
        rule="chase-rate-limit",
    )
    tomorrow = Context(ctx.actor_id, ctx.actor_role, ctx.now + timedelta(hours=24))
    (event,) = reminders.chase_review(
        _fold(chased), milestone=Milestone.OBJECTIVES_AGREED, note="", ctx=tomorrow
    )
    assert isinstance(event, ReviewChased)
