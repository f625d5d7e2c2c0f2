"""Handlers for objectives: drafting, revising, agreeing, progress, assessment and withdrawal.

Drafting and withdrawing also record on the review (``ObjectiveLinked``/``Unlinked``) in the
same atomic save, so the per-review limit on active objectives holds under concurrency.
"""

from __future__ import annotations

from typing import Any

from aggregates import framework, objective, review
from aggregates.base import require
from aggregates.cycle import require_open
from aggregates.objective import Objective, ObjectiveContent
from aggregates.review import Review
from commands import messages as m
from commands.handlers.reviews import scale_for, signatory
from commands.handling import (
    CYCLE,
    OBJECTIVE,
    REVIEW,
    STAFF,
    TRUST,
    Handling,
    Outcome,
    review_scope,
)


def _authorised_objective(cmd: m.Command, h: Handling) -> tuple[Objective, Review]:
    objective_id = getattr(cmd, "objective_id")  # noqa: B009 - every objective command has one
    obj = h.target(OBJECTIVE, objective_id)
    rv = h.load(REVIEW, obj.review_id)
    h.authorise(cmd, review_scope(h, rv))
    return obj, rv


def draft_objective(cmd: m.DraftObjective, h: Handling) -> Outcome:
    rv = h.load(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    c = h.load(CYCLE, rv.cycle_id)
    if cmd.priority_id is not None:
        _require_priority(h, rv, cmd.priority_id)
    objective_id = cmd.objective_id or h.new_id()
    content = ObjectiveContent(
        title=cmd.title,
        description=cmd.description,
        success_criteria=tuple(cmd.success_criteria),
        priority_id=cmd.priority_id,
        standards=tuple(cmd.standards),
        due_date=cmd.due_date,
    )
    linked = review.link_objective(rv, c, objective_id, h.ctx)
    drafted = objective.draft_objective(objective_id, rv, c, content, h.ctx)
    return Outcome(objective_id, [*drafted, *linked])


def _require_priority(h: Handling, rv: Review, priority_id: Any) -> None:
    t = h.load(TRUST, rv.trust_id)
    # Where the appraisee works now: after a mid-cycle move, the new school's priorities.
    school_id = h.load(STAFF, rv.appraisee_id).school_id or rv.school_id
    require(
        t.priority_applies(priority_id, school_id),
        "priority-applies",
        "the priority must be an active priority of the trust or of the appraisee's school",
    )


def revise_objective(cmd: m.ReviseObjective, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    c = h.load(CYCLE, rv.cycle_id)
    changes: dict[str, Any] = {}
    for name in cmd.changed_fields():
        value = getattr(cmd, name)
        changes[name] = tuple(value) if isinstance(value, list) else value
    if changes.get("priority_id") is not None:
        _require_priority(h, rv, changes["priority_id"])
    events = objective.revise_objective(obj, c, changes, cmd.reason, rv.reopened, h.ctx)
    return Outcome(obj.id, events)


def agree_objective(cmd: m.AgreeObjective, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    _require_cycle_open(h, rv)
    return Outcome(obj.id, objective.agree_objective(obj, signatory(h, rv), h.ctx))


def set_without_agreement(cmd: m.SetObjectiveWithoutAgreement, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    _require_cycle_open(h, rv)
    return Outcome(obj.id, objective.set_without_agreement(obj, cmd.reason, h.ctx))


def record_disagreement(cmd: m.RecordDisagreement, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    _require_cycle_open(h, rv)
    return Outcome(obj.id, objective.record_disagreement(obj, cmd.statement, h.ctx))


def record_progress(cmd: m.RecordProgress, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    _require_cycle_open(h, rv)
    events = objective.record_progress(obj, cmd.percent, cmd.note, tuple(cmd.evidence), h.ctx)
    return Outcome(obj.id, events)


def assess_objective(cmd: m.AssessObjective, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    _require_cycle_open(h, rv)
    c = h.load(CYCLE, rv.cycle_id)
    scale = scale_for(h, rv.trust_id, c.policy.rating_scale_version)
    outcome, level = framework.objective_outcome(scale, cmd.outcome, cmd.level)
    events = objective.assess_objective(obj, outcome, cmd.comment, rv.reopened, h.ctx, level=level)
    return Outcome(obj.id, events)


def withdraw_objective(cmd: m.WithdrawObjective, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    _require_cycle_open(h, rv)
    withdrawn = objective.withdraw_objective(obj, cmd.reason, rv.reopened, h.ctx)
    unlinked = review.unlink_objective(rv, obj.id, cmd.reason, h.ctx)
    return Outcome(obj.id, [*withdrawn, *unlinked])


def reinstate_objective(cmd: m.ReinstateObjective, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    c = h.load(CYCLE, rv.cycle_id)
    reinstated = objective.reinstate_objective(obj, cmd.reason, rv.reopened, h.ctx)
    linked = review.link_objective(rv, c, obj.id, h.ctx)
    return Outcome(obj.id, [*reinstated, *linked])


def carry_forward(cmd: m.CarryForwardObjective, h: Handling) -> Outcome:
    obj, rv = _authorised_objective(cmd, h)
    target = h.load(REVIEW, cmd.to_review_id)
    require(
        target.appraisee_id == rv.appraisee_id,
        "carry-same-appraisee",
        "an objective is carried forward into the same person's review",
    )
    # The appraiser carrying it forward must also appraise the target review.
    h.authorise(cmd, review_scope(h, target))
    target_cycle = h.load(CYCLE, target.cycle_id)
    new_id = cmd.new_objective_id or h.new_id()
    carried = objective.carry_forward(obj, new_id, target_cycle.id, h.ctx)
    content = ObjectiveContent(
        title=obj.content.title,
        description=obj.content.description,
        success_criteria=obj.content.success_criteria,
        priority_id=None,
        standards=obj.content.standards,
        due_date=cmd.due_date,
    )
    linked = review.link_objective(target, target_cycle, new_id, h.ctx)
    drafted = objective.draft_objective(
        new_id, target, target_cycle, content, h.ctx, carried_forward_from=obj.id
    )
    return Outcome(obj.id, [*carried, *drafted, *linked], new_id)


def _require_cycle_open(h: Handling, rv: Review) -> None:
    require_open(h.load(CYCLE, rv.cycle_id))
