"""Events of the Trust aggregate: the trust, its schools and its development priorities."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.base import DomainEvent, register


@register("TrustRegistered")
class TrustRegistered(DomainEvent):
    name: str


@register("SchoolAdded")
class SchoolAdded(DomainEvent):
    school_id: UUID
    name: str
    phase: str | None = None


@register("SchoolRenamed")
class SchoolRenamed(DomainEvent):
    school_id: UUID
    old_name: str
    new_name: str
    reason: str


@register("PriorityAdded")
class PriorityAdded(DomainEvent):
    """A development priority, trust-wide (``school_id`` None) or for one school."""

    priority_id: UUID
    title: str
    description: str = ""
    school_id: UUID | None = None


@register("PriorityRetired")
class PriorityRetired(DomainEvent):
    priority_id: UUID
    reason: str


@register("CycleAdded")
class CycleAdded(DomainEvent):
    """A cycle the trust scheduled, with its dates: the trust keeps them so cycles never overlap."""

    cycle_id: UUID
    name: str
    start_date: date
    end_date: date


@register("GovernorAppointed")
class GovernorAppointed(DomainEvent):
    """A governor of a school's governing board, or of the trust board (``school_id`` None)."""

    governor_id: UUID
    name: str
    school_id: UUID | None = None
