"""Objectives: drafted, revised, agreed, progressed, assessed, withdrawn, carried forward."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, get_type_hints
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, ids_in, label_then, names_for
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.messages import Criterion, LongText, Name, NewId, Reason, Reference, Text
from commands.read_policy import ReadScope, may_read_record
from events.values import ObjectiveOutcome
from projections import objective_current, objective_revisions
from projections.objective_current import ObjectiveView
from projections.objective_revisions import Revision
from replay.timeline import ProgressEntry, objective_progress

router = APIRouter(prefix="/v1/objectives", tags=["objectives"])


class DraftObjectiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    title: Name
    description: LongText = ""
    success_criteria: list[Criterion] = Field(min_length=1, max_length=10)
    priority_id: UUID | None = None
    standards: list[Reference] = Field(default_factory=list, max_length=20)
    due_date: date
    objective_id: NewId = None


@router.post(
    "",
    summary="Draft an objective on a review (appraisee or appraiser)",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="DraftObjective",
)
def draft_objective(
    body: Annotated[
        DraftObjectiveBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "review_id": "8f7e6d5c-4b3a-4928-9716-05f4e3d2c1b0",
                        "title": "Raise attainment in Year 4 reading",
                        "description": "Targeted guided reading for the lowest 20%",
                        "success_criteria": [
                            "85% at the expected standard",
                            "Reading age gap halved",
                        ],
                        "priority_id": None,
                        "standards": ["TS2", "TS5"],
                        "due_date": "2027-07-09",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.DraftObjective, body, status_code=201)


class ReviseObjectiveBody(BaseModel):
    """Only the fields given are changed; give ``priority_id: null`` to unlink a priority."""

    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    description: LongText | None = None
    success_criteria: list[Criterion] | None = Field(default=None, min_length=1, max_length=10)
    priority_id: UUID | None = None
    standards: list[Reference] | None = Field(default=None, max_length=20)
    due_date: date | None = None
    reason: Reason | None = None


@router.post(
    "/{objective_id}/revisions",
    summary="Revise an objective (a reason is needed once agreed; clears agreement)",
    description=m.ReviseObjective.__doc__,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ReviseObjective",
)
def revise_objective(
    objective_id: UUID,
    call: CommandCall,
    body: Annotated[
        ReviseObjectiveBody | None,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "success_criteria": ["80% at the expected standard"],
                        "reason": "Cohort changed after two in-year admissions",
                    }
                }
            }
        ),
    ] = None,
) -> Response:
    return run_command(call, m.ReviseObjective, body, objective_id=objective_id)


class AgreeObjectiveBody(BaseModel):
    """Agreed by the appraisee or the appraiser: which one follows from who agrees."""

    model_config = ConfigDict(extra="forbid")


@router.post(
    "/{objective_id}/agreement",
    summary="Agree (as appraisee or appraiser)",
    description=m.AgreeObjective.__doc__,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="AgreeObjective",
)
def agree_objective(
    objective_id: UUID,
    call: CommandCall,
    body: Annotated[
        AgreeObjectiveBody | None, Body(openapi_examples={"example": {"value": {}}})
    ] = None,
) -> Response:
    return run_command(call, m.AgreeObjective, body, objective_id=objective_id)


class SetObjectiveWithoutAgreementBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{objective_id}/setting-without-agreement",
    summary="Set an objective that could not be agreed (appraiser)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="SetObjectiveWithoutAgreement",
)
def set_objective_without_agreement(
    objective_id: UUID,
    body: Annotated[
        SetObjectiveWithoutAgreementBody,
        Body(
            openapi_examples={
                "example": {"value": {"reason": "Two planning meetings did not reach agreement"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.SetObjectiveWithoutAgreement, body, objective_id=objective_id)


class RecordDisagreementBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: Text


@router.post(
    "/{objective_id}/disagreement",
    summary="Record written disagreement (appraisee)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordDisagreement",
)
def record_disagreement(
    objective_id: UUID,
    body: Annotated[
        RecordDisagreementBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "statement": "The target does not reflect the class's starting points."
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RecordDisagreement, body, objective_id=objective_id)


class RecordProgressBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    percent: int = Field(ge=0, le=100)
    note: Text
    evidence: list[Reference] = Field(default_factory=list, max_length=20)


@router.post(
    "/{objective_id}/progress",
    summary="Record progress",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordProgress",
)
def record_progress(
    objective_id: UUID,
    body: Annotated[
        RecordProgressBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "percent": 40,
                        "note": "Autumn data on track",
                        "evidence": ["Autumn reading tests"],
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RecordProgress, body, objective_id=objective_id)


class AssessObjectiveBody(BaseModel):
    """Give the outcome, or the level of the trust's scale in force for the cycle (or both)."""

    model_config = ConfigDict(extra="forbid")

    outcome: ObjectiveOutcome | None = None
    level: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    comment: Text


