"""Events of the CPD activity aggregate: professional development planned, done, reflected on."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, register


class CpdKind(StrEnum):
    COURSE = "course"
    COACHING = "coaching"
    MENTORING = "mentoring"
    INSET = "inset"
    QUALIFICATION = "qualification"
    READING = "reading"
    VISIT = "visit"
    CONFERENCE = "conference"
    ONLINE = "online"
    OTHER = "other"


class ImpactRating(StrEnum):
    """The person's own rating of what the activity changed, from none to strong."""

    NONE = "none"
    SOME = "some"
    CLEAR = "clear"
    STRONG = "strong"


IMPACT_SCORE = {
    ImpactRating.NONE: 0,
    ImpactRating.SOME: 1,
    ImpactRating.CLEAR: 2,
    ImpactRating.STRONG: 3,
}


@register("CpdPlanned")
class CpdPlanned(DomainEvent):
    """An activity planned for one person in one cycle, linked to objectives and needs."""

    about: ClassVar[str] = "staff_id"
    audit_summary: ClassVar[str] = "CPD planned: {title} ({kind})"
    free_text: ClassVar[frozenset[str]] = frozenset({"development_needs", "provider", "title"})

    trust_id: UUID
    school_id: UUID
    cycle_id: UUID
    review_id: UUID
    staff_id: UUID
    title: str
    provider: str
    kind: CpdKind
    starts_on: date
    ends_on: date
    hours: float
    cost_pence: int
    objective_ids: tuple[UUID, ...] = ()
    development_needs: tuple[str, ...] = ()


@register("CpdCompleted")
class CpdCompleted(DomainEvent):
    """Done: when, and the hours and cost it actually took."""

    audit_summary: ClassVar[str] = "CPD done on {completed_on}"

    completed_on: date
    hours: float
    cost_pence: int


@register("CpdReflected")
class CpdReflected(DomainEvent):
    """The person's reflection and their impact rating."""

    audit_summary: ClassVar[str] = "CPD reflected on: impact {impact}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reflection"})

    reflection: str
    impact: ImpactRating


@register("CpdCancelled")
class CpdCancelled(DomainEvent):
    audit_summary: ClassVar[str] = "CPD cancelled: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str
