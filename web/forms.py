"""The forms staff use on their review: draft an objective and record progress.

Each form carries an idempotency key made when it was rendered, so a double submit or a retry
records nothing twice; it posts through ``CommandService`` like the API, and a refusal (a
validation error or a broken rule) is shown beside the form it came from.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.deps import get_container
from commands import messages as m
from commands.principal import Principal
from projections.objective_current import ObjectiveView
from projections.review_status import ReviewView
from web import reads
from web.render import page
from web.session import check_same_origin, current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
PROGRESSING = frozenset({"agreed", "set_without_agreement"})
AGREEING = frozenset({"draft", "awaiting_agreement"})


def _is_party(view: ReviewView, principal: Principal) -> bool:
    return principal.id in (view.appraisee_id, view.appraiser_id)


def _may_agree(o: ObjectiveView, view: ReviewView, principal: Principal) -> bool:
    if o.status not in AGREEING:
        return False
    if principal.id == view.appraisee_id:
        return not o.agreed_by_appraisee
    return not o.agreed_by_appraiser


def review_forms(
    view: ReviewView,
    objectives: list[ObjectiveView],
    principal: Principal,
    *,
    draft: dict[str, Any] | None = None,
    progress: dict[UUID, Any] | None = None,
) -> dict[str, Any]:
    """The review page's context: the review, its objectives and the forms this person may use
    (``draft``/``progress`` carry the values and errors of a refused submission)."""
    party = _is_party(view, principal)
    return {
        "review": view,
        "overdue": reads.overdue_of(view),
        "objectives": objectives,
        "may_draft": party and view.stage != "complete",
        "progress_for": {o.objective_id for o in objectives if party and o.status in PROGRESSING},
        "agree_for": {
            o.objective_id for o in objectives if party and _may_agree(o, view, principal)
        },
        "draft": draft or {"key": str(uuid4()), "values": {}, "errors": {}, "error": None},
        "progress": progress or {},
        "progress_key": str(uuid4()),
    }


def _field_errors(e: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in e.errors():
        loc = err["loc"][0] if err["loc"] else "form"
        errors.setdefault(str(loc), str(err["msg"]))
    return errors


def _refused(
    request: Request,
    principal: Principal,
    review_id: UUID,
    **forms: Any,
) -> Response:
    db = get_container(request).projections.db
    view = reads.review(db, principal, review_id)
    context = review_forms(view, reads.review_objectives(db, review_id), principal, **forms)
    return page(request, "review.html", principal, fresh=True, status_code=422, **context)


@router.post("/reviews/{review_id}/objectives")
def draft_objective(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    idempotency_key: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    success_criteria: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    container = get_container(request)
    reads.review(container.projections.db, principal, review_id)  # 404 unless visible
    values = {
        "title": title,
        "description": description,
        "success_criteria": success_criteria,
        "due_date": due_date,
    }
    form: dict[str, Any] = {"key": idempotency_key, "values": values, "errors": {}, "error": None}
    try:
        command = m.DraftObjective(
            review_id=review_id,
            title=title,
            description=description,
            success_criteria=[c.strip() for c in success_criteria.splitlines() if c.strip()],
            due_date=date.fromisoformat(due_date) if due_date else None,
        )
    except ValueError as e:
        form["errors"] = (
            _field_errors(e)
            if isinstance(e, ValidationError)
            else {"due_date": "Enter a date like 2027-07-09"}
        )
        return _refused(request, principal, review_id, draft=form)
    try:
        result = container.commands.execute(command, principal, idempotency_key=idempotency_key)
    except DomainError as e:
        form["error"] = e.message
        return _refused(request, principal, review_id, draft=form)
    return RedirectResponse(f"/reviews/{review_id}?min_position={result.position}", 303)


@router.post("/objectives/{objective_id}/progress")
def record_progress(
    request: Request,
    objective_id: UUID,
    principal: SignedIn,
    idempotency_key: Annotated[str, Form()],
    percent: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    container = get_container(request)
    objective = reads.objective(container.projections.db, principal, objective_id)
    state: dict[str, Any] = {"values": {"percent": percent, "note": note}, "errors": {}}
    try:
        command = m.RecordProgress(
            objective_id=objective_id,
            percent=int(percent) if percent.strip().lstrip("-").isdigit() else percent,
            note=note,
        )
    except ValidationError as e:
        state["errors"] = _field_errors(e)
        return _refused(request, principal, objective.review_id, progress={objective_id: state})
    try:
        result = container.commands.execute(command, principal, idempotency_key=idempotency_key)
    except DomainError as e:
        state["error"] = e.message
        return _refused(request, principal, objective.review_id, progress={objective_id: state})
    return RedirectResponse(f"/reviews/{objective.review_id}?min_position={result.position}", 303)


@router.post("/objectives/{objective_id}/agreement")
def agree_objective(
    request: Request,
    objective_id: UUID,
    principal: SignedIn,
    idempotency_key: Annotated[str, Form()],
) -> Response:
    check_same_origin(request)
    container = get_container(request)
    objective = reads.objective(container.projections.db, principal, objective_id)
    command = m.AgreeObjective(objective_id=objective_id)
    try:
        result = container.commands.execute(command, principal, idempotency_key=idempotency_key)
    except DomainError as e:
        state = {"values": {}, "errors": {}, "error": e.message}
        return _refused(request, principal, objective.review_id, progress={objective_id: state})
    return RedirectResponse(f"/reviews/{objective.review_id}?min_position={result.position}", 303)
