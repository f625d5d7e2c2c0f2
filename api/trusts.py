"""Trusts, their schools and development priorities."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.replaying import AsOfMoment, replayed
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.read_policy import may_read_summary
from projections.cycle_summary import trust as trust_cycle_summary
from projections.cycle_summary.views import TrustCycleSummaryView
from replay.summaries import trust_summary_as_of

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])

TRUST = "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60"
SCHOOL = "7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f"

ROUTES = [
    CommandRoute(
        "",
        m.RegisterTrust,
        "Register a trust (platform admin)",
        {"name": "Oak Learning Trust"},
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/schools",
        m.AddSchool,
        "Add a school to the trust",
        {"name": "Oak Primary Academy", "phase": "primary"},
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/schools/{school_id}/renaming",
        m.RenameSchool,
        "Rename a school",
        {"new_name": "Oak Primary School", "reason": "Renamed on joining the federation"},
    ),
    CommandRoute(
        "/{trust_id}/governors",
        m.AppointGovernor,
        "Appoint a governor of a school's board or the trust board (appraises headteachers)",
        {"name": "Priya Shah", "school_id": "2b3c4d5e-6f70-4a1b-8c2d-3e4f5a6b7c8d"},
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/priorities",
        m.AddPriority,
        "Add a development priority (trust-wide, or for one school)",
        {
            "title": "Reading for pleasure",
            "description": "Every pupil reads widely and often",
            "school_id": SCHOOL,
        },
        created=True,
    ),
    CommandRoute(
        "/{trust_id}/priorities/{priority_id}/retirement",
        m.RetirePriority,
        "Retire a priority",
        {"reason": "Met in full in the 2024-25 improvement plan"},
    ),
]
add_routes(router, ROUTES)


class TrustSummary(BaseModel):
    summary: TrustCycleSummaryView
    overdue: dict[str, int] = Field(description="Reviews late on the day (today, or `as_of`)")
    as_of: datetime | None = Field(None, description="The moment asked about, if any")
    position: int | None = Field(None, description="With `as_of`: the log position replayed to")
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


@router.get(
    "/{trust_id}/cycles/{cycle_id}/summary",
    summary="A trust's cycle summary: totals and its schools side by side",
    responses=PROBLEM_RESPONSES,
)
def get_trust_summary(
    trust_id: UUID,
    cycle_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
    as_of: AsOfMoment = None,
) -> TrustSummary:
    fresh(container, min_position, "trust_cycle_summary", "school_cycle_summary")
    if not may_read_summary(principal, trust_id) or principal.role.value == "school_leader":
        raise hidden("trust summary", denied=True)
    view = trust_cycle_summary.trust_summary(db, trust_id, cycle_id)
    if view is None:
        raise hidden("trust summary")
    if as_of is None:
        return TrustSummary(
            summary=view, overdue=view.overdue(date.today()), names=names_for(db, view)
        )
    then = replayed(lambda: trust_summary_as_of(db, trust_id, cycle_id, at=as_of))
    if then.view is None:
        raise hidden("trust summary at that moment")
    return TrustSummary(
        summary=then.view,
        overdue=then.view.overdue(as_of.date()),
        as_of=as_of,
        position=then.position,
        names=names_for(db, then.view),
    )
