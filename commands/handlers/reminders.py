"""Handlers for reminders: a trust's policy, a person's preference, a leader's chase."""

from __future__ import annotations

from aggregates import reminders
from commands import messages as m
from commands.handling import REVIEW, STAFF, TRUST, Handling, Outcome, review_scope
from commands.policy import Scope


def change_reminder_policy(cmd: m.ChangeReminderPolicy, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id))
    events = reminders.change_reminder_policy(t, policy=cmd.policy, reason=cmd.reason, ctx=h.ctx)
    return Outcome(t.id, events)


def change_reminder_preference(cmd: m.ChangeReminderPreference, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    # The person themselves (their appraisee scope), or their trust's administrators.
    h.authorise(
        cmd, Scope(trust_id=member.trust_id, school_id=member.school_id, appraisee_id=member.id)
    )
    events = reminders.change_reminder_preference(
        member,
        frequency=cmd.frequency,
        optional_reminders=cmd.optional_reminders,
        via=cmd.via,
        ctx=h.ctx,
    )
    return Outcome(member.id, events)


def chase_review(cmd: m.ChaseReview, h: Handling) -> Outcome:
    rv = h.target(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    events = reminders.chase_review(rv, milestone=cmd.milestone, note=cmd.note, ctx=h.ctx)
    return Outcome(rv.id, events)
