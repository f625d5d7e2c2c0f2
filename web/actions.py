"""The commands people run on a review and its objectives, as forms: one table, one mechanism.

Each ``Action`` names a command, the words a teacher reads, and the form's fields. A form is
offered only when ``CommandService.check`` says its command, with typical values (the
``probe``), would be accepted now by this person: the real policy and every rule of the
aggregates decide, so no form is shown that can only fail (no "Draft an objective" on a
moderated review). A submitted form is parsed into the command model; pydantic's errors and
the rule a refusal names are shown beside the field they concern.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import ValidationError

from aggregates.errors import DomainError, RuleBroken
from commands import messages as m
from events.values import (
    AppealOutcome,
    ModerationOutcome,
    ObjectiveOutcome,
    OverallJudgement,
)

# "person": a select of the school's staff; "review": of the appraisee's reviews in other
# cycles (carrying an objective forward). Both are filled in when the form is offered.
Kind = Literal["text", "textarea", "date", "number", "select", "lines", "person", "review"]
CHOICES: frozenset[str] = frozenset({"person", "review"})
On = Literal["review", "objective"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: Kind = "text"
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True


@dataclass(frozen=True, slots=True)
class Probe:
    """What a probe may depend on: the review's cycle (its dates) and today."""

    cycle_start: date
    cycle_end: date
    today: date
    # Someone at the school who could take over as appraiser (None: nobody could).
    someone: UUID | None = None
    # The appraisee's review in another cycle an objective could be carried into, and a
    # due date that cycle accepts.
    next_review: UUID | None = None
    next_due: date | None = None

    @property
    def due(self) -> date:
        """A due date the cycle accepts."""
        return min(max(self.today + timedelta(days=30), self.cycle_start), self.cycle_end)


@dataclass(frozen=True, slots=True)
class Action:
    key: str
    label: str
    command: type[m.Command]
    on: On
    fields: tuple[Field, ...] = ()
    button: str = ""
    # Values fixed by the action (a meeting's kind), merged into every submission.
    fixed: Mapping[str, Any] = field(default_factory=dict)
    # Typical values for the availability check.
    probe: Callable[[Probe], dict[str, Any]] = lambda _: {}
    # Who it is for, in the page's words: the appraisee, the appraiser, or a leader.
    part: Literal["appraisee", "appraiser", "both", "leader"] = "both"
    help: str = ""
    # An objective's button names the objective for screen readers.
    aria: str = "{button} “{title}”"
    # What the page says once it is recorded.
    done: str = ""

    @property
    def recorded(self) -> str:
        return self.done or self.label


def _options(enum: Any) -> tuple[tuple[str, str], ...]:
    return tuple((e.value, e.value.replace("_", " ").capitalize()) for e in enum)


TEXT = "A few words"


def _meeting(kind: str, label: str, window: str) -> Action:
    return Action(
        key=f"meeting-{kind.replace('_', '-')}",
        label=f"Record the {label}",
        command=m.RecordMeeting,
        on="review",
        part="appraiser",
        fixed={"kind": kind},
        fields=(
            Field("held_on", "Held on", "date"),
            Field("notes", "Notes of the meeting", "textarea"),
            Field(
                "outside_window_reason",
                "Reason, if held outside its window",
                "textarea",
                hint=f"Only needed if the meeting was not held {window}.",
                required=False,
            ),
        ),
        probe=lambda p: {"held_on": p.today, "notes": TEXT, "outside_window_reason": TEXT},
        button="Record the meeting",
        done=f"The {label} is recorded",
    )


