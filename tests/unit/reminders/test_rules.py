"""The reminder rules: deadlines, done-ness, the current step, recipients, digest days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from events.reminders import DEFAULT_POLICY, Milestone, Recipient
from projections.review_status import ReviewView
from reminders.rules import due_step, next_digest_day, outstanding, recipients_for

ANN = UUID("70000000-0000-4000-8000-0000000000a1")
BOB = UUID("70000000-0000-4000-8000-0000000000b0")
WHEN = datetime(2025, 9, 10, tzinfo=UTC)

REVIEW = ReviewView(
    review_id=UUID(int=1),
    cycle_id=UUID(int=2),
    trust_id=UUID(int=3),
    school_id=UUID(int=4),
    current_school_id=UUID(int=4),
    appraisee_id=ANN,
    appraiser_id=BOB,
    stage="started",
    objectives_active=0,
    planning_on=None,
    mid_year_on=None,
    end_year_on=None,
    self_assessment_submitted=False,
    overall=None,
    report_issued_on=None,
    appraisee_commented=False,
    signed_by_appraisee=False,
    signed_by_appraiser=False,
    moderation=None,
    appeal=None,
    appeal_deadline=None,
    reopened=0,
    panel=None,
    adviser=None,
    adviser_consulted_on=None,
    objective_setting_deadline=date(2025, 10, 31),
    mid_year_deadline=date(2026, 3, 31),
    end_year_deadline=date(2026, 7, 15),
    started_at=WHEN,
    updated_at=WHEN,
    version=1,
)
STEPS = DEFAULT_POLICY.milestones[0].steps  # -14, -3, +3, +10, +21


def test_a_milestone_not_done_is_outstanding_until_its_meeting_is_held() -> None:
    state = outstanding(REVIEW, Milestone.OBJECTIVES_AGREED, DEFAULT_POLICY)
    assert state is not None and state.deadline == date(2025, 10, 31)
    held = replace(REVIEW, planning_on=date(2025, 10, 1))
    assert outstanding(held, Milestone.OBJECTIVES_AGREED, DEFAULT_POLICY) is None


def test_sign_off_is_due_after_the_report_and_only_for_who_has_not_signed() -> None:
    assert outstanding(REVIEW, Milestone.SIGN_OFF, DEFAULT_POLICY) is None
    issued = replace(REVIEW, report_issued_on=date(2026, 7, 10), signed_by_appraiser=True)
    state = outstanding(issued, Milestone.SIGN_OFF, DEFAULT_POLICY)
    assert state is not None
    assert state.deadline == date(2026, 7, 20)
    assert state.open_roles == {Recipient.APPRAISEE}
    step = DEFAULT_POLICY.milestones[4].steps[1]  # +3: appraisee and appraiser
    assert recipients_for(step, state) == (Recipient.APPRAISEE,)


def test_moderation_and_appeals_are_the_school_leaders_after_sign_off_and_lodging() -> None:
    signed = replace(
        REVIEW,
        report_issued_on=date(2026, 7, 10),
        signed_by_appraisee=True,
        signed_by_appraiser=True,
    )
    moderation = outstanding(signed, Milestone.MODERATION, DEFAULT_POLICY)
    assert moderation is not None and moderation.deadline == date(2026, 8, 9)
    assert (
        outstanding(replace(signed, moderation="confirmed"), Milestone.MODERATION, DEFAULT_POLICY)
        is None
    )
    lodged = replace(signed, appeal="lodged", appeal_deadline=date(2026, 7, 25))
    appeal = outstanding(lodged, Milestone.APPEAL_DECISION, DEFAULT_POLICY)
    assert appeal is not None and appeal.deadline == date(2026, 8, 14)
    assert (
        outstanding(replace(lodged, appeal="dismissed"), Milestone.APPEAL_DECISION, DEFAULT_POLICY)
        is None
    )


def test_the_current_step_is_the_latest_whose_day_has_come() -> None:
    deadline = date(2025, 10, 31)
    assert due_step(STEPS, deadline, date(2025, 10, 16), 45) is None
    assert due_step(STEPS, deadline, date(2025, 10, 17), 45) == STEPS[0]
    assert due_step(STEPS, deadline, date(2025, 10, 30), 45) == STEPS[1]
    assert due_step(STEPS, deadline, date(2025, 11, 21), 45) == STEPS[4]


def test_a_step_older_than_the_catch_up_window_is_never_sent_late() -> None:
    deadline = date(2025, 10, 31)
    last = deadline + timedelta(days=21)
    assert due_step(STEPS, deadline, last + timedelta(days=45), 45) == STEPS[4]
    assert due_step(STEPS, deadline, last + timedelta(days=46), 45) is None


@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=40))
def test_run_on_any_days_the_steps_chosen_only_move_forward(offsets: list[int]) -> None:
    deadline = date(2025, 10, 31)
    start = deadline - timedelta(days=30)
    chosen = [due_step(STEPS, deadline, start + timedelta(days=n), 45) for n in sorted(offsets)]
    keys = [STEPS.index(s) for s in chosen if s is not None]
    assert keys == sorted(keys)


def test_the_digest_day_is_the_next_policy_weekday_on_or_after_today() -> None:
    friday = date(2025, 10, 17)
    assert next_digest_day(friday, 0) == date(2025, 10, 20)
    assert next_digest_day(date(2025, 10, 20), 0) == date(2025, 10, 20)
    assert next_digest_day(friday, 4) == friday
