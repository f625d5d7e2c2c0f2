"""Appraisal cycles: scheduling, opening, closing, reopening and policy."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.commanding import run_command
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
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.messages import Clean, Reason, Reference
from commands.principal import Principal
from commands.read_policy import TRUST_WIDE_READERS
from events.base import Role
from events.values import MeetingWindowPolicy
from projections import cycle_closings, directory, objective_revisions
from projections.engine.db import Database
from projections.objective_revisions import Revision

router = APIRouter(prefix="/v1/cycles", tags=["cycles"])


class ScheduleCycleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trust_id: UUID
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), Clean
    ]
    start_date: date
    end_date: date
    objective_setting_deadline: date
    mid_year_window_start: date
    mid_year_window_end: date
    end_year_deadline: date
    max_objectives: int = Field(default=5, ge=1, le=10)
    appeal_window_days: int = Field(default=10, ge=1, le=90)
    rating_scale_version: int = Field(default=0, ge=0, description="0: the built-in scale")
    support_frameworks: list[Reference] = Field(
        default_factory=list,
        max_length=200,
        description="codes of the trust's support-staff frameworks objectives may cite",
    )
    meetings_outside_window: MeetingWindowPolicy = MeetingWindowPolicy.WITH_REASON


@router.post(
    "",
    summary="Schedule a trust-wide appraisal cycle",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ScheduleCycle",
)
def schedule_cycle(
    body: Annotated[
        ScheduleCycleBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
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
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ScheduleCycle, body, status_code=201)


class OpenCycleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


@router.post(
    "/{cycle_id}/opening",
    summary="Open a scheduled cycle",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="OpenCycle",
)
def open_cycle(
    cycle_id: UUID,
    call: CommandCall,
    body: Annotated[OpenCycleBody | None, Body(openapi_examples={"example": {"value": {}}})] = None,
) -> Response:
    return run_command(call, m.OpenCycle, body, cycle_id=cycle_id)


class CloseCycleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = Field(
        default=None,
        description="why the cycle closes with reviews unfinished (required if any are)",
    )


@router.post(
    "/{cycle_id}/closing",
    summary="Close an open cycle (with reviews unfinished: only with a reason, recording them)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="CloseCycle",
)
def close_cycle(
    cycle_id: UUID,
    call: CommandCall,
    body: Annotated[
        CloseCycleBody | None,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "reason": "Two reviews await long-term sick staff; "
                        "the board closes the year"
                    }
                }
            }
        ),
    ] = None,
) -> Response:
    return run_command(call, m.CloseCycle, body, cycle_id=cycle_id)


class ReopenCycleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{cycle_id}/reopening",
    summary="Reopen a closed cycle",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ReopenCycle",
)
def reopen_cycle(
    cycle_id: UUID,
    body: Annotated[
        ReopenCycleBody,
        Body(
            openapi_examples={
                "example": {"value": {"reason": "Late appeal admitted by the trust board"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ReopenCycle, body, cycle_id=cycle_id)


class ChangeCyclePolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_objectives: int = Field(ge=1, le=10)
    appeal_window_days: int = Field(ge=1, le=90)
    rating_scale_version: int | None = Field(
        default=None, ge=0, description="the trust's scale version; unchanged when omitted"
    )
    support_frameworks: list[Reference] | None = Field(
        default=None, max_length=200, description="None keeps the current list"
    )
    meetings_outside_window: MeetingWindowPolicy | None = None
    reason: Reason


@router.post(
    "/{cycle_id}/policy",
    summary="Change the cycle's policy",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChangeCyclePolicy",
)
def change_cycle_policy(
    cycle_id: UUID,
    body: Annotated[
        ChangeCyclePolicyBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "max_objectives": 4,
                        "appeal_window_days": 15,
                        "reason": "Board approved the revised appraisal policy",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ChangeCyclePolicy, body, cycle_id=cycle_id)


@router.get(
    "/{cycle_id}/objective-changes",
    summary="How objectives changed over a cycle: by school, priority and date range, paged",
    description="In log order; with `since` or `until`, in time order (ties in log order), "
    "so that a date range is read straight from its index. Pass `next_cursor` back as "
    "`cursor` with the same filters.",
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
    timed = since is not None or until is not None
    moment, after = _after(cursor, timed)  # bad input is a 400 before anything is looked up
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
        after_moment=moment,
        limit=limit,
    )
    last = rows[-1] if len(rows) == limit else None
    next_cursor = None
    if last is not None:
        key = f"{last.position}.{last.seq}"
        if timed:
            key = f"{(last.timestamp - _EPOCH) // timedelta(microseconds=1)}.{key}"
        next_cursor = encode_cursor(key)
    return Page[Revision](items=rows, next_cursor=next_cursor, names=names_for(db, rows))


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


def _after(cursor: str | None, timed: bool) -> tuple[datetime | None, tuple[int, int] | None]:
    """The last row of the previous page: ``position.seq`` in log order, and
    ``<microseconds since 1970>.position.seq`` in time order (a date range)."""
    value = decode_cursor(cursor)
    if value is None:
        return None, None
    parts = value.split(".")
    if len(parts) != (3 if timed else 2) or not all(_DIGITS.fullmatch(p) for p in parts):
        raise BadCursor("the cursor is not one this API issued")
    moment = None
    if timed:
        try:
            moment = _EPOCH + timedelta(microseconds=int(parts[0]))
        except OverflowError:
            raise BadCursor("the cursor is not one this API issued") from None
    return moment, (int(parts[-2]), int(parts[-1]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)