REVIEW_ACTIONS: tuple[Action, ...] = (
    Action(
        key="draft",
        done="Objective drafted",
        label="Draft an objective",
        command=m.DraftObjective,
        on="review",
        fields=(
            Field("title", "Title"),
            Field("description", "Description", "textarea", required=False),
            Field("success_criteria", "Success criteria", "lines", hint="One per line."),
            Field("due_date", "Due date", "date"),
        ),
        probe=lambda p: {"title": TEXT, "success_criteria": [TEXT], "due_date": p.due},
        button="Draft objective",
        help="Either of you may draft; both agree before it is in force.",
    ),
    _meeting("planning", "planning meeting", "by the objective-setting deadline"),
    _meeting("mid_year", "mid-year review", "in the mid-year window"),
    _meeting("end_year", "end-of-year review", "between the mid-year window and the deadline"),
    Action(
        key="self-assessment",
        done="Self-assessment submitted",
        label="Write your self-assessment",
        command=m.SubmitSelfAssessment,
        on="review",
        part="appraisee",
        fields=(Field("text", "Your self-assessment", "textarea"),),
        probe=lambda _: {"text": TEXT},
        button="Submit self-assessment",
    ),
    Action(
        key="assessment",
        done="Assessment written",
        label="Write the assessment",
        command=m.WriteAssessment,
        on="review",
        part="appraiser",
        fields=(
            Field("overall", "Overall judgement", "select", options=_options(OverallJudgement)),
            Field("summary", "Summary", "textarea"),
            Field(
                "development_needs",
                "Development needs",
                "lines",
                hint="One per line.",
                required=False,
            ),
            Field("support", "Support to meet them", "textarea", required=False),
        ),
        probe=lambda _: {"overall": OverallJudgement.MEETS, "summary": TEXT},
        button="Save the assessment",
        help="The written report: it is issued separately, once you are ready.",
    ),
    Action(
        key="issue-report",
        done="Report issued",
        label="Issue the report",
        command=m.IssueReport,
        on="review",
        part="appraiser",
        button="Issue the report",
        help="The appraisee can then comment, sign and (within the window) appeal.",
    ),
    Action(
        key="comment",
        done="Comment added to the report",
        label="Comment on the report",
        command=m.CommentOnReport,
        on="review",
        part="appraisee",
        fields=(Field("comment", "Your comment", "textarea"),),
        probe=lambda _: {"comment": TEXT},
        button="Add comment",
        help="Comments are added before you sign.",
    ),
    Action(
        key="sign-off",
        done="Report signed",
        label="Sign the report",
        command=m.SignOffReview,
        on="review",
        button="Sign the report",
        help="Your signature and today's date are added to the report.",
    ),
    Action(
        key="appeal",
        done="Appeal lodged",
        label="Appeal against the report",
        command=m.LodgeAppeal,
        on="review",
        part="appraisee",
        fields=(Field("grounds", "Grounds for the appeal", "textarea"),),
        probe=lambda _: {"grounds": TEXT},
        button="Lodge the appeal",
    ),
    Action(
        key="change-appraiser",
        done="Appraiser changed",
        label="Change the appraiser",
        command=m.ChangeAppraiser,
        on="review",
        part="leader",
        fields=(
            Field("appraiser_id", "New appraiser", "person"),
            Field("reason", "Reason", "textarea"),
        ),
        probe=lambda p: {"appraiser_id": p.someone, "reason": TEXT} if p.someone else {},
        button="Change the appraiser",
    ),
    Action(
        key="moderate",
        done="Moderation recorded",
        label="Moderate the report",
        command=m.ModerateReview,
        on="review",
        part="leader",
        fields=(
            Field("outcome", "Outcome", "select", options=_options(ModerationOutcome)),
            Field(
                "note",
                "Note",
                "textarea",
                hint="Needed when the report is referred back.",
                required=False,
            ),
        ),
        probe=lambda _: {"outcome": ModerationOutcome.CONFIRMED},
        button="Record moderation",
    ),
    Action(
        key="decide-appeal",
        done="Appeal decided",
        label="Decide the appeal",
        command=m.DecideAppeal,
        on="review",
        part="leader",
        fields=(
            Field("outcome", "Decision", "select", options=_options(AppealOutcome)),
            Field("note", "Reasons for the decision", "textarea"),
        ),
        probe=lambda _: {"outcome": AppealOutcome.UPHELD, "note": TEXT},
        button="Record the decision",
    ),
    Action(
        key="reopen",
        done="Review reopened",
        label="Reopen the review",
        command=m.ReopenReview,
        on="review",
        part="leader",
        fields=(Field("reason", "Reason", "textarea"),),
        probe=lambda _: {"reason": TEXT},
        button="Reopen",
        help="The report opens again for changes and is issued again.",
    ),
)

