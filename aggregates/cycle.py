"""The AppraisalCycle aggregate: one trust-wide appraisal year, its dates and its policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid5

from aggregates.base import Context, first_event, next_event, require, require_text
from events.base import DomainEvent
from events.cycle import (
    CycleClosed,
    CycleOpened,
    CycleReopened,
    CycleScheduled,
    PolicyChanged,
    UnfinishedReview,
)
from events.values import CyclePolicy

MAX_CYCLE_DAYS = 400


class CycleStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class CycleDates:
    start_date: date
    end_date: date
    objective_setting_deadline: date
    mid_year_window_start: date
    mid_year_window_end: date
    end_year_deadline: date


@dataclass(frozen=True, slots=True)
class Closing:
    """The cycle's latest close: when, why, and the reviews it left unfinished."""

    closed_at: datetime
    reason: str | None
    unfinished: tuple[UnfinishedReview, ...]


@dataclass(frozen=True, slots=True)
class AppraisalCycle:
    id: UUID
    version: int
    trust_id: UUID
    name: str
    dates: CycleDates
    policy: CyclePolicy
    status: CycleStatus = CycleStatus.SCHEDULED
    last_closing: Closing | None = None

    @property
    def is_open(self) -> bool:
        return self.status is CycleStatus.OPEN


def cycle_id_for(trust_id: UUID, name: str) -> UUID:
    """A cycle's id follows from its trust and name, so a trust cannot have two "2026-27"."""
    return uuid5(trust_id, "cycle:" + name.strip().casefold())


def schedule_cycle(
    trust_id: UUID, name: str, dates: CycleDates, policy: CyclePolicy, ctx: Context
) -> list[DomainEvent]:
    require_text(name, "name", rule="cycle-name-required")
    d = dates
    require(d.start_date < d.end_date, "cycle-dates", "the cycle must end after it starts")
    require(
        (d.end_date - d.start_date).days <= MAX_CYCLE_DAYS,
        "cycle-length",
        f"an appraisal cycle lasts at most {MAX_CYCLE_DAYS} days",
    )
    require(
        d.start_date
        < d.objective_setting_deadline
        <= d.mid_year_window_start
        <= d.mid_year_window_end
        < d.end_year_deadline
        <= d.end_date,
        "cycle-milestones",
        "milestones must run in order: start < objective-setting deadline <= mid-year window "
        "< end-of-year deadline <= end",
    )
    return [
        first_event(
            CycleScheduled,
            cycle_id_for(trust_id, name),
            ctx,
            trust_id=trust_id,
            name=name.strip(),
            start_date=d.start_date,
            end_date=d.end_date,
            objective_setting_deadline=d.objective_setting_deadline,
            mid_year_window_start=d.mid_year_window_start,
            mid_year_window_end=d.mid_year_window_end,
            end_year_deadline=d.end_year_deadline,
            policy=policy,
        )
    ]


def open_cycle(cycle: AppraisalCycle, ctx: Context) -> list[DomainEvent]:
    require(
        cycle.status is CycleStatus.SCHEDULED,
        "cycle-scheduled",
        f"only a scheduled cycle can be opened; this one is {cycle.status}",
    )
    return [next_event(CycleOpened, cycle, ctx)]


def close_cycle(
    cycle: AppraisalCycle,
    *,
    unfinished: Sequence[UnfinishedReview],
    reason: str | None,
    ctx: Context,
) -> list[DomainEvent]:
    """Close the cycle; with reviews unfinished only for a reason, recorded with the reviews."""
    require(
        cycle.is_open, "cycle-open", f"only an open cycle can be closed; this one is {cycle.status}"
    )
    names = ", ".join(u.appraisee_name for u in unfinished[:5])
    more = f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else ""
    require(
        not unfinished or bool(reason and reason.strip()),
        "unfinished-reviews-need-reason",
        f"{len(unfinished)} review(s) of {cycle.name} are unfinished ({names}{more}): "
        "closing the cycle regardless needs a reason",
    )
    return [
        next_event(
            CycleClosed,
            cycle,
            ctx,
            reason=reason.strip() if reason and reason.strip() else None,
            unfinished=tuple(unfinished),
        )
    ]


def reopen_cycle(cycle: AppraisalCycle, reason: str, ctx: Context) -> list[DomainEvent]:
    require(
        cycle.status is CycleStatus.CLOSED,
        "cycle-closed",
        f"only a closed cycle can be reopened; this one is {cycle.status}",
    )
    require_text(reason, "reason", rule="reason-required")
    return [next_event(CycleReopened, cycle, ctx, reason=reason.strip())]


def change_policy(
    cycle: AppraisalCycle, policy: CyclePolicy, reason: str, ctx: Context
) -> list[DomainEvent]:
    require(
        cycle.status is not CycleStatus.CLOSED,
        "cycle-not-closed",
        "the policy of a closed cycle cannot change",
    )
    require(
        policy != cycle.policy, "policy-changed", "the new policy is the same as the current one"
    )
    require_text(reason, "reason", rule="reason-required")
    return [
        next_event(
            PolicyChanged,
            cycle,
            ctx,
            old_policy=cycle.policy,
            new_policy=policy,
            reason=reason.strip(),
        )
    ]


def require_open(cycle: AppraisalCycle) -> None:
    require(
        cycle.is_open,
        "cycle-open",
        f"the appraisal cycle {cycle.name} is {cycle.status}, not open",
    )


def evolve(state: AppraisalCycle | None, event: DomainEvent) -> AppraisalCycle:
    if isinstance(event, CycleScheduled):
        return AppraisalCycle(
            id=event.originator_id,
            version=event.originator_version,
            trust_id=event.trust_id,
            name=event.name,
            dates=CycleDates(
                event.start_date,
                event.end_date,
                event.objective_setting_deadline,
                event.mid_year_window_start,
                event.mid_year_window_end,
                event.end_year_deadline,
            ),
            policy=event.policy,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before CycleScheduled")
    v = event.originator_version
    match event:
        case CycleOpened() | CycleReopened():
            return replace(state, version=v, status=CycleStatus.OPEN)
        case CycleClosed():
            closing = Closing(event.timestamp, event.reason, event.unfinished)
            return replace(state, version=v, status=CycleStatus.CLOSED, last_closing=closing)
        case PolicyChanged():
            return replace(state, version=v, policy=event.new_policy)
    return replace(state, version=v)
