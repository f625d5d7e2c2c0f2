"""Events of the Trust aggregate: the trust, its schools and its development priorities."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, register


@register("TrustRegistered")
class TrustRegistered(DomainEvent):
    audit_summary: ClassVar[str] = "Trust registered: {name}"

    name: str


@register("SchoolAdded")
class SchoolAdded(DomainEvent):
    audit_summary: ClassVar[str] = "School added: {name}"

    school_id: UUID
    name: str
    phase: str | None = None


@register("SchoolRenamed")
class SchoolRenamed(DomainEvent):
    audit_summary: ClassVar[str] = "School renamed from {old_name} to {new_name}: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    school_id: UUID
    old_name: str
    new_name: str
    reason: str


@register("PriorityAdded")
class PriorityAdded(DomainEvent):
    """A development priority, trust-wide (``school_id`` None) or for one school."""

    audit_summary: ClassVar[str] = "Priority added: {title}"
    free_text: ClassVar[frozenset[str]] = frozenset({"description", "title"})

    priority_id: UUID
    title: str
    description: str = ""
    school_id: UUID | None = None


@register("PriorityRetired")
class PriorityRetired(DomainEvent):
    audit_summary: ClassVar[str] = "Priority retired: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    priority_id: UUID
    reason: str


@register("CycleAdded")
class CycleAdded(DomainEvent):
    """A cycle the trust scheduled, with its dates: the trust keeps them so cycles never overlap."""

    audit_summary: ClassVar[str] = "Cycle {name} added to the trust, {start_date} to {end_date}"

    cycle_id: UUID
    name: str
    start_date: date
    end_date: date


@register("GovernorAppointed")
class GovernorAppointed(DomainEvent):
    """A governor of a school's governing board, or of the trust board (``school_id`` None)."""

    about: ClassVar[str] = "governor_id"
    personal: ClassVar[frozenset[str]] = frozenset({"name"})

    governor_id: UUID
    name: str
    school_id: UUID | None = None


@register("RetentionPolicySet")
class RetentionPolicySet(DomainEvent):
    """How long the trust keeps a leaver's personal data: erased ``erase_after_years`` whole
    years after their leaving date (None: kept until erased by hand)."""

    audit_summary: ClassVar[str] = (
        "Retention set to erase leavers after {erase_after_years} years: {reason}"
    )
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    erase_after_years: int | None
    reason: str
