"""The directory: lists and search of staff, schools, cycles and priorities, a cycle's reviews.

Every list is cursor-paged and holds only what the read policy lets the caller read one by
one; each carries the display names of the ids its items hold.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.problems import BadCursor
from api.reading import (
    Cursor,
    Limit,
    MinPosition,
    Page,
    ReadDb,
    decode_cursor,
    encode_cursor,
    fresh,
    hidden,
    paged,
    with_names,
)
from api.reviews import review_scope
from api.schemas import PROBLEM_RESPONSES
from commands.principal import Principal
from commands.read_policy import (
    ReadScope,
    list_scope,
    may_read_directory,
    may_read_record,
)
from events.values import StaffCategory
from projections import directory, review_status
from projections.directory import Cycle, Person, Priority, School, StaffFilter
from projections.review_status import ReviewView

router = APIRouter(tags=["directory"], responses=PROBLEM_RESPONSES)

TrustParam = Annotated[UUID | None, Query(description="Platform admins only: the trust to read")]
Stage = Literal[
    "started",
    "planned",
    "mid_year",
    "end_year",
    "assessed",
    "reported",
    "signed_off",
    "moderated",
    "in_appeal",
]


def _trust(principal: Principal, trust_id: UUID | None) -> UUID:
    trust = principal.trust_id or trust_id
    if trust is None or not may_read_directory(principal, trust):
        raise hidden("trust")
    return trust


class PersonOut(BaseModel):
    """A member of staff as the directory shows them."""

    person: Person
    school_name: str | None
    line_manager_name: str | None


def _people_names(db: ReadDb, people: list[Person]) -> dict[UUID, str]:
    """Names for a page of people: their own from the page, the rest (schools, managers,
    the trust) looked up."""
    names = {p.staff_id: p.display_name for p in people}
    others = {p.trust_id for p in people} | {p.school_id for p in people if p.school_id}
    others |= {p.line_manager_id for p in people if p.line_manager_id} - set(names)
    return {**names, **names_for(db, others)}


def _person_out(people: list[Person], names: dict[UUID, str]) -> list[PersonOut]:
    return [
        PersonOut(
            person=p,
            school_name=names.get(p.school_id) if p.school_id else None,
            line_manager_name=names.get(p.line_manager_id) if p.line_manager_id else None,
        )
        for p in people
    ]


@router.get("/v1/staff", summary="Staff of the trust: search by name or email, filter, paged")
def list_staff(
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Words that start the name or email"),
    ] = None,
    school_id: UUID | None = None,
    category: StaffCategory | None = None,
    status: Annotated[
        Literal["active", "left", "all"], Query(description="Still employed, left, or both")
    ] = "active",
    trust_id: TrustParam = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PersonOut]:
    fresh(container, min_position, "directory")
    trust = _trust(principal, trust_id)
    scope = list_scope(principal) if principal.trust_id else None
    if principal.trust_id is not None and scope is None:
        return Page[PersonOut](items=[], next_cursor=None)
    schools = scope.school_ids if scope else None
    if school_id is not None:
        schools = (
            frozenset({school_id}) & schools if schools is not None else frozenset({school_id})
        )
    f = StaffFilter(
        trust_id=trust,
        school_ids=schools,
        people=scope.people if scope else None,
        search=q,
        category=category.value if category else None,
        active=None if status == "all" else status == "active",
    )
    people, after = directory.list_staff(db, f, after=decode_cursor(cursor), limit=limit)
    names = _people_names(db, people)
    return Page[PersonOut](
        items=_person_out(people, names),
        next_cursor=encode_cursor(after) if after else None,
        names=names,
    )


@router.get("/v1/staff/{staff_id}", summary="One member of staff from the directory")
def get_staff(
    staff_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> PersonOut:
    fresh(container, min_position, "directory")
    person = directory.get_person(db, staff_id)
    if person is None:
        raise hidden("member of staff")
    people = {person.staff_id} | ({person.line_manager_id} if person.line_manager_id else set())
    scope = ReadScope(
        trust_id=person.trust_id,
        school_ids=frozenset({person.school_id}) if person.school_id else frozenset(),
        people=frozenset(people),
    )
    if not may_read_record(principal, scope):
        raise hidden("member of staff")
    return _person_out([person], names_for(db, person))[0]


@router.get("/v1/schools", summary="The trust's schools, by name")
def list_schools(
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    trust_id: TrustParam = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[School]:
    fresh(container, min_position, "directory")
    return paged(directory.schools(db, _trust(principal, trust_id)), cursor, limit)


@router.get("/v1/cycles", summary="The trust's appraisal cycles, newest first")
def list_cycles(
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    trust_id: TrustParam = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Cycle]:
    fresh(container, min_position, "directory")
    return paged(directory.cycles(db, _trust(principal, trust_id)), cursor, limit)


class CycleOut(BaseModel):
    cycle: Cycle
    stage: str = Field(
        description="Where the cycle is today: scheduled, objective_setting, "
        "in_year, mid_year, end_of_year, after_deadline or closed"
    )
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


def cycle_stage(c: Cycle, today: date) -> str:
    """Where a cycle is on ``today``."""
    if c.state == "closed":
        return "closed"
    if c.state == "scheduled" or today < c.start_date:
        return "scheduled"
    if today <= c.objective_setting_deadline:
        return "objective_setting"
    if today < c.mid_year_window_start:
        return "in_year"
    if today <= c.mid_year_window_end:
        return "mid_year"
    if today <= c.end_year_deadline:
        return "end_of_year"
    return "after_deadline"


@router.get("/v1/cycles/{cycle_id}", summary="An appraisal cycle: its dates, policy and stage")
def get_cycle(
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> CycleOut:
    fresh(container, min_position, "directory")
    c = directory.get_cycle(db, cycle_id)
    if c is None or not may_read_directory(principal, c.trust_id):
        raise hidden("cycle")
    return CycleOut(cycle=c, stage=cycle_stage(c, date.today()), names=names_for(db, c))


@router.get("/v1/priorities", summary="The trust's development priorities, by title")
def list_priorities(
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    school_id: Annotated[
        UUID | None, Query(description="Only this school's priorities and the trust-wide ones")
    ] = None,
    active: Annotated[bool | None, Query(description="Only current (or only retired) ones")] = None,
    trust_id: TrustParam = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Priority]:
    fresh(container, min_position, "directory")
    items = [
        p
        for p in directory.priorities(db, _trust(principal, trust_id))
        if (school_id is None or p.school_id in (None, school_id))
        and (active is None or p.active == active)
    ]
    return with_names(db, paged(items, cursor, limit))


class ReviewItem(BaseModel):
    review: ReviewView
    overdue: dict[str, bool]


@router.get(
    "/v1/cycles/{cycle_id}/reviews",
    summary="A cycle's reviews: by school, stage, appraiser or overdue, paged",
)
def list_cycle_reviews(
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    school_id: Annotated[UUID | None, Query(description="Where the appraisee is now")] = None,
    stage: Stage | None = None,
    appraiser_id: UUID | None = None,
    overdue: Annotated[
        bool | None, Query(description="true: only reviews with a milestone late today")
    ] = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ReviewItem]:
    fresh(container, min_position, "review_status", "directory")
    c = directory.get_cycle(db, cycle_id)
    scope = list_scope(principal)
    if principal.is_platform_admin and c is not None:
        scope = None
    elif c is None or scope is None or scope.trust_id != c.trust_id:
        raise hidden("cycle")
    today = date.today()
    after = decode_cursor(cursor)
    try:
        after_id = UUID(after) if after else None
    except ValueError:
        raise BadCursor("the cursor is not one this API issued") from None
    rows = review_status.reviews_in_cycle(
        db,
        cycle_id,
        school_ids=scope.school_ids if scope else None,
        people=scope.people if scope else None,
        school_id=school_id,
        stage=stage,
        appraiser_id=appraiser_id,
        overdue_on=today if overdue else None,
        after=after_id,
        limit=limit + 1,
    )
    if overdue is False:
        rows = [r for r in rows if not any(r.overdue(today).values())]
    more = len(rows) > limit
    rows = rows[:limit]
    visible = [r for r in rows if may_read_record(principal, review_scope(r))]
    return Page[ReviewItem](
        items=[ReviewItem(review=r, overdue=r.overdue(today)) for r in visible],
        next_cursor=encode_cursor(str(rows[-1].review_id)) if more else None,
        names=names_for(db, visible),
    )
