"""Events of the Review aggregate: one person's appraisal in one cycle, from start to appeal."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.base import DomainEvent, register
from events.values import (
    AppealOutcome,
    MeetingKind,
    ModerationOutcome,
    ObjectiveNote,
    OverallJudgement,
    Signatory,
)


@register("ReviewStarted")
class ReviewStarted(DomainEvent):
    about: ClassVar[str] = "appraisee_id"
    audit_summary: ClassVar[str] = "Review started for {appraisee_id} with appraiser {appraiser_id}"

    cycle_id: UUID
    trust_id: UUID
    school_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID


@register("AppraiserChanged")
class AppraiserChanged(DomainEvent):
    audit_summary: ClassVar[str] = "Appraiser changed to {appraiser_id}: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    previous_appraiser_id: UUID
    appraiser_id: UUID
    reason: str


@register("ObjectiveLinked")
class ObjectiveLinked(DomainEvent):
    """An objective was drafted for this review (keeps the per-review objective limit)."""

    audit_summary: ClassVar[str] = "Objective {objective_id} added to the review"

    objective_id: UUID


@register("ObjectiveUnlinked")
class ObjectiveUnlinked(DomainEvent):
    """An objective of this review was withdrawn, freeing its place."""

    audit_summary: ClassVar[str] = "Objective {objective_id} removed from the review: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    objective_id: UUID
    reason: str


@register("MeetingRecorded")
class MeetingRecorded(DomainEvent):
    audit_summary: ClassVar[str] = "Meeting recorded: {kind} on {held_on}"
    free_text: ClassVar[frozenset[str]] = frozenset({"notes"})

    kind: MeetingKind
    held_on: date
    notes: str
    # Why a meeting was held outside its window (the cycle's policy allowed it with a reason).
    outside_window_reason: str | None = None


@register("SelfAssessmentSubmitted")
class SelfAssessmentSubmitted(DomainEvent):
    audit_summary: ClassVar[str] = "Self-assessment submitted"
    free_text: ClassVar[frozenset[str]] = frozenset({"text"})

    text: str


@register("AssessmentWritten")
class AssessmentWritten(DomainEvent):
    audit_summary: ClassVar[str] = "Assessment written: {overall}"
    free_text: ClassVar[frozenset[str]] = frozenset({"development_needs", "summary", "support"})

    overall: OverallJudgement
    summary: str
    objective_notes: tuple[ObjectiveNote, ...] = ()
    development_needs: tuple[str, ...] = ()
    support: str = ""
    # The level of the trust's overall scale in force for the cycle (None: built-in).
    overall_level: str | None = None


@register("ReportIssued")
class ReportIssued(DomainEvent):
    audit_summary: ClassVar[str] = "Report issued on {issued_on}"

    issued_on: date


@register("AppraiseeCommented")
class AppraiseeCommented(DomainEvent):
    audit_summary: ClassVar[str] = "Appraisee commented"
    free_text: ClassVar[frozenset[str]] = frozenset({"comment"})

    comment: str


@register("SignedOff")
class SignedOff(DomainEvent):
    audit_summary: ClassVar[str] = "Signed off by the {by}"

    by: Signatory


@register("Moderated")
class Moderated(DomainEvent):
    audit_summary: ClassVar[str] = "Moderated: {outcome}"
    free_text: ClassVar[frozenset[str]] = frozenset({"note"})

    outcome: ModerationOutcome
    note: str


@register("AppealLodged")
class AppealLodged(DomainEvent):
    audit_summary: ClassVar[str] = "Appeal lodged"
    free_text: ClassVar[frozenset[str]] = frozenset({"grounds"})

    grounds: str


@register("AppealDecided")
class AppealDecided(DomainEvent):
    audit_summary: ClassVar[str] = "Appeal decided: {outcome}"
    free_text: ClassVar[frozenset[str]] = frozenset({"note"})

    outcome: AppealOutcome
    note: str


@register("ReviewReopened")
class ReviewReopened(DomainEvent):
    audit_summary: ClassVar[str] = "Review reopened: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str


class PanelMember(BaseModel):
    """A governor on a headteacher's appraisal panel (the first is its chair)."""

    about: ClassVar[str] = "governor_id"
    personal: ClassVar[frozenset[str]] = frozenset({"name"})

    model_config = ConfigDict(frozen=True, extra="forbid")

    governor_id: UUID
    name: str


class ExternalAdviser(BaseModel):
    """The external adviser to a headteacher's panel: a person, not a user of the trust."""

    personal: ClassVar[frozenset[str]] = frozenset({"name"})

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    organisation: str


@register("PanelAppointed")
class PanelAppointed(DomainEvent):
    """A headteacher's review is run by a governors' panel, advised by an external adviser."""

    panel: tuple[PanelMember, ...]
    adviser: ExternalAdviser


@register("AdviserConsulted")
class AdviserConsulted(DomainEvent):
    """The panel consulted its external adviser (before setting objectives)."""

    free_text: ClassVar[frozenset[str]] = frozenset({"summary"})

    held_on: date
    summary: str
