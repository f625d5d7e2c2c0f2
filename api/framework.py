"""A trust's development framework: objective templates, rating scales, the observation
policy, and a cycle's outcomes reported by the scale that was in force for it."""

from __future__ import annotations

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
from commands.development_messages import ScaleLevelIn, Standard
from commands.messages import Criterion, LongText, Name, Reason
from commands.read_policy import may_read_summary
from projections import framework_view
from projections.framework_view import CycleOutcomes, Scale, TemplateView

router = APIRouter(prefix="/v1/trusts", tags=["framework"], responses=PROBLEM_RESPONSES)


class PublishObjectiveTemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name
    description: LongText = ""
    success_criteria: list[Criterion] = Field(min_length=1, max_length=10)
    standards: list[Standard] = Field(default_factory=list, max_length=20)
    template_id: UUID | None = None


@router.post(
    "/{trust_id}/objective-templates",
    summary="Publish an objective template (trust leaders)",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="PublishObjectiveTemplate",
)
def publish_objective_template(
    trust_id: UUID,
    body: Annotated[
        PublishObjectiveTemplateBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "title": "Reading for pleasure",
                        "success_criteria": ["Library loans up by a quarter"],
                        "standards": ["TS4b"],
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.PublishObjectiveTemplate, body, status_code=201, trust_id=trust_id)


class RetireObjectiveTemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{trust_id}/objective-templates/{template_id}/retirement",
    summary="Retire an objective template",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RetireObjectiveTemplate",
)
def retire_objective_template(
    trust_id: UUID,
    template_id: UUID,
    body: Annotated[
        RetireObjectiveTemplateBody,
        Body(
            openapi_examples={
                "example": {"value": {"reason": "Superseded by the 2026 curriculum template"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(
        call, d.RetireObjectiveTemplate, body, trust_id=trust_id, template_id=template_id
    )


class PublishRatingScaleBody(BaseModel):
    """A new version of the trust's rating scales (objective outcomes, overall judgement)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    objective_levels: list[ScaleLevelIn] = Field(min_length=2, max_length=7)
    overall_levels: list[ScaleLevelIn] = Field(min_length=2, max_length=7)


@router.post(
    "/{trust_id}/rating-scales",
    summary="Publish a new version of the trust's rating scales",
    description=d.PublishRatingScale.__doc__,
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="PublishRatingScale",
)
def publish_rating_scale(
    trust_id: UUID,
    body: Annotated[
        PublishRatingScaleBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "name": "Five-point",
                        "objective_levels": [
                            {"key": "exceeded", "label": "Exceeded", "counts_as": "met"},
                            {"key": "achieved", "label": "Achieved", "counts_as": "met"},
                            {"key": "not_yet", "label": "Not yet", "counts_as": "not_met"},
                        ],
                        "overall_levels": [
                            {"key": "secure", "label": "Secure", "counts_as": "meets"},
                            {
                                "key": "support",
                                "label": "Needs support",
                                "counts_as": "does_not_meet",
                            },
                        ],
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.PublishRatingScale, body, status_code=201, trust_id=trust_id)


class SetObservationPolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graded: bool
    grades: list[Name] = Field(default_factory=list, max_length=7)
    reason: Reason


@router.post(
    "/{trust_id}/observation-policy",
    summary="Set whether observations carry a graded judgement",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="SetObservationPolicy",
)
def set_observation_policy(
    trust_id: UUID,
    body: Annotated[
        SetObservationPolicyBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "graded": False,
                        "grades": [],
                        "reason": "Trust board: developmental observations",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.SetObservationPolicy, body, trust_id=trust_id)


def _in_trust(principal: CurrentPrincipal, trust_id: UUID) -> None:
    if not principal.in_trust(trust_id):
        raise hidden("trust")


@router.get("/{trust_id}/objective-templates", summary="The trust's objective templates")
def list_templates(
    trust_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    include_retired: bool = Query(False),
    min_position: MinPosition = None,
) -> list[TemplateView]:
    fresh(container, min_position, "framework_view")
    _in_trust(principal, trust_id)
    return framework_view.templates(db, trust_id, include_retired=include_retired)


@router.get("/{trust_id}/rating-scales", summary="Every version of the trust's rating scales")
def list_scales(
    trust_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> list[Scale]:
    fresh(container, min_position, "framework_view")
    _in_trust(principal, trust_id)
    return framework_view.scales(db, trust_id)


@router.get(
    "/{trust_id}/cycles/{cycle_id}/outcomes",
    summary="A cycle's outcomes by the scale in force for it, school by school",
)
def get_outcomes(
    trust_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> CycleOutcomes:
    fresh(container, min_position, "framework_view")
    if not may_read_summary(principal, trust_id):
        raise hidden("cycle outcomes")
    return framework_view.cycle_outcomes(db, trust_id, cycle_id)
