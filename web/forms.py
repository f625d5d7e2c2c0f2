"""The review page's forms: what this person may do now on a review and its objectives.

Which forms show comes from ``web.actions`` (a dry run of each command through
``CommandService.check``). Each form carries an idempotency key made when it was rendered, so
a double submit or a retry records nothing twice; it posts through ``CommandService`` like the
API. A refusal is shown beside the form it came from (422), a command the person may not run
on this record answers 404, as if the record did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError, Forbidden, NotFound
from api.deps import get_container
from commands.principal import Principal
from projections import directory, framework_view, review_status
from projections.engine.db import Database
from projections.objective_current import ObjectiveView
from projections.review_status import ReviewView
from web import actions, reads, reminders, school_reviews
from web.actions import Action, FormState, On
from web.render import PageNotFound, page
from web.session import check_same_origin, current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
MAX_FORM_FIELDS = 40
MAX_FIELD_LENGTH = 20_000


@dataclass
class Offer:
    """One form on the page: its action, the record it acts on, and its state."""

    action: Action
    target: UUID
    form: FormState
    subject: str = ""
    # The people a "person" field offers (value, name).
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def dom_id(self) -> str:
        suffix = "" if self.action.on == "review" else f"-{str(self.target)[:8]}"
        return f"{self.action.key}{suffix}"

    @property
    def url(self) -> str:
        base = "reviews" if self.action.on == "review" else "objectives"
        return f"/{base}/{self.target}/actions/{self.action.key}"


@dataclass
class Offers:
    review: list[Offer] = field(default_factory=list)
    objectives: dict[UUID, list[Offer]] = field(default_factory=dict)


def _current_values(o: ObjectiveView) -> dict[str, str]:
    return {
        "title": o.title,
        "description": o.description,
        "success_criteria": "\n".join(o.success_criteria),
        "due_date": o.due_date.isoformat() if o.due_date else "",
    }


def offers_for(
    request: Request,
    principal: Principal,
    view: ReviewView,
    objectives: list[ObjectiveView],
    *,
    refused: Offer | None = None,
    draft: dict[str, str] | None = None,
) -> Offers:
    """Every form this person may use now (``refused`` keeps a refused form's values and
    errors; ``draft`` pre-fills the draft form from a template)."""
    container = get_container(request)
    cycle = directory.get_cycle(container.projections.db, view.cycle_id)
    if cycle is None:  # pragma: no cover - a review's cycle is in the directory
        return Offers()
    school = view.current_school_id or view.school_id
    colleagues = tuple(
        (str(p.staff_id), p.display_name)
        for p in school_reviews.staff_of(request, view.trust_id, school)
        if p.staff_id not in (view.appraisee_id, view.appraiser_id)
    )
    someone = UUID(colleagues[0][0]) if colleagues else None
    db = container.projections.db
    later = []  # the appraisee's reviews in the cycles after this one
    for other in review_status.reviews_for_appraisee(db, view.appraisee_id):
        other_cycle = directory.get_cycle(db, other.cycle_id)
        if other_cycle is not None and other_cycle.start_date > cycle.start_date:
            later.append((other, other_cycle))
    later.sort(key=lambda pair: pair[1].start_date)
    reviews = tuple((str(r.review_id), f"Cycle {c.name}") for r, c in later)
    next_review = later[0][0].review_id if later else None
    next_due = None
    if later:
        first = later[0][1]
        next_due = min(first.start_date + timedelta(days=60), first.end_date)
    today = date.today()
    probe = actions.Probe(cycle.start_date, cycle.end_date, today, someone, next_review, next_due)
    key = str(uuid4())
    choices_of = {"person": colleagues, "review": reviews}

    def offer(action: Action, target: UUID, values: dict[str, str], subject: str) -> Offer | None:
        choices: tuple[tuple[str, str], ...] = ()
        for f in action.fields:
            choices = choices_of.get(f.kind, choices)
        if refused is not None and (refused.action, refused.target) == (action, target):
            refused.choices = choices
            return refused
        command = actions.probe_command(action, target, probe)
        if command is None or container.commands.check(command, principal) is not None:
            return None
        form = FormState(f"{key}-{action.key}", dict(values))
        return Offer(action, target, form, subject, choices)

    out = Offers()
    for action in actions.REVIEW_ACTIONS:
        values = (draft or {}) if action.key == "draft" else {}
        if (made := offer(action, view.review_id, values, "")) is not None:
            out.review.append(made)
    for o in objectives:
        mine = []
        for action in actions.OBJECTIVE_ACTIONS:
            values = _current_values(o) if action.key == "revise" else {}
            if (made := offer(action, o.objective_id, values, o.title)) is not None:
                mine.append(made)
        out.objectives[o.objective_id] = mine
    return out


def review_context(
    request: Request,
    principal: Principal,
    view: ReviewView,
    *,
    refused: Offer | None = None,
    draft: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the review page shows: the review, its objectives and this person's forms."""
    db: Database = get_container(request).projections.db
    objectives = reads.review_objectives(db, view.review_id)
    return {
        "review": view,
        "overdue": reads.overdue_of(view),
        "objectives": objectives,
        "offers": offers_for(request, principal, view, objectives, refused=refused, draft=draft),
        "templates": framework_view.templates(db, view.trust_id),
        **reminders.review_context(request, view, principal),
    }


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    values: dict[str, str] = {}
    for k, v in form.items():
        if not isinstance(v, str) or len(v) > MAX_FIELD_LENGTH:
            raise PageNotFound
        values[k] = v
    return values


