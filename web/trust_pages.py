"""Trust leaders' read pages beyond the side-by-side cycle view: priorities coverage across
schools, and every table of the cycle pages as a CSV download (names, not ids)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.params import Day
from commands.principal import Principal
from projections import directory, objective_current
from projections.cycle_summary.views import SchoolCycleSummaryView
from projections.directory import Names
from web import features, reads
from web.pages import PICK_DATE, Db
from web.render import page
from web.session import current_principal
from web.tables import csv_response

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True, slots=True)
class Coverage:
    """One priority across the trust's schools: objectives linked to it in each school
    (None where it does not apply), and how many of the schools it applies to cover it."""

    priority_id: UUID
    title: str
    trust_wide: bool
    counts: list[int | None]
    covering: int
    applicable: int


def coverage(
    db: Db, trust_id: UUID, cycle_id: UUID, schools: list[SchoolCycleSummaryView]
) -> list[Coverage]:
    linked = objective_current.priority_coverage(db, [s.school_id for s in schools], cycle_id)
    out = []
    for p in directory.priorities(db, trust_id):
        if not p.active:
            continue
        counts: list[int | None] = [
            linked.get((s.school_id, p.priority_id), 0)
            if p.school_id in (None, s.school_id)
            else None
            for s in schools
        ]
        applicable = [c for c in counts if c is not None]
        out.append(
            Coverage(
                p.priority_id,
                p.title,
                p.school_id is None,
                counts,
                sum(1 for c in applicable if c),
                len(applicable),
            )
        )
    return out


def _schools(
    db: Db, principal: Principal, trust_id: UUID, cycle_id: UUID, as_of: date | None
) -> list[SchoolCycleSummaryView]:
    view = reads.trust_summary(db, principal, trust_id, cycle_id)
    if as_of is not None and principal.role in PICK_DATE:
        past = features.trust_summary_on(db, trust_id, cycle_id, as_of)
        if past is not None and past.view is not None:
            return list(past.view.schools)
    return list(view.schools)


@router.get("/trusts/{trust_id}/cycles/{cycle_id}/priorities", response_class=HTMLResponse)
def priorities_page(
    request: Request, trust_id: UUID, cycle_id: UUID, principal: SignedIn, db: Db
) -> Response:
    summary = reads.trust_summary(db, principal, trust_id, cycle_id)
    return page(
        request,
        "trust_priorities.html",
        principal,
        summary=summary,
        schools=summary.schools,
        rows=coverage(db, trust_id, cycle_id, summary.schools),
    )


@router.get("/trusts/{trust_id}/cycles/{cycle_id}/priorities.csv")
def priorities_csv(trust_id: UUID, cycle_id: UUID, principal: SignedIn, db: Db) -> Response:
    summary = reads.trust_summary(db, principal, trust_id, cycle_id)
    schools = summary.schools
    header = ["Priority", "Applies to", *[s.school_name or "" for s in schools], "Schools covering"]
    rows = [
        [
            r.title,
            "whole trust" if r.trust_wide else "one school",
            *["n/a" if c is None else c for c in r.counts],
            f"{r.covering} of {r.applicable}",
        ]
        for r in coverage(db, trust_id, cycle_id, schools)
    ]
    return csv_response(f"priorities-{summary.cycle_name}.csv", header, rows)


SCHOOL_HEADER = [
    "School",
    "Staff in cycle",
    "Objectives set",
    "Objectives agreed",
    "Mid-year done",
    "Reports issued",
    "Reviews complete",
    "Outcomes met",
    "Outcomes partly met",
    "Outcomes not met",
    "Overdue objectives",
    "Overdue mid-year",
    "Overdue report",
    "Priorities covered",
    "Priorities applicable",
]


@router.get("/trusts/{trust_id}/cycles/{cycle_id}/schools.csv")
def schools_csv(
    trust_id: UUID,
    cycle_id: UUID,
    principal: SignedIn,
    db: Db,
    as_of: Annotated[Day, Query()] = None,
) -> Response:
    """The side-by-side table (as it was on ``as_of`` for those who may pick a date)."""
    schools = _schools(db, principal, trust_id, cycle_id, as_of)
    today = as_of if as_of is not None and principal.role in PICK_DATE else date.today()
    rows = []
    for s in schools:
        late = s.overdue(today)
        rows.append(
            [
                s.school_name,
                s.staff_in_cycle,
                s.objectives_set,
                s.objectives_agreed,
                s.mid_year_done,
                s.reports_issued,
                s.reviews_complete,
                s.outcome_met,
                s.outcome_partially_met,
                s.outcome_not_met,
                *late.values(),
                s.priorities_covered,
                s.priorities_applicable,
            ]
        )
    name = schools[0].cycle_name if schools else "cycle"
    return csv_response(
        f"schools-{name}{'-' + str(as_of) if as_of else ''}.csv", SCHOOL_HEADER, rows
    )


@router.get("/schools/{school_id}/cycles/{cycle_id}/reviews.csv")
def reviews_csv(school_id: UUID, cycle_id: UUID, principal: SignedIn, db: Db) -> Response:
    """A school's reviews table (the reviews the principal may read; analysts: none)."""
    summary = reads.school_summary(db, principal, school_id, cycle_id)
    reviews = reads.school_reviews(db, principal, school_id, cycle_id)
    names = Names(db).now(
        {str(r.appraisee_id) for r in reviews} | {str(r.appraiser_id) for r in reviews}
    )
    header = [
        "Appraisee",
        "Appraiser",
        "Stage",
        "Active objectives",
        "Planning",
        "Mid-year",
        "Report issued",
        "Overdue",
    ]
    rows = [
        [
            names.get(str(r.appraisee_id)),
            names.get(str(r.appraiser_id)),
            r.stage.replace("_", " "),
            r.objectives_active,
            r.planning_on,
            r.mid_year_on,
            r.report_issued_on,
            ", ".join(k.replace("_", " ") for k in reads.overdue_of(r)),
        ]
        for r in reviews
    ]
    return csv_response(f"reviews-{summary.school_name}-{summary.cycle_name}.csv", header, rows)
