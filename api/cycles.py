"""Appraisal cycles: scheduling, opening, closing, reopening and policy."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.naming import names_for
from api.params import Moment
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
)
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.principal import Principal
from commands.read_policy import TRUST_WIDE_READERS
from events.base import Role
from projections import cycle_closings, directory, objective_revisions
from projections.engine.db import Database
from projections.objective_revisions import Revision

router = APIRouter(prefix="/v1/cycles", tags=["cycles"])

ROUTES = [
    CommandRoute(
        "",
        m.ScheduleCycle,
        "Schedule a trust-wide appraisal cycle",
        {
            "trust_id": "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60",
            "name": "2026-27",
            "start_date": "2026-09-01",
            "end_date": "2027-08-31",
            "objective_setting_deadline": "2026-10-31",
            "mid_year_window_start": "2027-02-01",
            "mid_year_window_end": "2027-03-31",
            "end_year_deadline": "2027-07-16",
            "max_objectives": 3,
            "appeal_window_days": 10,
        },
        created=True,
    ),
    CommandRoute("/{cycle_id}/opening", m.OpenCycle, "Open a scheduled cycle", {}),
    CommandRoute(
        "/{cycle_id}/closing",
        m.CloseCycle,
        "Close an open cycle (with reviews unfinished: only with a reason, recording them)",
        {"reason": "Two reviews await long-term sick staff; the board closes the year"},
    ),
    CommandRoute(
        "/{cycle_id}/reopening",
        m.ReopenCycle,
        "Reopen a closed cycle",
        {"reason": "Late appeal admitted by the trust board"},
    ),
    CommandRoute(
        "/{cycle_id}/policy",
        m.ChangeCyclePolicy,
        "Change the cycle's policy",
        {
            "max_objectives": 4,
            "appeal_window_days": 15,
            "reason": "Board approved the revised appraisal policy",
        },
    ),
]
add_routes(router, ROUTES)


@router.get(
    "/{cycle_id}/objective-changes",
    summary="How objectives changed over a cycle: by school, priority and date range, paged",
    responses=PROBLEM_RESPONSES,
)
def list_objective_changes(
    cycle_id: UUID,
    container: AppContainer,
    db: ReadDb,
    principal: CurrentPrincipal,
    school_id: Annotated[
        UUID | None, Query(description="Where the appraisee was when it changed")
    ] = None,
    priority_id: UUID | None = None,
    since: Annotated[Moment, Query(description="From this moment (inclusive)")] = None,
    until: Annotated[Moment, Query(description="Before this moment")] = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[Revision]:
    after = _after(cursor)  # bad input is a 400 before anything is looked up
    fresh(container, min_position, "objective_revisions")
    cycle = directory.get_cycle(db, cycle_id)
    if cycle is None:
        raise hidden("cycle")
    trust_wide = principal.role in TRUST_WIDE_READERS and principal.in_trust(cycle.trust_id)
    leads_school = (
        principal.role is Role.SCHOOL_LEADER
        and principal.in_trust(cycle.trust_id)
        and school_id is not None
        and school_id in principal.school_ids
    )
    if not (trust_wide or leads_school):
        raise hidden("cycle", denied=True)
    rows = objective_revisions.changes_in_cycle(
        db,
        cycle_id,
        school_id=school_id,
        priority_id=priority_id,
        since=since,
        until=until,
        after=after,
        limit=limit,
    )
    last = rows[-1] if len(rows) == limit else None
    return Page[Revision](
        items=rows,
        next_cursor=encode_cursor(f"{last.position}.{last.seq}") if last else None,
        names=names_for(db, rows),
    )


class UnfinishedReviewItem(BaseModel):
    review_id: UUID
    school_id: UUID
    school_name: str
    appraisee_id: UUID
    appraisee_name: str
    left_at: str


class UnfinishedReport(BaseModel):
    """The reviews a cycle's latest close left unfinished, and why it closed regardless."""

    cycle_id: UUID
    cycle_name: str
    status: str
    closed_at: datetime | None
    reason: str | None
    unfinished: list[UnfinishedReviewItem]


def unfinished_report(db: Database, principal: Principal, cycle_id: UUID) -> UnfinishedReport:
    """Read from the cycle's close (its event is the record, kept by ``cycle_closings``): a
    school leader sees the reviews of the schools they lead, trust-wide readers all of them."""
    cycle = directory.get_cycle(db, cycle_id)
    if cycle is None:
        raise hidden("cycle")
    trust_wide = principal.role in TRUST_WIDE_READERS and principal.in_trust(cycle.trust_id)
    leader = principal.role is Role.SCHOOL_LEADER and principal.in_trust(cycle.trust_id)
    if not (trust_wide or leader):
        raise hidden("cycle")
    closing = cycle_closings.last_closing(db, cycle_id)
    schools = {s.school_id: s.name for s in directory.schools(db, cycle.trust_id)}
    items = [
        UnfinishedReviewItem(
            review_id=u.review_id,
            school_id=u.school_id,
            school_name=schools.get(u.school_id, "a former school"),
            appraisee_id=u.appraisee_id,
            appraisee_name=u.appraisee_name,
            left_at=u.left_at,
        )
        for u in (closing.unfinished if closing else ())
        if trust_wide or u.school_id in principal.school_ids
    ]
    return UnfinishedReport(
        cycle_id=cycle.cycle_id,
        cycle_name=cycle.name,
        status=cycle.state,
        closed_at=closing.closed_at if closing else None,
        reason=closing.reason if closing else None,
        unfinished=items,
    )


@router.get(
    "/{cycle_id}/unfinished-reviews",
    summary="The reviews the cycle's latest close left unfinished, where each was left, and why",
    responses=PROBLEM_RESPONSES,
)
def list_unfinished_reviews(
    cycle_id: UUID,
    container: AppContainer,
    db: ReadDb,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> UnfinishedReport:
    fresh(container, min_position, "cycle_closings")
    return unfinished_report(db, principal, cycle_id)


def _after(cursor: str | None) -> tuple[int, int] | None:
    value = decode_cursor(cursor)
    if value is None:
        return None
    position, _, seq = value.partition(".")
    if not (_DIGITS.fullmatch(position) and _DIGITS.fullmatch(seq)):
        raise BadCursor("the cursor is not one this API issued")
    return int(position), int(seq)


_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)
