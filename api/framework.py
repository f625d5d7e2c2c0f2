"""A trust's development framework: objective templates, rating scales, the observation
policy, and a cycle's outcomes reported by the scale that was in force for it."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query

from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.schemas import PROBLEM_RESPONSES
from commands import development_messages as d
from commands.read_policy import may_read_summary
from projections import framework_view
from projections.framework_view import CycleOutcomes, Scale, TemplateView

router = APIRouter(prefix="/v1/trusts", tags=["framework"], responses=PROBLEM_RESPONSES)

ROUTES = [
    CommandRoute(
        "/{trust_id}/objective-templates",
        d.PublishObjectiveTemplate,
        "Publish an objective template (trust leaders)",
        {
            "title": "Reading for pleasure",
            "success_criteria": ["Library loans up by a quarter"],
            "standards": ["TS4b"],
        },
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/objective-templates/{template_id}/retirement",
        d.RetireObjectiveTemplate,
        "Retire an objective template",
        {"reason": "Superseded by the 2026 curriculum template"},
    ),
    CommandRoute(
        "/{trust_id}/rating-scales",
        d.PublishRatingScale,
        "Publish a new version of the trust's rating scales",
        {
            "name": "Five-point",
            "objective_levels": [
                {"key": "exceeded", "label": "Exceeded", "counts_as": "met"},
                {"key": "achieved", "label": "Achieved", "counts_as": "met"},
                {"key": "not_yet", "label": "Not yet", "counts_as": "not_met"},
            ],
            "overall_levels": [
                {"key": "secure", "label": "Secure", "counts_as": "meets"},
                {"key": "support", "label": "Needs support", "counts_as": "does_not_meet"},
            ],
        },
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/observation-policy",
        d.SetObservationPolicy,
        "Set whether observations carry a graded judgement",
        {"graded": False, "grades": [], "reason": "Trust board: developmental observations"},
    ),
]
add_routes(router, ROUTES)


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
