"""School views: a school's cycle summary and the reviews of its staff."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.reading import (
    Cursor,
    Limit,
    MinPosition,
    Page,
    ReadDb,
    fresh,
    hidden,
    paged,
    with_names,
)
from api.replaying import AsOfMoment, replayed
from api.reviews import review_scope
from api.schemas import PROBLEM_RESPONSES
from commands.read_policy import may_read_record, may_read_summary
from projections import review_status
from projections.cycle_summary import school as school_cycle_summary
from projections.cycle_summary.views import SchoolCycleSummaryView
from projections.review_status import ReviewView
from replay.summaries import school_summary_as_of

router = APIRouter(prefix="/v1/schools", tags=["schools"], responses=PROBLEM_RESPONSES)


class SchoolSummary(BaseModel):
    summary: SchoolCycleSummaryView
    overdue: dict[str, int] = Field(description="Reviews late on the day (today, or `as_of`)")
    as_of: datetime | None = Field(None, description="The moment asked about, if any")
    position: int | None = Field(None, description="With `as_of`: the log position replayed to")
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


@router.get("/{school_id}/cycles/{cycle_id}/summary", summary="A school's cycle summary")
def get_school_summary(
    school_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
    as_of: AsOfMoment = None,
) -> SchoolSummary:
    fresh(container, min_position, "school_cycle_summary")
    view = school_cycle_summary.school_summary(db, school_id, cycle_id)
    if view is None:
        raise hidden("school summary")
    if not may_read_summary(principal, view.trust_id, school_id):
        raise hidden("school summary", denied=True)
    if as_of is None:
        return SchoolSummary(
            summary=view, overdue=view.overdue(date.today()), names=names_for(db, view)
        )
    then = replayed(lambda: school_summary_as_of(db, school_id, cycle_id, at=as_of))
    if then.view is None:
        raise hidden("school summary at that moment")
    return SchoolSummary(
        summary=then.view,
        overdue=then.view.overdue(as_of.date()),
        as_of=as_of,
        position=then.position,
        names=names_for(db, then.view),
    )


@router.get(
    "/{school_id}/cycles/{cycle_id}/reviews",
    summary="The reviews of a school's staff in a cycle (people now at the school)",
)
def list_school_reviews(
    school_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ReviewView]:
    fresh(container, min_position, "review_status")
    reviews = review_status.reviews_for_school(db, school_id, cycle_id)
    # Leaders see the school's list; staff see only the reviews they are part of.
    visible = [r for r in reviews if may_read_record(principal, review_scope(r))]
    return with_names(db, paged(visible, cursor, limit))
