"""The Objective aggregate: one objective of one review, from draft to assessment.

Objectives are agreed by both appraisee and appraiser, or set by the appraiser where they
cannot be agreed (the appraisee may then record disagreement). Revising an agreed objective
needs a reason and clears the agreement. Assessed and withdrawn objectives are final unless
the review is reopened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from aggregates.cycle import AppraisalCycle, require_open
from aggregates.review import Review
from events.base import DomainEvent
from events.objective import (
    DisagreementRecorded,
    ObjectiveAgreed,
    ObjectiveAssessed,
    ObjectiveCarriedForward,
    ObjectiveDrafted,
    ObjectiveReinstated,
    ObjectiveRevised,
    ObjectiveSetWithoutAgreement,
    ObjectiveWithdrawn,
    ProgressRecorded,
)
from events.standards import unknown_standards
from events.values import FieldChange, FieldValue, ObjectiveOutcome, Signatory

MAX_TITLE = 200
REVISABLE = ("title", "description", "success_criteria", "priority_id", "standards", "due_date")


class ObjectiveStatus(StrEnum):
    DRAFT = "draft"
    AGREED = "agreed"
    SET_WITHOUT_AGREEMENT = "set_without_agreement"
    ASSESSED = "assessed"
    WITHDRAWN = "withdrawn"


IN_FORCE = (ObjectiveStatus.AGREED, ObjectiveStatus.SET_WITHOUT_AGREEMENT)


@dataclass(frozen=True, slots=True)
class ObjectiveContent:
    """The fields an objective is drafted with and that revisions change."""

    title: str
    description: str
    success_criteria: tuple[str, ...]
    priority_id: UUID | None
    standards: tuple[str, ...]
    due_date: date


@dataclass(frozen=True, slots=True)
class Objective:
    id: UUID
    version: int
    review_id: UUID
    cycle_id: UUID
    appraisee_id: UUID
    content: ObjectiveContent
    status: ObjectiveStatus = ObjectiveStatus.DRAFT
    agreed_by: frozenset[Signatory] = frozenset()
    # Set by the appraiser without agreement; like agreement, revising or reinstating clears it.
    set_without_agreement: bool = False
    disagreement: str | None = None
    progress: int = 0
    outcome: ObjectiveOutcome | None = None
    carried_forward_to: UUID | None = None
    carried_forward_from: UUID | None = None

    @property
    def is_active(self) -> bool:
        return self.status is not ObjectiveStatus.WITHDRAWN


def draft_objective(
    objective_id: UUID,
    review: Review,
    cycle: AppraisalCycle,
    content: ObjectiveContent,
    ctx: Context,
    *,
    carried_forward_from: UUID | None = None,
) -> list[DomainEvent]:
    _check_content(content, cycle)
    return [
        first_event(
            ObjectiveDrafted,
            objective_id,
            ctx,
            review_id=review.id,
            cycle_id=cycle.id,
            appraisee_id=review.appraisee_id,
            title=content.title.strip(),
            description=content.description.strip(),
            success_criteria=tuple(c.strip() for c in content.success_criteria),
            priority_id=content.priority_id,
            standards=tuple(s.strip() for s in content.standards if s.strip()),
            due_date=content.due_date,
            carried_forward_from=carried_forward_from,
        )
    ]


def _check_content(content: ObjectiveContent, cycle: AppraisalCycle) -> None:
    require_text(content.title, "title", rule="objective-title-required")
    require(
        len(content.title.strip()) <= MAX_TITLE,
        "objective-title-length",
        f"the title is longer than {MAX_TITLE} characters",
    )
    require(
        bool(content.success_criteria) and all(c.strip() for c in content.success_criteria),
        "success-criteria-required",
        "an objective needs at least one success criterion, none blank",
    )
    unknown = unknown_standards(content.standards, cycle.policy.support_frameworks)
    require(
        not unknown,
        "standard-known",
        f"not a Teachers' or Headteachers' Standard, nor in this trust's support-staff "
        f"frameworks: {', '.join(unknown)}",
    )
    require(
        cycle.dates.start_date <= content.due_date <= cycle.dates.end_date,
        "due-in-cycle",
        f"the due date must fall within the cycle ({cycle.dates.start_date} to "
        f"{cycle.dates.end_date})",
    )


def revise_objective(
    objective: Objective,
    cycle: AppraisalCycle,
    changes: dict[str, Any],
    reason: str | None,
    review_reopened: bool,
    ctx: Context,
) -> list[DomainEvent]:
    require_open(cycle)
    _require_changeable(objective, review_reopened)
    unknown = set(changes) - set(REVISABLE)
    require(not unknown, "revisable-fields", f"these fields cannot be revised: {sorted(unknown)}")
    new_content = replace(objective.content, **changes)
    _check_content(new_content, cycle)
    diffs = tuple(
        FieldChange(field=f, old=_as_value(getattr(objective.content, f)), new=_as_value(v))
        for f in REVISABLE
        if f in changes and (v := getattr(new_content, f)) != getattr(objective.content, f)
    )
    require(bool(diffs), "revision-changes-something", "the revision changes nothing")
    if objective.status in IN_FORCE or objective.agreed_by:
        require(
            bool(reason and reason.strip()),
            "revision-reason-required",
            "revising an agreed or set objective needs a reason",
        )
    return [
        next_event(
            ObjectiveRevised,
            objective,
            ctx,
            changes=diffs,
            reason=reason.strip() if reason else None,
        )
    ]


def _as_value(value: object) -> FieldValue:
    if value is None:
        return None
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def agree_objective(objective: Objective, by: Signatory, ctx: Context) -> list[DomainEvent]:
    require(
        objective.status is ObjectiveStatus.DRAFT,
        "objective-draft",
        f"only a draft objective can be agreed; this one is {objective.status}",
    )
    require(by not in objective.agreed_by, "agree-once", f"the {by.value} has already agreed")
    return [next_event(ObjectiveAgreed, objective, ctx, by=by)]


def set_without_agreement(objective: Objective, reason: str, ctx: Context) -> list[DomainEvent]:
    require(
        objective.status is ObjectiveStatus.DRAFT,
        "objective-draft",
        f"only a draft objective can be set without agreement; this one is {objective.status}",
    )
    require_text(reason, "reason", rule="reason-required")
    return [next_event(ObjectiveSetWithoutAgreement, objective, ctx, reason=reason.strip())]


def record_disagreement(objective: Objective, statement: str, ctx: Context) -> list[DomainEvent]:
    require(
        objective.status is ObjectiveStatus.SET_WITHOUT_AGREEMENT,
        "objective-set-without-agreement",
        "disagreement is recorded against an objective set without agreement",
    )
    require(objective.disagreement is None, "disagree-once", "disagreement is already recorded")
    require_text(statement, "statement", rule="disagreement-statement-required")
    return [next_event(DisagreementRecorded, objective, ctx, statement=statement)]


def record_progress(
    objective: Objective, percent: int, note: str, evidence: tuple[str, ...], ctx: Context
) -> list[DomainEvent]:
    require(
        objective.status in IN_FORCE,
        "objective-in-force",
        f"progress is recorded on an agreed or set objective; this one is {objective.status}",
    )
    require(0 <= percent <= 100, "percent-range", "progress is a percentage from 0 to 100")
    require_text(note, "note", rule="progress-note-required")
    return [
        next_event(
            ProgressRecorded,
            objective,
            ctx,
            percent=percent,
            note=note,
            evidence=tuple(e.strip() for e in evidence if e.strip()),
        )
    ]


def assess_objective(
    objective: Objective,
    outcome: ObjectiveOutcome,
    comment: str,
    review_reopened: bool,
    ctx: Context,
) -> list[DomainEvent]:
    reassessing = objective.status is ObjectiveStatus.ASSESSED and review_reopened
    require(
        objective.status in IN_FORCE or reassessing,
        "objective-in-force",
        f"only an agreed or set objective can be assessed; this one is {objective.status}",
    )
    require_text(comment, "comment", rule="assessment-comment-required")
    return [next_event(ObjectiveAssessed, objective, ctx, outcome=outcome, comment=comment)]


def withdraw_objective(
    objective: Objective, reason: str, review_reopened: bool, ctx: Context
) -> list[DomainEvent]:
    _require_changeable(objective, review_reopened)
    require_text(reason, "reason", rule="reason-required")
    return [next_event(ObjectiveWithdrawn, objective, ctx, reason=reason.strip())]


def reinstate_objective(
    objective: Objective, reason: str, review_reopened: bool, ctx: Context
) -> list[DomainEvent]:
    require(
        objective.status is ObjectiveStatus.WITHDRAWN,
        "objective-withdrawn",
        "only a withdrawn objective can be reinstated",
    )
    require(review_reopened, "review-reopened", "reinstating needs the review to be reopened")
    require_text(reason, "reason", rule="reason-required")
    return [next_event(ObjectiveReinstated, objective, ctx, reason=reason.strip())]


def carry_forward(
    objective: Objective, to_objective_id: UUID, to_cycle_id: UUID, ctx: Context
) -> list[DomainEvent]:
    require(objective.is_active, "objective-active", "a withdrawn objective is not carried forward")
    require(
        objective.carried_forward_to is None,
        "carry-once",
        "this objective has already been carried forward",
    )
    require(
        objective.outcome is not ObjectiveOutcome.MET,
        "carry-unmet",
        "a met objective is not carried forward",
    )
    require(to_cycle_id != objective.cycle_id, "carry-to-other-cycle", "carry into another cycle")
    return [
        next_event(
            ObjectiveCarriedForward,
            objective,
            ctx,
            to_objective_id=to_objective_id,
            to_cycle_id=to_cycle_id,
        )
    ]


def _require_changeable(objective: Objective, review_reopened: bool) -> None:
    require(
        objective.status is not ObjectiveStatus.WITHDRAWN,
        "objective-final",
        "the objective is withdrawn",
    )
    require(
        objective.status is not ObjectiveStatus.ASSESSED or review_reopened,
        "objective-final",
        "the objective is assessed: reopen the review to change it",
    )


def evolve(state: Objective | None, event: DomainEvent) -> Objective:
    if isinstance(event, ObjectiveDrafted):
        return Objective(
            id=event.originator_id,
            version=event.originator_version,
            review_id=event.review_id,
            cycle_id=event.cycle_id,
            appraisee_id=event.appraisee_id,
            content=ObjectiveContent(
                title=event.title,
                description=event.description,
                success_criteria=tuple(event.success_criteria),
                priority_id=event.priority_id,
                standards=tuple(event.standards),
                due_date=event.due_date,
            ),
            carried_forward_from=event.carried_forward_from,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before ObjectiveDrafted")
    s = replace(state, version=event.originator_version)
    match event:
        case ObjectiveRevised():
            updates = {c.field: _from_value(c.field, c.new) for c in event.changes}
            return replace(
                s,
                content=replace(s.content, **updates),
                status=ObjectiveStatus.DRAFT if s.status in IN_FORCE else s.status,
                agreed_by=frozenset(),
                set_without_agreement=False,
                disagreement=None,
            )
        case ObjectiveAgreed():
            agreed = s.agreed_by | {event.by}
            both = agreed == frozenset(Signatory)
            return replace(s, agreed_by=agreed, status=ObjectiveStatus.AGREED if both else s.status)
        case ObjectiveSetWithoutAgreement():
            return replace(
                s, status=ObjectiveStatus.SET_WITHOUT_AGREEMENT, set_without_agreement=True
            )
        case DisagreementRecorded():
            return replace(s, disagreement=event.statement)
        case ProgressRecorded():
            return replace(s, progress=event.percent)
        case ObjectiveAssessed():
            return replace(s, status=ObjectiveStatus.ASSESSED, outcome=event.outcome)
        case ObjectiveWithdrawn():
            return replace(s, status=ObjectiveStatus.WITHDRAWN)
        case ObjectiveReinstated():
            return replace(
                s,
                status=ObjectiveStatus.DRAFT,
                agreed_by=frozenset(),
                set_without_agreement=False,
                outcome=None,
            )
        case ObjectiveCarriedForward():
            return replace(s, carried_forward_to=event.to_objective_id)
    return s


def _from_value(field: str, value: FieldValue) -> Any:
    """Turn a revision's stored value back into the content field's type."""
    if field in ("success_criteria", "standards"):
        return tuple(value or ())
    if field == "due_date":
        return date.fromisoformat(str(value))
    if field == "priority_id":
        return UUID(str(value)) if value else None
    return value
