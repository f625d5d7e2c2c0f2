"""The commands: one pydantic model each, validated before anything is loaded or decided.

Field constraints here are input validation (a field is missing, too long, out of range);
the domain's rules are checked by the aggregates.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from events.base import Role
from events.reminders import Frequency, Milestone, ReminderPolicy
from events.values import (
    AppealOutcome,
    MeetingKind,
    MeetingWindowPolicy,
    ModerationOutcome,
    ObjectiveOutcome,
    OverallJudgement,
    StaffCategory,
)


def _printable(value: str) -> str:
    # NUL cannot be stored in PostgreSQL text (read models) and is never meaningful here.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


Clean = AfterValidator(_printable)


def _client_chosen(value: UUID | None) -> UUID | None:
    # Ids the server derives (a cycle's, a review's) are version-5 UUIDs of their context; a
    # client choosing an id for something new must use a random (v4) or time-ordered (v7)
    # one, so it can never claim an id the server will later derive. See docs/decisions.md.
    if value is not None and value.version not in (4, 7):
        raise ValueError("a client-chosen id must be a random UUID (version 4 or 7)")
    return value


# The id a client may choose for something it creates.
NewId = Annotated[UUID | None, AfterValidator(_client_chosen)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Clean]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000), Clean
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000), Clean
]
Criterion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Clean
]
Reference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), Clean
]
Phrase = Annotated[str, StringConstraints(max_length=5000), Clean]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), Clean]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Organisation ------------------------------------------------------------------------------


class RegisterTrust(Command):
    name: Name
    trust_id: NewId = Field(default=None, description="client-chosen id (optional, UUID v4/v7)")


class AddSchool(Command):
    trust_id: UUID
    name: Name
    phase: Annotated[str, StringConstraints(max_length=50), Clean] | None = None
    school_id: NewId = None


class RenameSchool(Command):
    trust_id: UUID
    school_id: UUID
    new_name: Name
    reason: Reason


class AddPriority(Command):
    trust_id: UUID
    title: Name
    description: Phrase = ""
    school_id: UUID | None = Field(default=None, description="None for a trust-wide priority")
    priority_id: NewId = None


class AppointGovernor(Command):
    trust_id: UUID
    name: Name
    school_id: UUID | None = Field(
        default=None, description="the school whose board they sit on; None for the trust board"
    )
    governor_id: UUID | None = None


class RetirePriority(Command):
    trust_id: UUID
    priority_id: UUID
    reason: Reason


class RegisterStaff(Command):
    trust_id: UUID
    name: Name
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), Clean
    ]
    job_title: Name
    category: StaffCategory = StaffCategory.TEACHER
    school_id: UUID
    start_date: date
    staff_id: NewId = None
    preferred_name: Name | None = None


class TransferStaff(Command):
    staff_id: UUID
    school_id: UUID
    effective_date: date
    reason: Reason


class ChangeLineManager(Command):
    staff_id: UUID
    line_manager_id: UUID | None
    reason: Reason


class RenameStaff(Command):
    staff_id: UUID
    new_name: Name
    preferred_name: Name | None = None
    reason: Reason


class ChangeJobTitle(Command):
    staff_id: UUID
    job_title: Name
    reason: Reason


class RecordStaffLeaving(Command):
    staff_id: UUID
    effective_date: date
    reason: Reason


class ScheduleCycle(Command):
    trust_id: UUID
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), Clean
    ]
    start_date: date
    end_date: date
    objective_setting_deadline: date
    mid_year_window_start: date
    mid_year_window_end: date
    end_year_deadline: date
    max_objectives: int = Field(default=5, ge=1, le=10)
    appeal_window_days: int = Field(default=10, ge=1, le=90)
    rating_scale_version: int = Field(default=0, ge=0, description="0: the built-in scale")
    support_frameworks: list[Reference] = Field(
        default_factory=list,
        max_length=200,
        description="codes of the trust's support-staff frameworks objectives may cite",
    )
    meetings_outside_window: MeetingWindowPolicy = MeetingWindowPolicy.WITH_REASON


class OpenCycle(Command):
    cycle_id: UUID


class CloseCycle(Command):
    cycle_id: UUID
    reason: Reason | None = Field(
        default=None,
        description="why the cycle closes with reviews unfinished (required if any are)",
    )


class ReopenCycle(Command):
    cycle_id: UUID
    reason: Reason


class ChangeCyclePolicy(Command):
    cycle_id: UUID
    max_objectives: int = Field(ge=1, le=10)
    appeal_window_days: int = Field(ge=1, le=90)
    rating_scale_version: int | None = Field(
        default=None, ge=0, description="the trust's scale version; unchanged when omitted"
    )
    support_frameworks: list[Reference] | None = Field(
        default=None, max_length=200, description="None keeps the current list"
    )
    meetings_outside_window: MeetingWindowPolicy | None = None
    reason: Reason


# Reviews -----------------------------------------------------------------------------------


class StartReview(Command):
    cycle_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID


class StartHeadteacherReview(Command):
    cycle_id: UUID
    appraisee_id: UUID = Field(description="the headteacher")
    panel: list[UUID] = Field(
        min_length=1, max_length=10, description="the governors on the panel; the first chairs it"
    )
    adviser_name: Name
    adviser_organisation: Name


class RecordAdviserConsultation(Command):
    review_id: UUID
    held_on: date
    summary: Text


class ChangeAppraiser(Command):
    review_id: UUID
    appraiser_id: UUID
    reason: Reason


class RecordMeeting(Command):
    review_id: UUID
    kind: MeetingKind
    held_on: date
    notes: Text
    outside_window_reason: Reason | None = Field(
        default=None, description="needed when the meeting falls outside its window"
    )


class SubmitSelfAssessment(Command):
    review_id: UUID
    text: Text


class ObjectiveNoteIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    objective_id: UUID
    note: Text


class WriteAssessment(Command):
    review_id: UUID
    overall: OverallJudgement | None = None
    overall_level: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    summary: Text
    objective_notes: list[ObjectiveNoteIn] = Field(default_factory=list, max_length=10)
    development_needs: list[Reference] = Field(default_factory=list, max_length=20)
    support: Phrase = ""

    @model_validator(mode="after")
    def _overall_or_level(self) -> WriteAssessment:
        if self.overall is None and self.overall_level is None:
            raise ValueError("give the overall judgement or the scale level")
        return self


class IssueReport(Command):
    review_id: UUID


class CommentOnReport(Command):
    review_id: UUID
    comment: Text


class SignOffReview(Command):
    """Signed by the appraisee or the appraiser: which one follows from who signs."""

    review_id: UUID


class ModerateReview(Command):
    review_id: UUID
    outcome: ModerationOutcome
    note: LongText = ""


class LodgeAppeal(Command):
    review_id: UUID
    grounds: Text


class DecideAppeal(Command):
    review_id: UUID
    outcome: AppealOutcome
    note: Text


class ReopenReview(Command):
    review_id: UUID
    reason: Reason


# Objectives --------------------------------------------------------------------------------


class DraftObjective(Command):
    review_id: UUID
    title: Name
    description: LongText = ""
    success_criteria: list[Criterion] = Field(min_length=1, max_length=10)
    priority_id: UUID | None = None
    standards: list[Reference] = Field(default_factory=list, max_length=20)
    due_date: date
    objective_id: NewId = None


class ReviseObjective(Command):
    """Only the fields given are changed; give ``priority_id: null`` to unlink a priority."""

    objective_id: UUID
    title: Name | None = None
    description: LongText | None = None
    success_criteria: list[Criterion] | None = Field(default=None, min_length=1, max_length=10)
    priority_id: UUID | None = None
    standards: list[Reference] | None = Field(default=None, max_length=20)
    due_date: date | None = None
    reason: Reason | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> ReviseObjective:
        if not self.changed_fields():
            raise ValueError("a revision must change at least one field")
        for name in ("title", "description", "success_criteria", "standards", "due_date"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changed_fields(self) -> set[str]:
        return self.model_fields_set - {"objective_id", "reason"}


class AgreeObjective(Command):
    """Agreed by the appraisee or the appraiser: which one follows from who agrees."""

    objective_id: UUID


class SetObjectiveWithoutAgreement(Command):
    objective_id: UUID
    reason: Reason


class RecordDisagreement(Command):
    objective_id: UUID
    statement: Text


class RecordProgress(Command):
    objective_id: UUID
    percent: int = Field(ge=0, le=100)
    note: Text
    evidence: list[Reference] = Field(default_factory=list, max_length=20)


class AssessObjective(Command):
    """Give the outcome, or the level of the trust's scale in force for the cycle (or both)."""

    objective_id: UUID
    outcome: ObjectiveOutcome | None = None
    level: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    comment: Text

    @model_validator(mode="after")
    def _outcome_or_level(self) -> AssessObjective:
        if self.outcome is None and self.level is None:
            raise ValueError("give the outcome or the scale level")
        return self


