"""Lesson observations and learning walks, the observed person's response, and the trust's
view of which Teachers' Standards observations focus on, by school."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import development_messages as d
from commands.development_messages import Standard
from commands.messages import Name, Text
from commands.read_policy import ReadScope, may_read_record, may_read_summary
from events.observation import ObservationKind
from events.standards import TITLES
from projections import observation_log, review_status
from projections.engine.db import Database
from projections.names import names_of
from projections.observation_log import ObservationView, StandardsFocus

router = APIRouter(prefix="/v1", tags=["observations"], responses=PROBLEM_RESPONSES)


class RecordObservationBody(BaseModel):
    """Record a lesson observation or learning walk of the appraisee of a review."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    kind: ObservationKind = ObservationKind.LESSON_OBSERVATION
    held_on: date
    context: Name
    focus_standards: list[Standard] = Field(min_length=1, max_length=8)
    strengths: Text
    areas_to_develop: Text
    grade: Name | None = None
    objective_ids: list[UUID] = Field(default_factory=list, max_length=10)
    observation_id: UUID | None = None


@router.post(
    "/observations",
    summary="Record a lesson observation or learning walk (the observer is the caller)",
    description=d.RecordObservation.__doc__,
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordObservation",
)
def record_observation(
    body: Annotated[
        RecordObservationBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "review_id": "8f7e6d5c-4b3a-4928-9716-05f4e3d2c1b0",
                        "kind": "lesson_observation",
                        "held_on": "2026-01-20",
                        "context": "Year 4 guided reading, 28 pupils",
                        "focus_standards": ["TS2", "TS5b"],
                        "strengths": "Clear modelling of inference",
                        "areas_to_develop": "Questions for the lowest 20%",
                        "objective_ids": [],
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.RecordObservation, body, status_code=201)


class CommentOnObservationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Text


@router.post(
    "/observations/{observation_id}/response",
    summary="The observed person's response",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="CommentOnObservation",
)
def comment_on_observation(
    observation_id: UUID,
    body: Annotated[
        CommentOnObservationBody,
        Body(
            openapi_examples={
                "example": {"value": {"comment": "Agreed; I will try hinge questions"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.CommentOnObservation, body, observation_id=observation_id)


class ObservationOut(BaseModel):
    observation: ObservationView
    observed_name: str
    observer_name: str
    focus: dict[str, str]


def observation_scope(db: Database, o: ObservationView) -> ReadScope:
    review = review_status.get_review(db, o.review_id)
    people = {o.observed_id, o.observer_id} | ({review.appraiser_id} if review else set())
    return ReadScope(
        trust_id=o.trust_id, school_ids=frozenset({o.school_id}), people=frozenset(people)
    )


def _out(db: Database, o: ObservationView) -> ObservationOut:
    names = names_of(db, observation_log.NAMES, [o.observed_id, o.observer_id])
    return ObservationOut(
        observation=o,
        observed_name=names.get(o.observed_id, ""),
        observer_name=names.get(o.observer_id, ""),
        focus={s: TITLES.get(s, s) for s in o.focus_standards},
    )


def visible_observation(
    db: Database, principal: CurrentPrincipal, observation_id: UUID
) -> ObservationView:
    o = observation_log.get_observation(db, observation_id)
    if o is None or not may_read_record(principal, observation_scope(db, o)):
        raise hidden("observation")
    return o


@router.get("/observations/{observation_id}", summary="An observation and the response to it")
def get_observation(
    observation_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> ObservationOut:
    fresh(container, min_position, "observation_log")
    return _out(db, visible_observation(db, principal, observation_id))


@router.get("/staff/{staff_id}/observations", summary="The observations of one person")
def list_observations(
    staff_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    cycle_id: UUID | None = Query(None, description="Only this cycle"),
    min_position: MinPosition = None,
) -> list[ObservationOut]:
    fresh(container, min_position, "observation_log")
    rows = observation_log.observations_of(db, staff_id, cycle_id)
    return [_out(db, o) for o in rows if may_read_record(principal, observation_scope(db, o))]


@router.get(
    "/trusts/{trust_id}/cycles/{cycle_id}/observation-focus",
    summary="Which Teachers' Standards observations focus on, school by school",
)
def get_standards_focus(
    trust_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> StandardsFocus:
    fresh(container, min_position, "observation_log")
    if not may_read_summary(principal, trust_id):
        raise hidden("standards focus")
    return observation_log.standards_focus(db, trust_id, cycle_id)


@router.get("/teachers-standards", summary="The closed list of the Teachers' Standards")
def list_standards(principal: CurrentPrincipal) -> dict[str, str]:
    del principal
    return dict(TITLES)
