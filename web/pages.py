"""The dashboard's pages: sign-in, a home per role, trust and school cycle views, a review,
an objective's timeline, and the audit page."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from aggregates.errors import NotFound
from api.audit import VERIFIERS
from api.audit import verify_log as verify_audit_log
from api.cycles import UnfinishedReport, unfinished_report
from api.deps import get_container
from api.params import MAX_POSITION, Day
from api.reading import request_db
from commands.principal import Principal
from events.base import Role
from projections import framework_view
from projections.cycle_summary.views import SchoolCycleSummaryView
from projections.engine.db import Database
from replay.timeline import objective_progress
from web import charts, features, reads, reminders
from web.forms import review_forms
from web.render import PageNotFound, caught_up, page
from web.session import check_same_origin, current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
MinPosition = Annotated[int | None, Query(ge=1, le=MAX_POSITION)]
# Who may see a summary as it stood on a past date (issue 6's as-of replay).
PICK_DATE = frozenset({Role.AUDITOR, Role.TRUST_LEADER, Role.ADMIN})


def read_db(request: Request) -> Database:
    return request_db(request, get_container(request))


Db = Annotated[Database, Depends(read_db)]


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, principal: SignedIn, db: Db) -> Response:
    mine, appraising = reads.own_reviews(db, principal)
    return page(
        request,
        "home.html",
        principal,
        trust_cycles=reads.trust_cycles(db, principal),
        school_cycles=reads.school_cycles(db, principal),
        mine=mine,
        appraising=appraising,
        panels=reads.panel_reviews(db, principal),
        audit=principal.trust_id is not None and principal.role in VERIFIERS,
        **reminders.home_context(request, principal),
    )


def _summary_charts(schools: list[SchoolCycleSummaryView], today: date) -> list[tuple[str, Markup]]:
    def bars(part: str, whole: str) -> list[charts.Bar]:
        out = []
        for s in schools:
            p, w = getattr(s, part), getattr(s, whole)
            out.append(
                charts.Bar(s.school_name or str(s.school_id)[:8], charts.percent(p, w), f"{p}/{w}")
            )
        return out

    def overdue(s: SchoolCycleSummaryView) -> float:
        return float(sum(s.overdue(today).values()))

    specs = [
        (
            "Objectives agreed, % of objectives set",
            "agreed",
            bars("objectives_agreed", "objectives_set"),
        ),
        (
            "Reviews complete, % of staff in the cycle",
            "complete",
            bars("reviews_complete", "staff_in_cycle"),
        ),
        (
            "Priorities covered, % of those that apply",
            "priorities",
            bars("priorities_covered", "priorities_applicable"),
        ),
        (
            "Overdue milestones (objectives, mid-year, report)",
            "overdue",
            [charts.Bar(s.school_name or str(s.school_id)[:8], overdue(s)) for s in schools],
        ),
    ]
    return [
        (
            title,
            charts.bar_chart(
                title, data, maximum=None if key == "overdue" else 100, chart_id=f"chart-{key}"
            ),
        )
        for title, key, data in specs
    ]


@router.get("/trusts/{trust_id}/cycles/{cycle_id}", response_class=HTMLResponse)
def trust_cycle(
    request: Request,
    trust_id: UUID,
    cycle_id: UUID,
    principal: SignedIn,
    db: Db,
    as_of: Annotated[Day, Query()] = None,
) -> Response:
    view = reads.trust_summary(db, principal, trust_id, cycle_id)
    may_pick_date = principal.role in PICK_DATE
    past = None
    if as_of is not None and may_pick_date:
        past = features.trust_summary_on(db, trust_id, cycle_id, as_of)
        if past is not None and past.view is not None:
            view = past.view
    today = as_of if past is not None and past.view is not None and as_of else date.today()
    return page(
        request,
        "trust_cycle.html",
        principal,
        summary=view,
        overdue=view.overdue(today),
        school_overdue={s.school_id: s.overdue(today) for s in view.schools},
        charts=_summary_charts(view.schools, today),
        as_of=as_of,
        past=past,
        as_of_available=features.summary_as_of() is not None,
        may_pick_date=may_pick_date,
        closing=_closing(request, principal, cycle_id),
    )


def _closing(request: Request, principal: Principal, cycle_id: UUID) -> UnfinishedReport | None:
    """The cycle's latest close and the reviews it left, for those who may read them (not
    analysts: it names people)."""
    try:
        return unfinished_report(get_container(request).projections.db, principal, cycle_id)
    except NotFound:
        return None


@router.get("/schools/{school_id}/cycles/{cycle_id}", response_class=HTMLResponse)
def school_cycle(
    request: Request,
    school_id: UUID,
    cycle_id: UUID,
    principal: SignedIn,
    db: Db,
    min_position: MinPosition = None,
    as_of: Annotated[Day, Query()] = None,
) -> Response:
    fresh = caught_up(request, min_position, "school_cycle_summary", "review_status")
    view = reads.school_summary(db, principal, school_id, cycle_id)
    reviews = reads.school_reviews(db, principal, school_id, cycle_id)
    may_pick_date = principal.role in PICK_DATE
    past = None
    if as_of is not None and may_pick_date:
        past = features.school_summary_on(db, school_id, cycle_id, as_of)
    shown = past.view if past is not None and past.view is not None else view
    today = as_of if shown is not view and as_of is not None else date.today()
    return page(
        request,
        "school_cycle.html",
        principal,
        summary=shown,
        overdue=shown.overdue(today),
        reviews=[(r, reads.overdue_of(r)) for r in reviews],
        fresh=fresh,
        charts=_summary_charts([shown], today),
        as_of=as_of,
        past=past,
        as_of_available=features.summary_as_of() is not None,
        may_pick_date=may_pick_date,
    )


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
def review(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    db: Db,
    min_position: MinPosition = None,
    # What the "chase now" form says back (web/reminders.py).
    chased: Annotated[str | None, Query(max_length=50)] = None,
    chase_error: Annotated[str | None, Query(alias="chase-error", max_length=300)] = None,
    template: Annotated[UUID | None, Query()] = None,
) -> Response:
    fresh = caught_up(request, min_position, "review_status", "objective_current")
    view = reads.review(db, principal, review_id)
    templates = framework_view.templates(db, view.trust_id)
    chosen = next((t for t in templates if t.template_id == template), None)
    draft = None
    if chosen is not None:
        # The trust's template fills the draft form; the person then edits and submits it.
        values = {
            "title": chosen.title,
            "description": chosen.description,
            "success_criteria": "\n".join(chosen.success_criteria),
        }
        draft = {"key": str(uuid4()), "values": values, "errors": {}, "error": None}
    context = review_forms(view, reads.review_objectives(db, review_id), principal, draft=draft)
    return page(
        request,
        "review.html",
        principal,
        fresh=fresh,
        templates=templates,
        **context,
        **reminders.review_context(request, view, principal),
        chased=chased,
        chase_error=chase_error,
    )


@router.get("/objectives/{objective_id}", response_class=HTMLResponse)
def objective(
    request: Request,
    objective_id: UUID,
    principal: SignedIn,
    db: Db,
    min_position: MinPosition = None,
) -> Response:
    fresh = caught_up(request, min_position, "objective_current", "objective_revisions")
    view = reads.objective(db, principal, objective_id)
    return page(
        request,
        "objective.html",
        principal,
        objective=view,
        timeline=reads.timeline(db, objective_id),
        progress=objective_progress(db, objective_id),
        fresh=fresh,
    )


def _verifier(principal: Principal) -> None:
    # As GET /v1/audit/verify: auditors and administrators of a trust.
    if principal.trust_id is None or principal.role not in VERIFIERS:
        raise PageNotFound


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, principal: SignedIn) -> Response:
    _verifier(principal)
    return page(request, "audit.html", principal, result=None)


@router.post("/audit/verification", response_class=HTMLResponse)
def run_verification(request: Request, principal: SignedIn, db: Db) -> Response:
    check_same_origin(request)
    _verifier(principal)
    # The API's own verification: the same check, and another trust's finding is redacted.
    result = verify_audit_log(get_container(request), db, principal)
    return page(request, "audit.html", principal, result=result)
