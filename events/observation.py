"""Events of the Observation aggregate: a lesson observation or learning walk and its reply."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, register


class ObservationKind(StrEnum):
    LESSON_OBSERVATION = "lesson_observation"
    LEARNING_WALK = "learning_walk"


@register("ObservationRecorded")
class ObservationRecorded(DomainEvent):
    about: ClassVar[str] = "observed_id"
    audit_summary: ClassVar[str] = "Observation recorded: {kind} on {held_on}"
    free_text: ClassVar[frozenset[str]] = frozenset({"areas_to_develop", "context", "strengths"})

    trust_id: UUID
    school_id: UUID
    cycle_id: UUID
    review_id: UUID
    observed_id: UUID
    observer_id: UUID
    kind: ObservationKind
    held_on: date
    context: str
    focus_standards: tuple[str, ...]
    strengths: str
    areas_to_develop: str
    # Only when the trust's observation policy asks for a graded judgement.
    grade: str | None = None
    objective_ids: tuple[UUID, ...] = ()


@register("ObservationCommented")
class ObservationCommented(DomainEvent):
    """The observed person's response."""

    audit_summary: ClassVar[str] = "The observed person responded"
    free_text: ClassVar[frozenset[str]] = frozenset({"comment"})

    comment: str
