"""The one fold of an objective's state for read models: pure functions from objective events.

Every read model that needs where an objective stands (its status, agreement, revisions,
progress, outcome, withdrawal, carry-forward) folds the events with these functions, so they
agree with one another and with the ``Objective`` aggregate (``aggregates/objective.py``; the
property tests in ``tests/unit/projections/test_objective_fold.py`` hold them together).

The state holds row values (ids and dates as text, as read-model rows keep them), so a read
model can keep it in its own row: ``row.update(changes(row, event))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict
from uuid import UUID

from events.objective import (
    DisagreementRecorded,
    ObjectiveAgreed,
    ObjectiveAssessed,
    ObjectiveCarriedForward,
    ObjectiveDrafted,
    ObjectiveReinstated,
    ObjectiveRevised,
    ObjectiveSetWithoutAgreement,
    ObjectiveWithdrawn,
    ProgressRecorded,
)
from events.values import FieldValue
from projections.engine.core import id_text

# The events after ``ObjectiveDrafted`` that change an objective.
ObjectiveChange = (
    ObjectiveRevised
    | ObjectiveAgreed
    | ObjectiveSetWithoutAgreement
    | DisagreementRecorded
    | ProgressRecorded
    | ObjectiveAssessed
    | ObjectiveWithdrawn
    | ObjectiveReinstated
    | ObjectiveCarriedForward
)
CHANGES: tuple[type[ObjectiveChange], ...] = (
    ObjectiveRevised,
    ObjectiveAgreed,
    ObjectiveSetWithoutAgreement,
    DisagreementRecorded,
    ProgressRecorded,
    ObjectiveAssessed,
    ObjectiveWithdrawn,
    ObjectiveReinstated,
    ObjectiveCarriedForward,
)
# The fields a revision may change (as the aggregate's REVISABLE).
REVISABLE = frozenset(
    {"title", "description", "success_criteria", "standards", "priority_id", "due_date"}
)


class ObjectiveState(TypedDict):
    """Where an objective stands, in row values."""

    title: str
    description: str
    success_criteria: list[str]
    standards: list[str]
    priority_id: str | None
    due_date: str | None
    agreed_by_appraisee: bool
    agreed_by_appraiser: bool
    set_without_agreement: bool
    disagreement: str | None
    progress_percent: int | None
    progress_note: str | None
    outcome: str | None
    assessment_comment: str | None
    withdrawn: bool
    withdrawal_reason: str | None
    carried_forward_from: str | None
    carried_forward_to: str | None
    revisions: int
    status: str


# What revising or reinstating clears: both must agree (or it be set) again.
_UNAGREED: dict[str, Any] = {
    "agreed_by_appraisee": False,
    "agreed_by_appraiser": False,
    "set_without_agreement": False,
}


def drafted(e: ObjectiveDrafted) -> ObjectiveState:
    """The state an objective is drafted in."""
    state = ObjectiveState(
        title=e.title,
        description=e.description,
        success_criteria=list(e.success_criteria),
        standards=list(e.standards),
        priority_id=_text(e.priority_id),
        due_date=e.due_date.isoformat(),
        agreed_by_appraisee=False,
        agreed_by_appraiser=False,
        set_without_agreement=False,
        disagreement=None,
        progress_percent=None,
        progress_note=None,
        outcome=None,
        assessment_comment=None,
        withdrawn=False,
        withdrawal_reason=None,
        carried_forward_from=_text(e.carried_forward_from),
        carried_forward_to=None,
        revisions=0,
        status="draft",
    )
    return state


def changes(state: Mapping[str, Any], e: ObjectiveChange) -> dict[str, Any]:
    """The fields of ``state`` that ``e`` changes, with their new values (``status`` too
    whenever it moves, or always if ``state`` keeps no status). ``state`` may be any mapping
    holding the keys ``status`` reads (and ``revisions``, else counted from 0)."""
    out: dict[str, Any]
    match e:
        case ObjectiveRevised():
            out = {**revised_fields(e), **_UNAGREED, "disagreement": None}
            out["revisions"] = state.get("revisions", 0) + 1
        case ObjectiveAgreed():
            out = {f"agreed_by_{e.by.value}": True}
        case ObjectiveSetWithoutAgreement():
            out = {"set_without_agreement": True}
        case DisagreementRecorded():
            out = {"disagreement": e.statement}
        case ProgressRecorded():
            out = {"progress_percent": e.percent, "progress_note": e.note}
        case ObjectiveAssessed():
            out = {"outcome": e.outcome.value, "assessment_comment": e.comment}
        case ObjectiveWithdrawn():
            out = {"withdrawn": True, "withdrawal_reason": e.reason}
        case ObjectiveReinstated():
            # Back to a draft, as the aggregate has it: agreement and any outcome no longer stand.
            out = {
                **_UNAGREED,
                "withdrawn": False,
                "withdrawal_reason": None,
                "outcome": None,
                "assessment_comment": None,
            }
        case ObjectiveCarriedForward():
            out = {"carried_forward_to": id_text(e.to_objective_id)}
    after = _status(out, state)
    if after != state.get("status"):
        out["status"] = after
    return out


def revised_fields(e: ObjectiveRevised) -> dict[str, FieldValue]:
    """The content fields a revision sets, with their new (row) values."""
    return {c.field: c.new for c in e.changes if c.field in REVISABLE}


def evolve(state: ObjectiveState, e: ObjectiveChange) -> ObjectiveState:
    """The state after ``e`` (a new state; ``state`` is not changed)."""
    after = ObjectiveState(**state)
    after.update(changes(state, e))  # type: ignore[typeddict-item]
    return after


def fold(events: Iterable[ObjectiveDrafted | ObjectiveChange]) -> ObjectiveState | None:
    """An objective's state from its events in order (None before it is drafted)."""
    state: ObjectiveState | None = None
    for e in events:
        if isinstance(e, ObjectiveDrafted):
            state = drafted(e)
        elif state is not None:
            state = evolve(state, e)
    return state


def status(state: Mapping[str, Any]) -> str:
    """One status from an objective's flags: the furthest point it has reached."""
    return _status(_NONE, state)


def _status(out: Mapping[str, Any], state: Mapping[str, Any]) -> str:
    """The status of ``state`` with the changes ``out`` applied (without merging them)."""
    if out["withdrawn"] if "withdrawn" in out else state["withdrawn"]:
        return "withdrawn"
    if out["carried_forward_to"] if "carried_forward_to" in out else state["carried_forward_to"]:
        return "carried_forward"
    if out["outcome"] if "outcome" in out else state["outcome"]:
        return "assessed"
    appraisee = (
        out["agreed_by_appraisee"] if "agreed_by_appraisee" in out else state["agreed_by_appraisee"]
    )
    appraiser = (
        out["agreed_by_appraiser"] if "agreed_by_appraiser" in out else state["agreed_by_appraiser"]
    )
    if appraisee and appraiser:
        return "agreed"
    if (
        out["set_without_agreement"]
        if "set_without_agreement" in out
        else state["set_without_agreement"]
    ):
        return "set_without_agreement"
    if appraisee or appraiser:
        return "awaiting_agreement"
    return "draft"


_NONE: dict[str, Any] = {}


def _text(value: UUID | None) -> str | None:
    return None if value is None else id_text(value)
