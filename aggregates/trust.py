"""The Trust aggregate: a multi-academy trust, its schools and its development priorities."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from events.base import DomainEvent
from events.reminders import DEFAULT_POLICY, ReminderPolicy, ReminderPolicyChanged
from events.trust import (
    CycleAdded,
    GovernorAppointed,
    PriorityAdded,
    PriorityRetired,
    RetentionPolicySet,
    SchoolAdded,
    SchoolRenamed,
    TrustRegistered,
)


@dataclass(frozen=True, slots=True)
class Priority:
    id: UUID
    title: str
    school_id: UUID | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Governor:
    """A governor of a school's board, or of the trust board (``school_id`` None)."""

    id: UUID
    name: str
    school_id: UUID | None

    def governs(self, school_id: UUID | None) -> bool:
        return self.school_id is None or self.school_id == school_id


@dataclass(frozen=True, slots=True)
class CycleSpan:
    """A cycle of the trust and the days it runs (both inclusive)."""

    id: UUID
    name: str
    start_date: date
    end_date: date

    def overlaps(self, start_date: date, end_date: date) -> bool:
        return self.start_date <= end_date and start_date <= self.end_date


@dataclass(frozen=True, slots=True)
class Trust:
    id: UUID
    version: int
    name: str
    registered_at: datetime
    schools: dict[UUID, str] = field(default_factory=dict)
    priorities: dict[UUID, Priority] = field(default_factory=dict)
    reminder_policy: ReminderPolicy = DEFAULT_POLICY
    cycles: dict[UUID, CycleSpan] = field(default_factory=dict)
    governors: dict[UUID, Governor] = field(default_factory=dict)
    # Leavers' personal data is erased this many whole years after they left (None: never).
    retention_years: int | None = None

    def has_school(self, school_id: UUID) -> bool:
        return school_id in self.schools

    def priority_applies(self, priority_id: UUID, school_id: UUID) -> bool:
        """An active priority that is trust-wide or for this school."""
        p = self.priorities.get(priority_id)
        return p is not None and p.active and p.school_id in (None, school_id)


# Decisions -----------------------------------------------------------------------------


def register_trust(trust_id: UUID, name: str, ctx: Context) -> list[DomainEvent]:
    require_text(name, "name", rule="trust-name-required")
    return [first_event(TrustRegistered, trust_id, ctx, name=name.strip())]


def add_school(
    trust: Trust, school_id: UUID, name: str, phase: str | None, ctx: Context
) -> list[DomainEvent]:
    require_text(name, "name", rule="school-name-required")
    require(school_id not in trust.schools, "school-exists", "this school is already in the trust")
    require(
        _name_free(trust, name),
        "school-name-unique",
        f"the trust already has a school called {name.strip()!r}",
    )
    return [
        next_event(SchoolAdded, trust, ctx, school_id=school_id, name=name.strip(), phase=phase)
    ]


def rename_school(
    trust: Trust, school_id: UUID, new_name: str, reason: str, ctx: Context
) -> list[DomainEvent]:
    require(trust.has_school(school_id), "school-in-trust", "the school is not in this trust")
    require_text(new_name, "name", rule="school-name-required")
    require_text(reason, "reason", rule="reason-required")
    old = trust.schools[school_id]
    require(new_name.strip() != old, "name-unchanged", "the new name is the same as the old one")
    require(
        _name_free(trust, new_name, except_school=school_id),
        "school-name-unique",
        f"the trust already has a school called {new_name.strip()!r}",
    )
    return [
        next_event(
            SchoolRenamed,
            trust,
            ctx,
            school_id=school_id,
            old_name=old,
            new_name=new_name.strip(),
            reason=reason.strip(),
        )
    ]


def add_priority(
    trust: Trust,
    priority_id: UUID,
    title: str,
    description: str,
    school_id: UUID | None,
    ctx: Context,
) -> list[DomainEvent]:
    require_text(title, "title", rule="priority-title-required")
    require(priority_id not in trust.priorities, "priority-exists", "this priority already exists")
    if school_id is not None:
        require(trust.has_school(school_id), "school-in-trust", "the school is not in this trust")
    return [
        next_event(
            PriorityAdded,
            trust,
            ctx,
            priority_id=priority_id,
            title=title.strip(),
            description=description.strip(),
            school_id=school_id,
        )
    ]


def retire_priority(
    trust: Trust, priority_id: UUID, reason: str, ctx: Context
) -> list[DomainEvent]:
    p = trust.priorities.get(priority_id)
    require(p is not None, "priority-exists", "the trust has no such priority")
    require(p is not None and p.active, "priority-active", "the priority is already retired")
    require_text(reason, "reason", rule="reason-required")
    return [next_event(PriorityRetired, trust, ctx, priority_id=priority_id, reason=reason.strip())]


