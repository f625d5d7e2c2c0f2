"""The reminder rules, pure: when a milestone is due, whether it is done, which step is due.

Everything here takes the day as an argument (the scheduler's injected clock); nothing reads
the time or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from events.reminders import Milestone, Recipient, ReminderPolicy, ReminderStep
from projections.review_status import ReviewView

_EE, _ER = Recipient.APPRAISEE, Recipient.APPRAISER


@dataclass(frozen=True, slots=True)
class Outstanding:
    """A milestone of a review not yet done: its deadline and whose own part is still open."""

    milestone: Milestone
    deadline: date
    # The appraisee/appraiser roles whose own action is still missing (sign-off is per person).
    open_roles: frozenset[Recipient]


def outstanding(
    review: ReviewView, milestone: Milestone, policy: ReminderPolicy
) -> Outstanding | None:
    """The milestone's deadline and open roles, or None when it is done or does not apply."""
    r = review
    both = frozenset({_EE, _ER})
    match milestone:
        case Milestone.OBJECTIVES_AGREED:
            return _meeting(milestone, r.planning_on, r.objective_setting_deadline, both)
        case Milestone.MID_YEAR_REVIEW:
            return _meeting(milestone, r.mid_year_on, r.mid_year_deadline, both)
        case Milestone.END_YEAR_REVIEW:
            return _meeting(milestone, r.end_year_on, r.end_year_deadline, both)
        case Milestone.REPORT_ISSUED:
            return _meeting(milestone, r.report_issued_on, r.end_year_deadline, frozenset({_ER}))
        case Milestone.SIGN_OFF:
            if r.report_issued_on is None or (r.signed_by_appraisee and r.signed_by_appraiser):
                return None
            roles = {_EE} if not r.signed_by_appraisee else set()
            roles |= {_ER} if not r.signed_by_appraiser else set()
            deadline = r.report_issued_on + timedelta(days=policy.sign_off_days)
            return Outstanding(milestone, deadline, frozenset(roles))
        case Milestone.MODERATION:
            signed = r.signed_by_appraisee and r.signed_by_appraiser
            if r.report_issued_on is None or not signed or r.moderation is not None:
                return None
            days = policy.sign_off_days + policy.moderation_days
            return Outstanding(milestone, r.report_issued_on + timedelta(days=days), frozenset())
        case Milestone.APPEAL_DECISION:
            if r.appeal != "lodged" or r.appeal_deadline is None:
                return None
            deadline = r.appeal_deadline + timedelta(days=policy.appeal_decision_days)
            return Outstanding(milestone, deadline, frozenset())
    return None  # pragma: no cover - every milestone is matched above


def _meeting(
    milestone: Milestone, done: date | None, deadline: date | None, roles: frozenset[Recipient]
) -> Outstanding | None:
    if done is not None or deadline is None:
        return None
    return Outstanding(milestone, deadline, roles)


def due_step(
    steps: tuple[ReminderStep, ...], deadline: date, today: date, catch_up_days: int
) -> ReminderStep | None:
    """The latest step whose date has come, unless it is older than the catch-up window.

    Earlier steps are superseded by it: after a quiet period or an outage people get the
    reminder that fits today, not every one they missed.
    """
    current = None
    for step in steps:
        if deadline + timedelta(days=step.offset_days) <= today:
            current = step
    if current is None:
        return None
    late = (today - (deadline + timedelta(days=current.offset_days))).days
    return current if late <= catch_up_days else None


def next_digest_day(today: date, weekday: int) -> date:
    """The digest day on or after ``today``."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def recipients_for(step: ReminderStep, state: Outstanding) -> tuple[Recipient, ...]:
    """The step's recipients less an appraisee or appraiser whose own part is done."""
    return tuple(
        who
        for who in step.recipients
        if who not in (_EE, _ER) or who in state.open_roles or not state.open_roles
    )