OBJECTIVE_ACTIONS: tuple[Action, ...] = (
    Action(
        key="agree",
        done="Agreed",
        label="Agree",
        command=m.AgreeObjective,
        on="objective",
        button="Agree",
        aria="Agree to “{title}”",
    ),
    Action(
        key="revise",
        done="Objective revised",
        label="Revise",
        command=m.ReviseObjective,
        on="objective",
        fields=(
            Field("title", "Title"),
            Field("description", "Description", "textarea", required=False),
            Field("success_criteria", "Success criteria", "lines", hint="One per line."),
            Field("due_date", "Due date", "date"),
            Field(
                "reason",
                "Reason for the change",
                "textarea",
                hint="Needed once the objective is agreed; agreement is then asked again.",
                required=False,
            ),
        ),
        probe=lambda _: {"title": "A revised title for the probe", "reason": TEXT},
        button="Save the revision",
    ),
    Action(
        key="set-without-agreement",
        done="Objective set without agreement",
        label="Set without agreement",
        command=m.SetObjectiveWithoutAgreement,
        on="objective",
        part="appraiser",
        fields=(Field("reason", "Why it is set without agreement", "textarea"),),
        probe=lambda _: {"reason": TEXT},
        button="Set the objective",
    ),
    Action(
        key="disagree",
        done="Disagreement recorded",
        label="Record your disagreement",
        command=m.RecordDisagreement,
        on="objective",
        part="appraisee",
        fields=(Field("statement", "Your statement", "textarea"),),
        probe=lambda _: {"statement": TEXT},
        button="Record disagreement",
    ),
    Action(
        key="progress",
        done="Progress recorded",
        label="Record progress",
        command=m.RecordProgress,
        on="objective",
        fields=(
            Field("percent", "Progress (%)", "number"),
            Field("note", "Progress note", "textarea"),
            Field(
                "evidence",
                "Evidence",
                "lines",
                hint="One reference per line (a document, a link, a lesson).",
                required=False,
            ),
        ),
        probe=lambda _: {"percent": 50, "note": TEXT},
        button="Record progress",
    ),
    Action(
        key="assess",
        done="Objective assessed",
        label="Assess",
        command=m.AssessObjective,
        on="objective",
        part="appraiser",
        fields=(
            Field("outcome", "Outcome", "select", options=_options(ObjectiveOutcome)),
            Field("comment", "Comment", "textarea"),
        ),
        probe=lambda _: {"outcome": ObjectiveOutcome.MET, "comment": TEXT},
        button="Save the assessment",
    ),
    Action(
        key="withdraw",
        done="Objective withdrawn",
        label="Withdraw",
        command=m.WithdrawObjective,
        on="objective",
        part="appraiser",
        fields=(Field("reason", "Why it is withdrawn", "textarea"),),
        probe=lambda _: {"reason": TEXT},
        button="Withdraw the objective",
    ),
)

CARRY_FORWARD = Action(
    key="carry-forward",
    label="Carry forward",
    command=m.CarryForwardObjective,
    on="objective",
    part="appraiser",
    done="Objective carried forward",
    fields=(
        Field("to_review_id", "Into the review in", "review"),
        Field("due_date", "Due date there", "date"),
    ),
    probe=lambda p: (
        {"to_review_id": p.next_review, "due_date": p.next_due} if p.next_review else {}
    ),
    button="Carry it forward",
)
OBJECTIVE_ACTIONS = (*OBJECTIVE_ACTIONS, CARRY_FORWARD)

