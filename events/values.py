"""Value types that events carry: enums for outcomes and kinds, the cycle policy, field changes."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class StaffCategory(StrEnum):
    TEACHER = "teacher"
    HEADTEACHER = "headteacher"
    SUPPORT = "support"


class MeetingKind(StrEnum):
    PLANNING = "planning"
    MID_YEAR = "mid_year"
    END_YEAR = "end_year"


class Signatory(StrEnum):
    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"


class OverallJudgement(StrEnum):
    EXCEEDS = "exceeds"
    MEETS = "meets"
    PARTIALLY_MEETS = "partially_meets"
    DOES_NOT_MEET = "does_not_meet"


class ObjectiveOutcome(StrEnum):
    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"


class ModerationOutcome(StrEnum):
    CONFIRMED = "confirmed"
    REFERRED_BACK = "referred_back"


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class MeetingWindowPolicy(StrEnum):
    WITH_REASON = "with_reason"
    REFUSE = "refuse"


class CyclePolicy(BaseModel):
    """The trust's rules for one cycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_objectives: int = Field(default=5, ge=1, le=10)
    appeal_window_days: int = Field(default=10, ge=1, le=90)
    # The version of the trust's rating scale the cycle reports by (0: the built-in scale).
    rating_scale_version: int = Field(default=0, ge=0)
    # Codes of the trust's own frameworks for support staff, citable beside the national
    # standards (events/standards.py).
    support_frameworks: tuple[str, ...] = ()
    # A meeting dated outside its window: accepted with a recorded reason, or refused.
    meetings_outside_window: MeetingWindowPolicy = MeetingWindowPolicy.WITH_REASON


# A field value as it appears in a revision: text, a list of texts, or nothing.
FieldValue = str | list[str] | None


class FieldChange(BaseModel):
    """One field of an objective changed by a revision, with its old and new value."""

    # The old and new text of a title, description or success criteria are the appraisee's
    # words, sealed under their key; a due date, priority or standards change stays plain
    # (``events.sealing``: ``free_text_of`` names the field deciding, and the placeholder
    # each such value reads as once erased). Decision 263.
    free_text: ClassVar[frozenset[str]] = frozenset({"old", "new"})
    free_text_of: ClassVar[tuple[str, dict[str, object]]] = (
        "field",
        {"title": "[erased]", "description": "[erased]", "success_criteria": []},
    )

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    old: FieldValue
    new: FieldValue


class ObjectiveNote(BaseModel):
    """The appraiser's note on one objective in the end-of-year assessment."""

    free_text: ClassVar[frozenset[str]] = frozenset({"note"})

    model_config = ConfigDict(frozen=True, extra="forbid")

    objective_id: str
    note: str
