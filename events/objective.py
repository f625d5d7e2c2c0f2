"""Events of the Objective aggregate: drafted, revised, agreed, progressed, assessed."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from events.base import DomainEvent, register
from events.values import FieldChange, ObjectiveOutcome, Signatory


def _objective_drafted_v1_to_v2(state: dict[str, Any]) -> dict[str, Any]:
    # Version 1 held the success criteria as one block of text, one criterion a line.
    text = state.get("success_criteria") or ""
    criteria = [line.strip(" -*\t") for line in str(text).splitlines()]
    return {**state, "success_criteria": [c for c in criteria if c]}


@register("ObjectiveDrafted")
class ObjectiveDrafted(DomainEvent):
    about: ClassVar[str] = "appraisee_id"
    audit_summary: ClassVar[str] = "Objective drafted: {title}"
    free_text: ClassVar[frozenset[str]] = frozenset({"description", "success_criteria", "title"})

    class_version = 2
    upcasters = {1: _objective_drafted_v1_to_v2}  # noqa: RUF012

    review_id: UUID
    cycle_id: UUID
    appraisee_id: UUID
    title: str
    description: str
    success_criteria: tuple[str, ...]
    priority_id: UUID | None = None
    standards: tuple[str, ...] = ()
    due_date: date
    carried_forward_from: UUID | None = None


@register("ObjectiveSetWithoutAgreement")
class ObjectiveSetWithoutAgreement(DomainEvent):
    """The appraiser set the objective because it could not be agreed."""

    audit_summary: ClassVar[str] = "Objective set without agreement: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str


@register("DisagreementRecorded")
class DisagreementRecorded(DomainEvent):
    """The appraisee's written disagreement with an objective set without agreement."""

    audit_summary: ClassVar[str] = "Disagreement recorded"
    free_text: ClassVar[frozenset[str]] = frozenset({"statement"})

    statement: str


@register("ObjectiveRevised")
class ObjectiveRevised(DomainEvent):
    audit_summary: ClassVar[str] = "Objective revised ({fields}): {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    changes: tuple[FieldChange, ...]
    reason: str | None = None


@register("ObjectiveAgreed")
class ObjectiveAgreed(DomainEvent):
    audit_summary: ClassVar[str] = "Objective agreed by the {by}"

    by: Signatory


@register("ProgressRecorded")
class ProgressRecorded(DomainEvent):
    audit_summary: ClassVar[str] = "Progress recorded: {percent}%"
    free_text: ClassVar[frozenset[str]] = frozenset({"evidence", "note"})

    percent: int
    note: str
    evidence: tuple[str, ...] = ()


@register("ObjectiveAssessed")
class ObjectiveAssessed(DomainEvent):
    audit_summary: ClassVar[str] = "Objective assessed: {outcome}"
    free_text: ClassVar[frozenset[str]] = frozenset({"comment"})

    outcome: ObjectiveOutcome
    comment: str
    # The level of the trust's scale in force for the cycle (None: the built-in scale).
    level: str | None = None


@register("ObjectiveWithdrawn")
class ObjectiveWithdrawn(DomainEvent):
    audit_summary: ClassVar[str] = "Objective withdrawn: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str


@register("ObjectiveReinstated")
class ObjectiveReinstated(DomainEvent):
    """A withdrawn objective brought back after its review was reopened."""

    audit_summary: ClassVar[str] = "Objective reinstated: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str


@register("ObjectiveCarriedForward")
class ObjectiveCarriedForward(DomainEvent):
    audit_summary: ClassVar[str] = "Objective carried forward to {to_objective_id}"

    to_objective_id: UUID
    to_cycle_id: UUID