def _run(
    request: Request,
    principal: Principal,
    action: Action,
    target: UUID,
    view: ReviewView,
    values: dict[str, str],
    *,
    subject: str = "",
    only: set[str] | None = None,
) -> Response:
    container = get_container(request)
    key = values.get("idempotency_key", "")
    if not 8 <= len(key) <= 200:
        raise PageNotFound
    shown = {f.name: values.get(f.name, "") for f in action.fields}
    state = FormState(key, shown)
    try:
        command = actions.parse(action, target, values, only=only)
    except ValidationError as e:
        state.errors, state.error = actions.field_errors(e, action)
        state.error = state.error or "Not recorded: check the fields marked below."
        return _refused(request, principal, view, Offer(action, target, state, subject))
    try:
        result = container.commands.execute(command, principal, idempotency_key=key)
    except (Forbidden, NotFound):
        raise PageNotFound from None
    except DomainError as e:
        state.errors, state.error = actions.refusal(e, action)
        return _refused(request, principal, view, Offer(action, target, state, subject))
    query: dict[str, str] = {"min_position": str(result.position or 1), "done": action.key}
    if action.on == "objective":
        query["objective"] = str(target)
    return RedirectResponse(f"/reviews/{view.review_id}?{urlencode(query)}", 303)


def _refused(request: Request, principal: Principal, view: ReviewView, offer: Offer) -> Response:
    context = review_context(request, principal, view, refused=offer)
    return page(request, "review.html", principal, fresh=True, status_code=422, **context)


def _action(on: On, key: str) -> Action:
    action = actions.BY_KEY.get((on, key))
    if action is None:
        raise PageNotFound
    return action


def _on_review(
    request: Request, principal: Principal, review_id: UUID, key: str, values: dict[str, str]
) -> Response:
    action = _action("review", key)
    view = reads.review(get_container(request).projections.db, principal, review_id)
    return _run(request, principal, action, review_id, view, values)


def _on_objective(
    request: Request, principal: Principal, objective_id: UUID, key: str, values: dict[str, str]
) -> Response:
    action = _action("objective", key)
    db = get_container(request).projections.db
    objective = reads.objective(db, principal, objective_id)
    view = reads.review(db, principal, objective.review_id)
    only = None
    if action.key == "revise":
        only = set(actions.revision_changes(values, _current_values(objective)))
    return _run(
        request, principal, action, objective_id, view, values, subject=objective.title, only=only
    )


# The form is read asynchronously; the reads and the command (blocking) run in the pool.
@router.post("/reviews/{review_id}/actions/{key}")
async def review_action(
    request: Request, review_id: UUID, key: str, principal: SignedIn
) -> Response:
    check_same_origin(request)
    values = await _form(request)
    return await run_in_threadpool(_on_review, request, principal, review_id, key, values)


@router.post("/objectives/{objective_id}/actions/{key}")
async def objective_action(
    request: Request, objective_id: UUID, key: str, principal: SignedIn
) -> Response:
    check_same_origin(request)
    values = await _form(request)
    return await run_in_threadpool(_on_objective, request, principal, objective_id, key, values)
