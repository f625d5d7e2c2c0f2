"""The pay recommendation's pages: kept apart from the report and shown to its audience only
(the person, a leader of their school, the pay committee); 404 for everyone else."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from commands import development_messages as d
from commands.principal import Principal
from commands.read_policy import may_read_pay
from events.base import Role
from projections import pay_recommendations as pay
from projections import review_status
from projections.engine.db import Database
from projections.pay_recommendations import PayView
from web import reads
from web.development import (
    Key,
    MinPosition,
    Refused,
    SignedIn,
    act,
    db_of,
    names_for,
    pay_scope,
)
from web.render import PageNotFound, caught_up, page

router = APIRouter(include_in_schema=False)


def _back(principal: Principal, review_id: UUID, db: Database) -> str:
    """Where a pay form returns: the pay page for its audience, else the development page."""
    view = review_status.get_review(db, review_id)
    readable = view is not None and may_read_pay(principal, pay_scope(view))
    return "pay" if readable else "development"


def pay_context(
    db: Database, principal: Principal, review_id: UUID, error: str | None = None
) -> dict[str, Any]:
    review = review_status.get_review(db, review_id)
    if review is None or not may_read_pay(principal, pay_scope(review)):
        raise PageNotFound
    recommendation: PayView | None = pay.for_review(db, review_id)
    names = names_for(db, [review.appraisee_id])
    return {
        "review": review,
        "person_name": names.get(review.appraisee_id, ""),
        "recommendation": recommendation,
        "may_recommend": recommendation is None
        and review.report_issued_on is not None
        and principal.role is Role.SCHOOL_LEADER,
        "may_decide": recommendation is not None
        and recommendation.decision is None
        and principal.role is Role.PAY_COMMITTEE,
        "key": str(uuid4()),
        "today": date.today().isoformat(),
        "error": error,
    }


def _refused_on_pay(request: Request, principal: Principal, review_id: UUID) -> Refused:
    def show(db: Database, error: str) -> Response:
        context = pay_context(db, principal, review_id, error)
        return page(request, "pay.html", principal, status_code=422, **context)

    return show


@router.get("/reviews/{review_id}/pay", response_class=HTMLResponse)
def pay_page(
    request: Request, review_id: UUID, principal: SignedIn, min_position: MinPosition = None
) -> Response:
    fresh = caught_up(request, min_position, "pay_recommendations")
    return page(
        request,
        "pay.html",
        principal,
        fresh=fresh,
        **pay_context(db_of(request), principal, review_id),
    )


@router.post("/reviews/{review_id}/pay-recommendation")
def recommend_pay(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    recommendation: Annotated[str, Form()] = "",
    reasons: Annotated[str, Form()] = "",
) -> Response:
    db = db_of(request)
    reads.review(db, principal, review_id) if principal.role is Role.STAFF else pay_context(
        db, principal, review_id
    )
    back = _back(principal, review_id, db)
    return act(
        request,
        principal,
        review_id,
        idempotency_key,
        lambda: d.RecommendPay.model_validate(
            {"review_id": review_id, "recommendation": recommendation, "reasons": reasons}
        ),
        back=back,
        refused=_refused_on_pay(request, principal, review_id) if back == "pay" else None,
    )


@router.post("/reviews/{review_id}/pay-decision")
def record_pay_decision(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    decision: Annotated[str, Form()] = "",
    decided_on: Annotated[str, Form()] = "",
    rationale: Annotated[str, Form()] = "",
) -> Response:
    pay_context(db_of(request), principal, review_id)
    return act(
        request,
        principal,
        review_id,
        idempotency_key,
        lambda: d.RecordPayDecision.model_validate(
            {
                "review_id": review_id,
                "decision": decision,
                "decided_on": decided_on or None,
                "rationale": rationale,
            }
        ),
        back="pay",
        refused=_refused_on_pay(request, principal, review_id),
    )


@router.get("/pay", response_class=HTMLResponse)
def pay_list(request: Request, principal: SignedIn) -> Response:
    """The pay committee's list (a school leader sees their schools' recommendations)."""
    if principal.trust_id is None or principal.role not in (Role.PAY_COMMITTEE, Role.SCHOOL_LEADER):
        raise PageNotFound
    db = db_of(request)
    rows = [
        r
        for r in pay.for_trust(db, principal.trust_id)
        if principal.role is Role.PAY_COMMITTEE or r.school_id in principal.school_ids
    ]
    names = names_for(db, [r.appraisee_id for r in rows] + [r.school_id for r in rows])
    return page(request, "pay_list.html", principal, rows=rows, names=names)
