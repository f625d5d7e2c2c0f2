"""Objectives: drafted, revised, agreed, progressed, assessed, withdrawn, carried forward."""

from __future__ import annotations

from typing import Any, get_type_hints
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field, create_model

from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, ids_in, label_then, names_for
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.read_policy import ReadScope, may_read_record
from projections import objective_current, objective_revisions
from projections.objective_current import ObjectiveView
from projections.objective_revisions import Revision
from replay.timeline import ProgressEntry, objective_progress

router = APIRouter(prefix="/v1/objectives", tags=["objectives"])

ROUTES = [
    CommandRoute(
        "",
        m.DraftObjective,
        "Draft an objective on a review (appraisee or appraiser)",
        {
            "review_id": "8f7e6d5c-4b3a-4928-9716-05f4e3d2c1b0",
            "title": "Raise attainment in Year 4 reading",
            "description": "Targeted guided reading for the lowest 20%",
            "success_criteria": ["85% at the expected standard", "Reading age gap halved"],
            "priority_id": None,
            "standards": ["TS2", "TS5"],
            "due_date": "2027-07-09",
        },
        created=True,
    ),
    CommandRoute(
        "/{objective_id}/revisions",
        m.ReviseObjective,
        "Revise an objective (a reason is needed once agreed; clears agreement)",
        {
            "success_criteria": ["80% at the expected standard"],
            "reason": "Cohort changed after two in-year admissions",
        },
    ),
    CommandRoute(
        "/{objective_id}/agreement", m.AgreeObjective, "Agree (as appraisee or appraiser)", {}
    ),
    CommandRoute(
        "/{objective_id}/setting-without-agreement",
        m.SetObjectiveWithoutAgreement,
        "Set an objective that could not be agreed (appraiser)",
        {"reason": "Two planning meetings did not reach agreement"},
    ),
    CommandRoute(
        "/{objective_id}/disagreement",
        m.RecordDisagreement,
        "Record written disagreement (appraisee)",
        {"statement": "The target does not reflect the class's starting points."},
    ),
    CommandRoute(
        "/{objective_id}/progress",
        m.RecordProgress,
        "Record progress",
        {"percent": 40, "note": "Autumn data on track", "evidence": ["Autumn reading tests"]},
    ),
    CommandRoute(
        "/{objective_id}/assessment",
        m.AssessObjective,
        "Assess an objective (appraiser)",
        {"outcome": "met", "comment": "87% at the expected standard"},
    ),
    CommandRoute(
        "/{objective_id}/withdrawal",
        m.WithdrawObjective,
        "Withdraw an objective (appraiser)",
        {"reason": "Role changed at Easter"},
    ),
    CommandRoute(
        "/{objective_id}/reinstatement",
        m.ReinstateObjective,
        "Reinstate a withdrawn objective after the review is reopened (appraiser)",
        {"reason": "Withdrawn in error"},
    ),
    CommandRoute(
        "/{objective_id}/carry-forward",
        m.CarryForwardObjective,
        "Carry an unmet objective into the next cycle's review (appraiser)",
        {"to_review_id": "2b1a0f9e-8d7c-4b6a-9584-736251403f2e", "due_date": "2027-07-09"},
    ),
]
add_routes(router, ROUTES)


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