def add_cycle(
    trust: Trust,
    *,
    cycle_id: UUID,
    name: str,
    start_date: date,
    end_date: date,
    ctx: Context,
) -> list[DomainEvent]:
    """Record a newly scheduled cycle on its trust. The trust holds every cycle's dates, so two
    cycles scheduled at once both write here and the second is decided again on fresh state."""
    overlapping = sorted(
        (c for c in trust.cycles.values() if c.id != cycle_id and c.overlaps(start_date, end_date)),
        key=lambda c: c.start_date,
    )
    first = overlapping[0] if overlapping else None
    require(
        first is None,
        "cycles-do-not-overlap",
        f"the cycle {name.strip()} ({start_date} to {end_date}) overlaps the cycle "
        f"{first.name} ({first.start_date} to {first.end_date}); cycles of one trust "
        "do not overlap"
        if first is not None
        else "",
    )
    return [
        next_event(
            CycleAdded,
            trust,
            ctx,
            cycle_id=cycle_id,
            name=name.strip(),
            start_date=start_date,
            end_date=end_date,
        )
    ]


def appoint_governor(
    trust: Trust, *, governor_id: UUID, name: str, school_id: UUID | None, ctx: Context
) -> list[DomainEvent]:
    """A governor of a school's governing board, or of the trust board (no school)."""
    require_text(name, "name", rule="governor-name-required")
    require(governor_id not in trust.governors, "governor-exists", "this governor is appointed")
    if school_id is not None:
        require(trust.has_school(school_id), "school-in-trust", "the school is not in this trust")
    return [
        next_event(
            GovernorAppointed,
            trust,
            ctx,
            governor_id=governor_id,
            name=name.strip(),
            school_id=school_id,
        )
    ]


def set_retention_policy(
    trust: Trust, *, erase_after_years: int | None, reason: str, ctx: Context
) -> list[DomainEvent]:
    """How long leavers' personal data is kept (docs/privacy.md)."""
    require(
        erase_after_years is None or 1 <= erase_after_years <= 100,
        "retention-years-range",
        "keep leavers' data between 1 and 100 years",
    )
    require(
        erase_after_years != trust.retention_years,
        "retention-changed",
        "the retention policy is already that",
    )
    require_text(reason, "reason", rule="reason-required")
    return [
        next_event(
            RetentionPolicySet,
            trust,
            ctx,
            erase_after_years=erase_after_years,
            reason=reason.strip(),
        )
    ]


def _name_free(trust: Trust, name: str, *, except_school: UUID | None = None) -> bool:
    # A school may be renamed to another capitalisation of its own name.
    wanted = name.strip().casefold()
    return all(
        existing.casefold() != wanted
        for school_id, existing in trust.schools.items()
        if school_id != except_school
    )


# Evolution ------------------------------------------------------------------------------


def evolve(state: Trust | None, event: DomainEvent) -> Trust:
    if isinstance(event, TrustRegistered):
        return Trust(
            id=event.originator_id,
            version=event.originator_version,
            name=event.name,
            registered_at=event.timestamp,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before TrustRegistered")
    match event:
        case SchoolAdded():
            return replace(
                state,
                version=event.originator_version,
                schools={**state.schools, event.school_id: event.name},
            )
        case SchoolRenamed():
            return replace(
                state,
                version=event.originator_version,
                schools={**state.schools, event.school_id: event.new_name},
            )
        case PriorityAdded():
            p = Priority(event.priority_id, event.title, event.school_id)
            return replace(
                state,
                version=event.originator_version,
                priorities={**state.priorities, p.id: p},
            )
        case CycleAdded():
            span = CycleSpan(event.cycle_id, event.name, event.start_date, event.end_date)
            return replace(
                state,
                version=event.originator_version,
                cycles={**state.cycles, span.id: span},
            )
        case GovernorAppointed():
            g = Governor(event.governor_id, event.name, event.school_id)
            return replace(
                state, version=event.originator_version, governors={**state.governors, g.id: g}
            )
        case PriorityRetired():
            p = replace(state.priorities[event.priority_id], active=False)
            return replace(
                state,
                version=event.originator_version,
                priorities={**state.priorities, p.id: p},
            )
        case ReminderPolicyChanged():
            return replace(state, version=event.originator_version, reminder_policy=event.policy)
        case RetentionPolicySet():
            return replace(
                state, version=event.originator_version, retention_years=event.erase_after_years
            )
    return replace(state, version=event.originator_version)
