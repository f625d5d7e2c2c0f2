"""Commands around the appraisal: CPD, evidence, observations, pay and the trust framework.

Input validation only (missing, too long, out of range); the domain's rules are the
aggregates'. Kept beside ``messages`` so each part of the domain reads on its own.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import AnyUrl, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commands.messages import Clean, Command, Criterion, LongText, Name, Reason, Reference, Text
from events.cpd import CpdKind, ImpactRating
from events.evidence import EvidenceSubject
from events.observation import ObservationKind
from events.pay import PayOutcome

Standard = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=10), Clean
]
Key = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$"),
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


# CPD ---------------------------------------------------------------------------------------


class PlanCpd(Command):
    """Plan a CPD activity for the appraisee of a review, linked to their objectives/needs."""

    review_id: UUID
    title: Name
    provider: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), Clean] = ""
    kind: CpdKind
    starts_on: date
    ends_on: date
    hours: float = Field(gt=0, le=500)
    cost_pence: int = Field(default=0, ge=0, le=10_000_000)
    objective_ids: list[UUID] = Field(default_factory=list, max_length=10)
    development_needs: list[Reference] = Field(default_factory=list, max_length=10)
    activity_id: UUID | None = None


class CompleteCpd(Command):
    """Mark an activity done; hours and cost default to the planned ones."""

    activity_id: UUID
    completed_on: date
    hours: float | None = Field(default=None, gt=0, le=500)
    cost_pence: int | None = Field(default=None, ge=0, le=10_000_000)


class ReflectOnCpd(Command):
    activity_id: UUID
    reflection: Text
    impact: ImpactRating


class CancelCpd(Command):
    activity_id: UUID
    reason: Reason


# Evidence ----------------------------------------------------------------------------------


class AttachEvidenceFile(Command):
    """A file already measured by the evidence service: its facts, never its bytes."""

    subject: EvidenceSubject
    subject_id: UUID
    title: LongText = ""
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255), Clean]
    sniffed_type: str | None
    size: int = Field(ge=0)
    sha256: Sha256
    evidence_id: UUID
    # The size limit in force, set by the evidence service from its settings.
    max_bytes: int = Field(ge=1)


class AttachEvidenceLink(Command):
    subject: EvidenceSubject
    subject_id: UUID
    title: Name
    url: AnyUrl
    evidence_id: UUID | None = None


class RemoveEvidence(Command):
    evidence_id: UUID
    reason: Reason


# Observations ------------------------------------------------------------------------------


class RecordObservation(Command):
    """Record a lesson observation or learning walk of the appraisee of a review."""

    review_id: UUID
    kind: ObservationKind = ObservationKind.LESSON_OBSERVATION
    held_on: date
    context: Name
    focus_standards: list[Standard] = Field(min_length=1, max_length=8)
    strengths: Text
    areas_to_develop: Text
    grade: Name | None = None
    objective_ids: list[UUID] = Field(default_factory=list, max_length=10)
    observation_id: UUID | None = None


class CommentOnObservation(Command):
    observation_id: UUID
    comment: Text


# Pay ---------------------------------------------------------------------------------------


class RecommendPay(Command):
    review_id: UUID
    recommendation: PayOutcome
    reasons: Text


class RecordPayDecision(Command):
    review_id: UUID
    decision: PayOutcome
    body: Name = "Pay committee"
    decided_on: date
    rationale: Text


# The trust's framework ---------------------------------------------------------------------


class PublishObjectiveTemplate(Command):
    trust_id: UUID
    title: Name
    description: LongText = ""
    success_criteria: list[Criterion] = Field(min_length=1, max_length=10)
    standards: list[Standard] = Field(default_factory=list, max_length=20)
    template_id: UUID | None = None


class RetireObjectiveTemplate(Command):
    trust_id: UUID
    template_id: UUID
    reason: Reason


class ScaleLevelIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: Key
    label: Name
    counts_as: Key


class PublishRatingScale(Command):
    """A new version of the trust's rating scales (objective outcomes, overall judgement)."""

    trust_id: UUID
    name: Name
    objective_levels: list[ScaleLevelIn] = Field(min_length=2, max_length=7)
    overall_levels: list[ScaleLevelIn] = Field(min_length=2, max_length=7)


class SetObservationPolicy(Command):
    trust_id: UUID
    graded: bool
    grades: list[Name] = Field(default_factory=list, max_length=7)
    reason: Reason

    @model_validator(mode="after")
    def _grades_when_graded(self) -> SetObservationPolicy:
        if not self.graded and self.grades:
            raise ValueError("an ungraded policy names no grades")
        return self
