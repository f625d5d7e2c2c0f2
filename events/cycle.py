"""Events of the AppraisalCycle aggregate: one trust-wide appraisal year and its policy."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.base import DomainEvent, Upcaster, register
from events.values import CyclePolicy


@register("CycleScheduled")
class CycleScheduled(DomainEvent):
    audit_summary: ClassVar[str] = "Cycle {name} scheduled, {start_date} to {end_date}"

    trust_id: UUID
    name: str
    start_date: date
    end_date: date
    objective_setting_deadline: date
    mid_year_window_start: date
    mid_year_window_end: date
    end_year_deadline: date
    policy: CyclePolicy


@register("CycleOpened")
class CycleOpened(DomainEvent):
    audit_summary: ClassVar[str] = "Cycle opened"

    pass


class UnfinishedReview(BaseModel):
    """A review left unfinished when its cycle closed, and where it was left."""

    about: ClassVar[str] = "appraisee_id"
    personal: ClassVar[frozenset[str]] = frozenset({"appraisee_name"})

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: UUID
    school_id: UUID
    appraisee_id: UUID
    appraisee_name: str
    left_at: str


def _closed_v1_to_v2(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "reason": None, "unfinished": []}


@register("CycleClosed")
class CycleClosed(DomainEvent):
    """Closed; with the reviews left unfinished and the reason for closing regardless."""

    audit_summary: ClassVar[str] = "Cycle closed"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    class_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _closed_v1_to_v2}

    reason: str | None = None
    unfinished: tuple[UnfinishedReview, ...] = ()


@register("CycleReopened")
class CycleReopened(DomainEvent):
    audit_summary: ClassVar[str] = "Cycle reopened: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str


@register("PolicyChanged")
class PolicyChanged(DomainEvent):
    audit_summary: ClassVar[str] = "Policy changed: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    old_policy: CyclePolicy
    new_policy: CyclePolicy
    reason: str
