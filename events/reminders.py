"""Reminder events and values: a trust's reminder policy, a person's preference, a chase.

``ReminderPolicyChanged`` belongs to the Trust aggregate, ``ReminderPreferenceChanged`` to the
StaffMember aggregate and ``ReviewChased`` to the Review aggregate; the scheduled work that
sends the mails lives in ``reminders/`` and decides from read models.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.base import DomainEvent, register


class Milestone(StrEnum):
    """The steps of a cycle a reminder can be about."""

    OBJECTIVES_AGREED = "objectives_agreed"
    MID_YEAR_REVIEW = "mid_year_review"
    END_YEAR_REVIEW = "end_year_review"
    REPORT_ISSUED = "report_issued"
    SIGN_OFF = "sign_off"
    MODERATION = "moderation"
    APPEAL_DECISION = "appeal_decision"


class Recipient(StrEnum):
    """Who is told at a step, relative to the review."""

    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"
    LINE_MANAGER = "line_manager"
    SCHOOL_LEADER = "school_leader"


class Frequency(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class ReminderStep(BaseModel):
    """One reminder: ``offset_days`` before (negative) or after (positive) the deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offset_days: int = Field(ge=-90, le=180)
    recipients: tuple[Recipient, ...] = Field(min_length=1, max_length=4)
    # Optional reminders may be switched off by the person and wait for their weekly digest;
    # chases after a deadline and escalations are not optional.
    optional: bool = False

    @property
    def key(self) -> str:
        """The step's stable name within its milestone, e.g. ``-7`` or ``+14``."""
        return f"{self.offset_days:+d}"


class MilestoneRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    milestone: Milestone
    enabled: bool = True
    steps: tuple[ReminderStep, ...] = Field(max_length=10)

    @model_validator(mode="after")
    def _distinct_offsets(self) -> MilestoneRule:
        offsets = [s.offset_days for s in self.steps]
        if len(set(offsets)) != len(offsets):
            raise ValueError(f"{self.milestone.value}: two steps have the same offset")
        if offsets != sorted(offsets):
            raise ValueError(f"{self.milestone.value}: steps must be in date order")
        return self


class QuietPeriod(BaseModel):
    """Days on which nothing is sent (school holidays); what fell due is sent after."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> QuietPeriod:
        if self.end < self.start:
            raise ValueError(f"quiet period {self.name!r} ends before it starts")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def _step(offset: int, *who: Recipient) -> ReminderStep:
    return ReminderStep(offset_days=offset, recipients=who, optional=offset < 0)


_EE, _ER, _LM, _SL = (
    Recipient.APPRAISEE,
    Recipient.APPRAISER,
    Recipient.LINE_MANAGER,
    Recipient.SCHOOL_LEADER,
)


def _default_rules() -> tuple[MilestoneRule, ...]:
    both = (_EE, _ER)
    chase = (
        _step(-14, *both),
        _step(-3, *both),
        _step(3, *both),
        _step(10, *both, _LM),
        _step(21, *both, _LM, _SL),
    )
    return (
        MilestoneRule(milestone=Milestone.OBJECTIVES_AGREED, steps=chase),
        MilestoneRule(milestone=Milestone.MID_YEAR_REVIEW, steps=chase),
        MilestoneRule(milestone=Milestone.END_YEAR_REVIEW, steps=chase),
        MilestoneRule(
            milestone=Milestone.REPORT_ISSUED,
            steps=(_step(-3, _ER), _step(3, _ER), _step(10, _ER, _LM), _step(21, _ER, _LM, _SL)),
        ),
        MilestoneRule(
            milestone=Milestone.SIGN_OFF,
            steps=(_step(-2, *both), _step(3, *both), _step(10, *both, _SL)),
        ),
        MilestoneRule(
            milestone=Milestone.MODERATION, steps=(_step(-3, _SL), _step(5, _SL), _step(14, _SL))
        ),
        MilestoneRule(
            milestone=Milestone.APPEAL_DECISION,
            steps=(_step(-5, _SL), _step(1, _SL), _step(7, _SL)),
        ),
    )


class ReminderPolicy(BaseModel):
    """A trust's reminder policy. The defaults follow England's cycle: objectives by the autumn
    deadline, a mid-year review in spring, an end-of-year review and report by July, sign-off,
    moderation and any appeal within a few weeks of the report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    milestones: tuple[MilestoneRule, ...] = Field(default_factory=_default_rules, max_length=7)
    quiet_periods: tuple[QuietPeriod, ...] = Field(default=(), max_length=30)
    # Whether people may ask for their optional reminders once a week, and on which day
    # (0 = Monday).
    weekly_digest: bool = True
    digest_weekday: int = Field(default=0, ge=0, le=6)
    # Deadlines the cycle does not carry: days after the report to sign it off, after the
    # sign-off deadline to moderate, and after the appeal window closes to decide an appeal.
    sign_off_days: int = Field(default=10, ge=1, le=90)
    moderation_days: int = Field(default=20, ge=1, le=120)
    appeal_decision_days: int = Field(default=20, ge=1, le=120)
    # A step is still sent this many days after its date (after a quiet period, a restart);
    # older steps are superseded by the next one and never sent late.
    catch_up_days: int = Field(default=45, ge=0, le=120)

    @model_validator(mode="after")
    def _one_rule_per_milestone(self) -> ReminderPolicy:
        names = [r.milestone for r in self.milestones]
        if len(set(names)) != len(names):
            raise ValueError("each milestone may have only one rule")
        return self

    def rule(self, milestone: Milestone) -> MilestoneRule | None:
        for r in self.milestones:
            if r.milestone is milestone and r.enabled:
                return r
        return None

    def quiet_on(self, day: date) -> QuietPeriod | None:
        return next((q for q in self.quiet_periods if q.covers(day)), None)


DEFAULT_POLICY = ReminderPolicy()


@register("ReminderPolicyChanged")
class ReminderPolicyChanged(DomainEvent):
    """A trust's reminder policy was replaced (an event of the Trust aggregate)."""

    audit_summary: ClassVar[str] = "Reminder policy changed: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    policy: ReminderPolicy
    reason: str


@register("ReminderPreferenceChanged")
class ReminderPreferenceChanged(DomainEvent):
    """A person chose how they get reminders (an event of the StaffMember aggregate)."""

    audit_summary: ClassVar[str] = "Reminder preference changed to {frequency} (by {via})"

    frequency: Frequency
    optional_reminders: bool
    # "unsubscribe link", "profile" or "administrator": how the choice was made.
    via: str = "profile"


@register("ReviewChased")
class ReviewChased(DomainEvent):
    """A leader asked for a reminder to go now (an event of the Review aggregate)."""

    audit_summary: ClassVar[str] = "Chased: {milestone}"
    free_text: ClassVar[frozenset[str]] = frozenset({"note"})

    milestone: Milestone
    recipients: tuple[UUID, ...]
    note: str = ""