class WithdrawObjective(Command):
    objective_id: UUID
    reason: Reason


class ReinstateObjective(Command):
    objective_id: UUID
    reason: Reason


class CarryForwardObjective(Command):
    objective_id: UUID
    to_review_id: UUID
    due_date: date
    new_objective_id: NewId = None


# Reminders ---------------------------------------------------------------------------------


class ChangeReminderPolicy(Command):
    """Replace the trust's reminder policy (milestones, steps, recipients, quiet periods)."""

    trust_id: UUID
    policy: ReminderPolicy
    reason: Reason


class ChangeReminderPreference(Command):
    """How a person gets reminders: at once or in a weekly digest; optional ones on or off."""

    staff_id: UUID
    frequency: Frequency = Frequency.IMMEDIATE
    optional_reminders: bool = True
    via: Literal["profile", "unsubscribe link", "administrator"] = "profile"


class ChaseReview(Command):
    """A leader's "chase now": remind whoever still has to act for a milestone, today."""

    review_id: UUID
    milestone: Milestone
    note: Phrase = ""


# The field in which a command may carry a client-chosen id for what it creates.
CLIENT_ID_FIELDS: dict[type[Command], str] = {
    RegisterTrust: "trust_id",
    AddSchool: "school_id",
    AddPriority: "priority_id",
    RegisterStaff: "staff_id",
    DraftObjective: "objective_id",
    CarryForwardObjective: "new_objective_id",
}


def client_chosen_id(command: Command) -> UUID | None:
    name = CLIENT_ID_FIELDS.get(type(command))
    value: UUID | None = getattr(command, name) if name else None
    return value


# Access ------------------------------------------------------------------------------------


class GrantRole(Command):
    """Give a person a role: trust-wide, or for the schools named (school leaders)."""

    person_id: UUID
    role: Role
    school_ids: list[UUID] = Field(default_factory=list, max_length=100)
    reason: Reason


class RevokeRole(Command):
    person_id: UUID
    grant_id: UUID
    reason: Reason


# Subject access ----------------------------------------------------------------------------


class RecordSubjectAccessExport(Command):
    """Record that a subject access export of a person was produced (by whom, what, when):
    the service issues it itself, after building the export, never a client."""

    person_id: UUID
    format: Literal["json", "html", "pdf", "zip"]
    up_to_position: int = Field(ge=0)
    event_count: int = Field(ge=0)
    row_count: int = Field(ge=0)
    file_count: int = Field(ge=0)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
