"""Events of the AppraisalCycle aggregate: one trust-wide appraisal year and its policy."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.base import DomainEvent, register
from events.values import CyclePolicy


@register("CycleScheduled")
class CycleScheduled(DomainEvent):
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
    pass


@register("CycleClosed")
class CycleClosed(DomainEvent):
    pass


@register("CycleReopened")
class CycleReopened(DomainEvent):
    reason: str


@register("PolicyChanged")
class PolicyChanged(DomainEvent):
    old_policy: CyclePolicy
    new_policy: CyclePolicy
    reason: str