@router.post(
    "/{objective_id}/assessment",
    summary="Assess an objective (appraiser)",
    description=m.AssessObjective.__doc__,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="AssessObjective",
)
def assess_objective(
    objective_id: UUID,
    body: Annotated[
        AssessObjectiveBody,
        Body(
            openapi_examples={
                "example": {"value": {"outcome": "met", "comment": "87% at the expected standard"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.AssessObjective, body, objective_id=objective_id)


class WithdrawObjectiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{objective_id}/withdrawal",
    summary="Withdraw an objective (appraiser)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="WithdrawObjective",
)
def withdraw_objective(
    objective_id: UUID,
    body: Annotated[
        WithdrawObjectiveBody,
        Body(openapi_examples={"example": {"value": {"reason": "Role changed at Easter"}}}),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.WithdrawObjective, body, objective_id=objective_id)


class ReinstateObjectiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{objective_id}/reinstatement",
    summary="Reinstate a withdrawn objective after the review is reopened (appraiser)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ReinstateObjective",
)
def reinstate_objective(
    objective_id: UUID,
    body: Annotated[
        ReinstateObjectiveBody,
        Body(openapi_examples={"example": {"value": {"reason": "Withdrawn in error"}}}),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ReinstateObjective, body, objective_id=objective_id)


class CarryForwardObjectiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_review_id: UUID
    due_date: date
    new_objective_id: NewId = None


@router.post(
    "/{objective_id}/carry-forward",
    summary="Carry an unmet objective into the next cycle's review (appraiser)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="CarryForwardObjective",
)
def carry_forward_objective(
    objective_id: UUID,
    body: Annotated[
        CarryForwardObjectiveBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "to_review_id": "2b1a0f9e-8d7c-4b6a-9584-736251403f2e",
                        "due_date": "2027-07-09",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.CarryForwardObjective, body, objective_id=objective_id)


class ObjectiveHistory(BaseModel):
    """An objective now, and every change to it: field, old, new, reason, who and when."""

    objective: ObjectiveView
    changes: list[Revision]
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)
    names_then: dict[int, dict[UUID, str]] = Field(
        default_factory=dict,
        description="By a change's log position: the names of the ids it carries as they "
        "were when it was made (a person who has since changed name, a school renamed)",
    )


# The objective's own fields (flat, as ObjectiveView), its progress notes and evidence, names.
ObjectiveDetail: type[BaseModel] = create_model(
    "ObjectiveDetail",
    __doc__="An objective as it is now, with every progress note and its evidence",
    **{k: (v, ...) for k, v in get_type_hints(ObjectiveView).items()},  # type: ignore[call-overload]
    progress=(list[ProgressEntry], Field(description="Progress recorded, oldest first")),
    names=(dict[UUID, str], Field(description=NAMES_DESCRIPTION)),
)


def _visible_objective(
    db: ReadDb, principal: CurrentPrincipal, objective_id: UUID
) -> ObjectiveView:
    view = objective_current.get_objective(db, objective_id)
    if view is None:
        raise hidden("objective")
    if not may_read_record(principal, objective_scope(view)):
        raise hidden("objective", denied=True)
    return view


def objective_scope(view: ObjectiveView) -> ReadScope:
    people = {view.appraisee_id} | ({view.appraiser_id} if view.appraiser_id else set())
    return ReadScope(
        trust_id=view.trust_id,
        school_ids=frozenset({view.school_id}) if view.school_id else frozenset(),
        people=frozenset(people),
    )


@router.get(
    "/{objective_id}",
    summary="An objective as it is now, with its progress notes and evidence",
    responses=PROBLEM_RESPONSES,
    response_model=ObjectiveDetail,
)
def get_objective(
    objective_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    fresh(container, min_position, "objective_current")
    view = _visible_objective(db, principal, objective_id)
    progress = objective_progress(db, objective_id)
    return {
        **{k: getattr(view, k) for k in get_type_hints(ObjectiveView)},
        "progress": progress,
        "names": names_for(db, view, progress),
    }


@router.get(
    "/{objective_id}/history",
    summary="An objective's full history with field-level changes",
    responses=PROBLEM_RESPONSES,
)
def get_objective_history(
    objective_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> ObjectiveHistory:
    fresh(container, min_position, "objective_current", "objective_revisions")
    view = _visible_objective(db, principal, objective_id)
    changes = objective_revisions.history(db, objective_id)
    then = label_then(db, [(c.position, ids_in(c)) for c in changes])
    return ObjectiveHistory(
        objective=view,
        changes=changes,
        names=names_for(db, view, changes),
        names_then={p: {UUID(k): v for k, v in n.items()} for p, n in then.items() if n},
    )
