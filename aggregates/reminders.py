"""Reminder decisions: a trust changes its policy, a person their preference, a leader chases.

Each works on the aggregate the fact belongs to (Trust, StaffMember, Review); the clock and
the actor come in through ``Context``, so the chase rate limit is decided from injected time.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from aggregates.base import Context, next_event, require, require_text
from aggregates.review import Review
from aggregates.staff import StaffMember
from aggregates.trust import Trust
from events.base import DomainEvent
from events.reminders import (
    Frequency,
    Milestone,
    ReminderPolicy,
    ReminderPolicyChanged,
    ReminderPreferenceChanged,
    ReviewChased,
)
from events.values import MeetingKind, Signatory

_SIGNATORIES = (Signatory.APPRAISEE, Signatory.APPRAISER)
# A leader may chase one milestone of one review at most once in this long.
CHASE_INTERVAL = timedelta(hours=24)


def change_reminder_policy(
    trust: Trust, *, policy: ReminderPolicy, reason: str, ctx: Context
) -> list[DomainEvent]:
    require_text(reason, "reason", rule="reason-required")
    require(
        policy != trust.reminder_policy,
        "reminder-policy-changed",
        "the new reminder policy is the same as the current one",
    )
    return [next_event(ReminderPolicyChanged, trust, ctx, policy=policy, reason=reason.strip())]


def change_reminder_preference(
    member: StaffMember,
    *,
    frequency: Frequency,
    optional_reminders: bool,
    via: str,
    ctx: Context,
) -> list[DomainEvent]:
    require(not member.has_left, "staff-employed", f"{member.name} has left the trust")
    require(
        (frequency, optional_reminders) != (member.reminder_frequency, member.optional_reminders),
        "reminder-preference-changed",
        "these are already the person's reminder preferences",
    )
    return [
        next_event(
            ReminderPreferenceChanged,
            member,
            ctx,
            frequency=frequency,
            optional_reminders=optional_reminders,
            via=via,
        )
    ]


def outstanding(review: Review, milestone: Milestone) -> tuple[UUID, ...]:
    """Who still has to act for ``milestone`` of ``review`` (empty when it is done or a leader's).

    The people a chase goes to: the appraisee and appraiser for their meetings, the appraiser
    for the report, whoever has not signed for the sign-off.
    """
    both = (review.appraisee_id, review.appraiser_id)
    held = review.meetings
    match milestone:
        case Milestone.OBJECTIVES_AGREED:
            return () if MeetingKind.PLANNING in held else both
        case Milestone.MID_YEAR_REVIEW:
            return () if MeetingKind.MID_YEAR in held else both
        case Milestone.END_YEAR_REVIEW:
            return () if MeetingKind.END_YEAR in held else both
        case Milestone.REPORT_ISSUED:
            return () if review.report_issued_on else (review.appraiser_id,)
        case Milestone.SIGN_OFF:
            if review.report_issued_on is None:
                return ()
            signed = review.signed_by
            return tuple(
                person for person, who in zip(both, _SIGNATORIES, strict=True) if who not in signed
            )
    return ()


def chase_review(
    review: Review, *, milestone: Milestone, note: str, ctx: Context
) -> list[DomainEvent]:
    """A leader's "chase now": only for a milestone someone still has to do, once a day."""
    recipients = outstanding(review, milestone)
    require(
        bool(recipients),
        "milestone-outstanding",
        f"nobody has anything outstanding for {milestone.value.replace('_', ' ')}",
    )
    last = review.chased_at.get(milestone)
    require(
        last is None or ctx.now - last >= CHASE_INTERVAL,
        "chase-rate-limit",
        "this milestone was chased less than a day ago; try again tomorrow",
    )
    return [
        next_event(
            ReviewChased, review, ctx, milestone=milestone, recipients=recipients, note=note.strip()
        )
    ]
