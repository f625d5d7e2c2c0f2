"""Events of the pay recommendation, kept apart from the appraisal report.

Restricted: only the appraisee, their school leader and the pay committee read them; the
audit log records that they happened without their content, and analysts never see them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, register


class PayOutcome(StrEnum):
    PROGRESS = "progress"
    DEFER = "defer"
    NOT_PROGRESS = "not_progress"


@register("PayRecommendationMade")
class PayRecommendationMade(DomainEvent):
    about: ClassVar[str] = "appraisee_id"
    audit_summary: ClassVar[str] = "Pay recommendation recorded"
    free_text: ClassVar[frozenset[str]] = frozenset({"reasons"})

    restricted: ClassVar[bool] = True

    review_id: UUID
    cycle_id: UUID
    trust_id: UUID
    school_id: UUID
    appraisee_id: UUID
    recommendation: PayOutcome
    reasons: str


@register("PayDecisionRecorded")
class PayDecisionRecorded(DomainEvent):
    """The decision of the relevant body (the pay committee), recorded separately."""

    audit_summary: ClassVar[str] = "Pay decision recorded"
    free_text: ClassVar[frozenset[str]] = frozenset({"rationale"})

    restricted: ClassVar[bool] = True

    decision: PayOutcome
    body: str
    decided_on: date
    rationale: str