BY_KEY: dict[tuple[On, str], Action] = {(a.on, a.key): a for a in REVIEW_ACTIONS} | {
    (a.on, a.key): a for a in OBJECTIVE_ACTIONS
}

# Rules a refusal names, and the field they concern (else the form's own alert shows them).
RULE_FIELDS: dict[str, str] = {
    "meeting-in-cycle": "held_on",
    "meeting-not-future": "held_on",
    "meeting-in-window": "held_on",
    "meeting-order": "held_on",
    "meeting-window-reason": "outside_window_reason",
    "meeting-notes-required": "notes",
    "due-in-cycle": "due_date",
    "objective-title-required": "title",
    "objective-title-length": "title",
    "success-criteria-required": "success_criteria",
    "revision-reason-required": "reason",
    "reason-required": "reason",
    "self-assessment-required": "text",
    "assessment-summary-required": "summary",
    "comment-required": "comment",
    "appeal-grounds-required": "grounds",
    "appeal-note-required": "note",
    "referral-reason-required": "note",
    "percent-range": "percent",
}


def target_field(on: On) -> str:
    return "review_id" if on == "review" else "objective_id"


def probe_command(action: Action, target: UUID, probe: Probe) -> m.Command | None:
    values = {target_field(action.on): target, **action.fixed, **action.probe(probe)}
    try:
        return action.command.model_validate(values)
    except ValidationError:  # a probe needing what is not there (nobody to appoint)
        return None


@dataclass
class FormState:
    """A form as rendered: its idempotency key, the values shown and any errors."""

    key: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def parse(
    action: Action, target: UUID, form: Mapping[str, str], *, only: set[str] | None = None
) -> m.Command:
    """The command a submitted form asks for (``ValidationError`` names the bad fields);
    ``only`` limits it to those fields (a revision sends what changed)."""
    values: dict[str, Any] = {target_field(action.on): target, **action.fixed}
    for f in action.fields:
        if only is not None and f.name not in only:
            continue
        raw = form.get(f.name, "")
        if f.kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines or f.required or only is not None:
                values[f.name] = lines
        elif raw.strip() or (only is not None and f.kind in ("text", "textarea")):
            values[f.name] = raw
        elif f.required and f.kind in ("text", "textarea"):
            values[f.name] = ""
    return action.command.model_validate(values)


def revision_changes(form: Mapping[str, str], current: Mapping[str, str]) -> dict[str, str]:
    """A revision sends only what changed against the objective as the form showed it."""
    changed = {k: v for k, v in form.items() if k in current and v.strip() != current[k].strip()}
    if form.get("reason", "").strip():
        changed["reason"] = form["reason"]
    return changed


def field_errors(e: ValidationError, action: Action) -> tuple[dict[str, str], str | None]:
    names = {f.name for f in action.fields}
    labels = {f.name: f.label for f in action.fields}
    errors: dict[str, str] = {}
    general: list[str] = []
    for err in e.errors():
        loc = str(err["loc"][0]) if err["loc"] else ""
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing" or (
            err["type"] == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1
        ):
            message = "this is required"
        elif err["type"] == "too_short" and loc in names:
            message = "give at least one"
        if loc in names:
            errors.setdefault(loc, f"{labels[loc]}: {message}")
        else:
            general.append(message)
    return errors, "; ".join(general) or None


def refusal(e: DomainError, action: Action) -> tuple[dict[str, str], str]:
    """A broken rule, shown at its field when it concerns one, always named in the alert."""
    message = e.message[:1].upper() + e.message[1:]
    if isinstance(e, RuleBroken):
        name = RULE_FIELDS.get(e.rule)
        if name in {f.name for f in action.fields}:
            assert name is not None
            return {name: message}, f"Not recorded: {message}."
    return {}, f"Not recorded: {message}."
