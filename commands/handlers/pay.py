"""Handlers for the pay recommendation and the pay decision, kept apart from the report."""

from __future__ import annotations

from aggregates import pay
from aggregates.base import require
from aggregates.errors import NotFound
from commands import development_messages as d
from commands.handling import PAY, REVIEW, STAFF, Handling, Outcome, review_scope


def recommend_pay(cmd: d.RecommendPay, h: Handling) -> Outcome:
    rv = h.load(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    existing = h.maybe(PAY, pay.pay_recommendation_id_for(rv.id))
    require(existing is None, "pay-recommend-once", "a pay recommendation is already recorded")
    school_id = h.load(STAFF, rv.appraisee_id).school_id or rv.school_id
    events = pay.recommend_pay(
        review=rv,
        school_id=school_id,
        recommendation=cmd.recommendation,
        reasons=cmd.reasons,
        ctx=h.ctx,
    )
    return Outcome(events[0].originator_id, events)


def record_pay_decision(cmd: d.RecordPayDecision, h: Handling) -> Outcome:
    rv = h.load(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    try:
        rec = h.target(PAY, pay.pay_recommendation_id_for(rv.id))
    except NotFound:
        require(False, "pay-recommended-first", "there is no pay recommendation to decide on")
        raise
    events = pay.record_pay_decision(
        rec,
        decision=cmd.decision,
        body=cmd.body,
        decided_on=cmd.decided_on,
        rationale=cmd.rationale,
        ctx=h.ctx,
    )
    return Outcome(rec.id, events)
