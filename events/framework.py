"""Events of a trust's development framework: objective templates, rating scales and the
observation policy, each published as a new version (like any policy), never edited in place."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.base import DomainEvent, register
from events.values import ObjectiveOutcome, OverallJudgement


class ScaleLevel(BaseModel):
    """One level of a trust's scale, and the fixed outcome it counts as across trusts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label: str
    counts_as: str


@register("ObjectiveTemplatePublished")
class ObjectiveTemplatePublished(DomainEvent):
    audit_summary: ClassVar[str] = "Objective template published: {title}"
    free_text: ClassVar[frozenset[str]] = frozenset({"description", "success_criteria", "title"})

    trust_id: UUID
    template_id: UUID
    title: str
    description: str
    success_criteria: tuple[str, ...]
    standards: tuple[str, ...] = ()


@register("ObjectiveTemplateRetired")
class ObjectiveTemplateRetired(DomainEvent):
    audit_summary: ClassVar[str] = "Objective template retired: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    trust_id: UUID
    template_id: UUID
    reason: str


@register("RatingScalePublished")
class RatingScalePublished(DomainEvent):
    """Version ``scale_version`` of the trust's scales for objective outcomes and judgements."""

    audit_summary: ClassVar[str] = "Rating scale version {scale_version} published: {name}"

    trust_id: UUID
    scale_version: int
    name: str
    objective_levels: tuple[ScaleLevel, ...]
    overall_levels: tuple[ScaleLevel, ...]


@register("ObservationPolicySet")
class ObservationPolicySet(DomainEvent):
    """Whether observations carry a graded judgement, and on which grades (version n)."""

    audit_summary: ClassVar[str] = "Observation policy version {policy_version} set: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    trust_id: UUID
    policy_version: int
    graded: bool
    grades: tuple[str, ...] = ()
    reason: str


# The scale every cycle uses until its trust publishes one (version 0).
DEFAULT_OBJECTIVE_LEVELS = tuple(
    ScaleLevel(key=o.value, label=o.value.replace("_", " ").capitalize(), counts_as=o.value)
    for o in ObjectiveOutcome
)
DEFAULT_OVERALL_LEVELS = tuple(
    ScaleLevel(key=j.value, label=j.value.replace("_", " ").capitalize(), counts_as=j.value)
    for j in OverallJudgement
)
