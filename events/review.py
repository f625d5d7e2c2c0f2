"""Events of the Review aggregate: one person's appraisal in one cycle, from start to appeal."""

from __future__ import annotations

from datetime import date
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
    cycle_id: UUID
    trust_id: UUID
    school_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID


@register("AppraiserChanged")
class AppraiserChanged(DomainEvent):
    previous_appraiser_id: UUID
    appraiser_id: UUID
    reason: str


@register("ObjectiveLinked")
class ObjectiveLinked(DomainEvent):
    """An objective was drafted for this review (keeps the per-review objective limit)."""

    objective_id: UUID


@register("ObjectiveUnlinked")
class ObjectiveUnlinked(DomainEvent):
    """An objective of this review was withdrawn, freeing its place."""

    objective_id: UUID
    reason: str


@register("MeetingRecorded")
class MeetingRecorded(DomainEvent):
    kind: MeetingKind
    held_on: date
    notes: str
    # Why a meeting was held outside its window (the cycle's policy allowed it with a reason).
    outside_window_reason: str | None = None


@register("SelfAssessmentSubmitted")
class SelfAssessmentSubmitted(DomainEvent):
    text: str


@register("AssessmentWritten")
class AssessmentWritten(DomainEvent):
    overall: OverallJudgement
    summary: str
    objective_notes: tuple[ObjectiveNote, ...] = ()
    development_needs: tuple[str, ...] = ()
    support: str = ""
    # The level of the trust's overall scale in force for the cycle (None: built-in).
    overall_level: str | None = None


@register("ReportIssued")
class ReportIssued(DomainEvent):
    issued_on: date


@register("AppraiseeCommented")
class AppraiseeCommented(DomainEvent):
    comment: str


@register("SignedOff")
class SignedOff(DomainEvent):
    by: Signatory


@register("Moderated")
class Moderated(DomainEvent):
    outcome: ModerationOutcome
    note: str


@register("AppealLodged")
class AppealLodged(DomainEvent):
    grounds: str


@register("AppealDecided")
class AppealDecided(DomainEvent):
    outcome: AppealOutcome
    note: str


@register("ReviewReopened")
class ReviewReopened(DomainEvent):
    reason: str


class PanelMember(BaseModel):
    """A governor on a headteacher's appraisal panel (the first is its chair)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    governor_id: UUID
    name: str


class ExternalAdviser(BaseModel):
    """The external adviser to a headteacher's panel: a person, not a user of the trust."""

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

    held_on: date
    summary: str
