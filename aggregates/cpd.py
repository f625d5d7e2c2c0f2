"""The CPD activity aggregate: one person's professional development activity in a cycle.

Planned with its links to the person's own objectives and development needs, then done
(with the hours and cost it took) or cancelled, and afterwards reflected on with an impact
rating. Who may act is the policy's concern.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from aggregates.objective import Objective, ObjectiveStatus
from aggregates.review import Review
from events.base import DomainEvent
from events.cpd import CpdCancelled, CpdCompleted, CpdKind, CpdPlanned, CpdReflected, ImpactRating

MAX_HOURS = 500.0
MAX_COST_PENCE = 10_000_000  # £100,000: a whole funded qualification, never more


class CpdStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class CpdPlan:
    """What an activity is, as it is planned."""

    title: str
    provider: str
    kind: CpdKind
    starts_on: date
    ends_on: date
    hours: float
    cost_pence: int
    development_needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CpdActivity:
    id: UUID
    version: int
    trust_id: UUID
    school_id: UUID
    review_id: UUID
    staff_id: UUID
    plan: CpdPlan
    objective_ids: tuple[UUID, ...]
    status: CpdStatus = CpdStatus.PLANNED
    completed_on: date | None = None
    impact: ImpactRating | None = None


def plan_cpd(
    activity_id: UUID,
    *,
    review: Review,
    school_id: UUID,
    plan: CpdPlan,
    objectives: tuple[Objective, ...],
    ctx: Context,
) -> list[DomainEvent]:
    _check_plan(plan)
    for o in objectives:
        require(
            o.appraisee_id == review.appraisee_id and o.id in review.all_objectives,
            "cpd-objective-of-appraisee",
            "CPD links only to the person's own objectives in this cycle",
        )
        require(
            o.status is not ObjectiveStatus.WITHDRAWN,
            "cpd-objective-active",
            f"the objective '{o.content.title}' is withdrawn",
        )
    needs = tuple(n.strip() for n in plan.development_needs if n.strip())
    require(
        bool(objectives) or bool(needs),
        "cpd-linked",
        "a CPD activity is linked to at least one objective or development need",
    )
    return [
        first_event(
            CpdPlanned,
            activity_id,
            ctx,
            trust_id=review.trust_id,
            school_id=school_id,
            cycle_id=review.cycle_id,
            review_id=review.id,
            staff_id=review.appraisee_id,
            title=plan.title.strip(),
            provider=plan.provider.strip(),
            kind=plan.kind,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            hours=plan.hours,
            cost_pence=plan.cost_pence,
            objective_ids=tuple(dict.fromkeys(o.id for o in objectives)),
            development_needs=needs,
        )
    ]


def _check_plan(plan: CpdPlan) -> None:
    require_text(plan.title, "title", rule="cpd-title-required")
    require(plan.starts_on <= plan.ends_on, "cpd-dates", "the activity must end after it starts")
    _check_effort(plan.hours, plan.cost_pence)


def _check_effort(hours: float, cost_pence: int) -> None:
    require(
        0 < hours <= MAX_HOURS, "cpd-hours", f"hours must be more than 0 and at most {MAX_HOURS:g}"
    )
    require(
        0 <= cost_pence <= MAX_COST_PENCE,
        "cpd-cost",
        f"the cost must be from £0 to £{MAX_COST_PENCE // 100:,}",
    )


def complete_cpd(
    activity: CpdActivity,
    *,
    completed_on: date,
    hours: float | None,
    cost_pence: int | None,
    ctx: Context,
) -> list[DomainEvent]:
    require(
        activity.status is CpdStatus.PLANNED,
        "cpd-planned",
        f"only a planned activity can be marked done; this one is {activity.status}",
    )
    require(
        activity.plan.starts_on <= completed_on <= ctx.now.date(),
        "cpd-completed-on",
        f"the activity was done between its start ({activity.plan.starts_on}) and today",
    )
    actual_hours = activity.plan.hours if hours is None else hours
    actual_cost = activity.plan.cost_pence if cost_pence is None else cost_pence
    _check_effort(actual_hours, actual_cost)
    return [
        next_event(
            CpdCompleted,
            activity,
            ctx,
            completed_on=completed_on,
            hours=actual_hours,
            cost_pence=actual_cost,
        )
    ]


def reflect_on_cpd(
    activity: CpdActivity, *, reflection: str, impact: ImpactRating, ctx: Context
) -> list[DomainEvent]:
    require(
        activity.status is CpdStatus.DONE,
        "cpd-done",
        "reflection and impact are recorded once the activity is done",
    )
    require(activity.impact is None, "cpd-reflect-once", "this activity is already reflected on")
    require_text(reflection, "reflection", rule="cpd-reflection-required")
    return [next_event(CpdReflected, activity, ctx, reflection=reflection, impact=impact)]


def cancel_cpd(activity: CpdActivity, *, reason: str, ctx: Context) -> list[DomainEvent]:
    require(
        activity.status is CpdStatus.PLANNED,
        "cpd-planned",
        f"only a planned activity can be cancelled; this one is {activity.status}",
    )
    require_text(reason, "reason", rule="cpd-cancel-reason-required")
    return [next_event(CpdCancelled, activity, ctx, reason=reason.strip())]


def evolve(state: CpdActivity | None, event: DomainEvent) -> CpdActivity:
    if isinstance(event, CpdPlanned):
        return CpdActivity(
            id=event.originator_id,
            version=event.originator_version,
            trust_id=event.trust_id,
            school_id=event.school_id,
            review_id=event.review_id,
            staff_id=event.staff_id,
            plan=CpdPlan(
                title=event.title,
                provider=event.provider,
                kind=event.kind,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                hours=event.hours,
                cost_pence=event.cost_pence,
                development_needs=tuple(event.development_needs),
            ),
            objective_ids=tuple(event.objective_ids),
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before CpdPlanned")
    s = replace(state, version=event.originator_version)
    match event:
        case CpdCompleted():
            return replace(s, status=CpdStatus.DONE, completed_on=event.completed_on)
        case CpdReflected():
            return replace(s, impact=event.impact)
        case CpdCancelled():
            return replace(s, status=CpdStatus.CANCELLED)
    return s
