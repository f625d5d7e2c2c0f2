"""The dashboard's pages for the work around an appraisal: a review's CPD, evidence and
observations (with their forms), and the trust's CPD, standards-focus and outcomes-by-scale
view. The pay recommendation has its own pages (``web/pay.py``).

Every form posts through the same command service, policy and idempotency as the API; a
refusal is shown on the page it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID, uuid4

from anyio.to_thread import run_sync
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.deps import get_container
from api.reading import request_db
from blobstore import BlobMissing
from commands import development_messages as d
from commands.messages import Command
from commands.principal import Principal
from commands.read_policy import ReadScope, may_read_pay, may_read_summary
from commands.service import CommandResult
from events.base import Role
from events.evidence import EvidenceSubject
from events.standards import TITLES
from projections import cpd_log, evidence_list, framework_view, observation_log
from projections.cpd_summary import trust_cpd
from projections.engine.db import Database
from projections.names import names_of
from projections.review_status import ReviewView
from web import reads
from web.render import PageNotFound, caught_up, page
from web.session import check_same_origin, current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
MinPosition = Annotated[int | None, Query(ge=1)]
Key = Annotated[str, Form(min_length=1, max_length=200)]
LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMIN})


def db_of(request: Request) -> Database:
    return request_db(request, get_container(request))


def names_for(db: Database, ids: list[UUID]) -> dict[UUID, str]:
    return names_of(db, cpd_log.NAMES, ids)


def _message(e: ValidationError) -> str:
    fields = sorted({str(err["loc"][0]) for err in e.errors() if err["loc"]})
    return "Check these fields: " + ", ".join(f.replace("_", " ") for f in fields)


# A review's development page ----------------------------------------------------------------


def development_context(
    db: Database, principal: Principal, view: ReviewView, error: str | None = None
) -> dict[str, Any]:
    objectives = reads.review_objectives(db, view.review_id)
    activities = [
        a for a in cpd_log.person_log(db, view.appraisee_id) if a.review_id == view.review_id
    ]
    observations = [
        o
        for o in observation_log.observations_of(db, view.appraisee_id, view.cycle_id)
        if o.review_id == view.review_id
    ]
    party = principal.id in (view.appraisee_id, view.appraiser_id)
    leader = principal.role in LEADERS
    names = names_for(
        db, [view.appraisee_id, view.appraiser_id, *(o.observer_id for o in observations)]
    )
    return {
        "review": view,
        "names": names,
        "objectives": objectives,
        "titles": {str(o.objective_id): o.title for o in objectives},
        "activities": activities,
        "observations": observations,
        "evidence": {
            o.objective_id: evidence_list.evidence_for(db, o.objective_id) for o in objectives
        },
        "standards": TITLES,
        "is_appraisee": principal.id == view.appraisee_id,
        "may_plan": party or leader,
        "may_attach": party,
        "may_observe": principal.id != view.appraisee_id
        and (principal.id == view.appraiser_id or leader),
        "pay_visible": may_read_pay(principal, pay_scope(view)),
        # The appraiser records the recommendation but is not among those who read it.
        "may_recommend": principal.id == view.appraiser_id and view.report_issued_on is not None,
        "key": str(uuid4()),
        "today": date.today().isoformat(),
        "error": error,
    }


def pay_scope(view: ReviewView) -> ReadScope:
    return ReadScope(
        trust_id=view.trust_id,
        school_ids=frozenset({view.current_school_id}),
        people=frozenset({view.appraisee_id}),
    )


@router.get("/reviews/{review_id}/development", response_class=HTMLResponse)
def development(
    request: Request, review_id: UUID, principal: SignedIn, min_position: MinPosition = None
) -> Response:
    fresh = caught_up(request, min_position, "cpd_log", "observation_log", "evidence_list")
    db = db_of(request)
    view = reads.review(db, principal, review_id)
    return page(
        request,
        "development.html",
        principal,
        fresh=fresh,
        **development_context(db, principal, view),
    )


# Renders the page a refused form came from, with the refusal: (database, message) -> page.
Refused = Callable[[Database, str], Response]


def act(
    request: Request,
    principal: Principal,
    review_id: UUID,
    key: str,
    build: Callable[[], Command],
    *,
    back: str = "development",
    refused: Refused | None = None,
) -> Response:
    """Run a form's command; back to the page on success, the page with the refusal if not.

    A refusal is shown on this module's development page unless ``refused`` renders another
    (the pay pages pass theirs: they build on this module, not it on them)."""
    check_same_origin(request)
    container = get_container(request)
    db = container.projections.db
    show = refused or _refused_on_development(request, principal, review_id)
    try:
        result = container.commands.execute(build(), principal, idempotency_key=key)
    except ValidationError as e:
        return show(db, _message(e))
    except DomainError as e:
        return show(db, e.message)
    return RedirectResponse(f"/reviews/{review_id}/{back}?min_position={result.position}", 303)


def _refused_on_development(request: Request, principal: Principal, review_id: UUID) -> Refused:
    def show(db: Database, error: str) -> Response:
        view = reads.review(db, principal, review_id)
        context = development_context(db, principal, view, error)
        return page(request, "development.html", principal, status_code=422, fresh=True, **context)

    return show


def _optional_number(value: str) -> str | None:
    return value.strip() or None


@router.post("/reviews/{review_id}/cpd")
def plan_cpd(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    title: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "course",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
    cost_pounds: Annotated[str, Form()] = "0",
    objective_ids: Annotated[list[str] | None, Form()] = None,
    development_need: Annotated[str, Form()] = "",
) -> Response:
    def build() -> Command:
        pence = (
            round(float(cost_pounds or "0") * 100)
            if cost_pounds.replace(".", "", 1).isdigit()
            else cost_pounds
        )
        return d.PlanCpd.model_validate(
            {
                "review_id": review_id,
                "title": title,
                "provider": provider,
                "kind": kind,
                "starts_on": starts_on or None,
                "ends_on": ends_on or starts_on or None,
                "hours": hours or None,
                "cost_pence": pence,
                "objective_ids": objective_ids or [],
                "development_needs": [development_need] if development_need.strip() else [],
            }
        )

    return act(request, principal, review_id, idempotency_key, build)


def _activity_review(request: Request, principal: Principal, activity_id: UUID) -> UUID:
    a = cpd_log.get_activity(db_of(request), activity_id)
    if a is None:
        raise PageNotFound
    reads.review(db_of(request), principal, a.review_id)
    return a.review_id


@router.post("/cpd/{activity_id}/completion")
def complete_cpd(
    request: Request,
    activity_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    completed_on: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
) -> Response:
    review_id = _activity_review(request, principal, activity_id)
    return act(
        request,
        principal,
        review_id,
        idempotency_key,
        lambda: d.CompleteCpd.model_validate(
            {
                "activity_id": activity_id,
                "completed_on": completed_on or None,
                "hours": _optional_number(hours),
            }
        ),
    )


@router.post("/cpd/{activity_id}/reflection")
def reflect_on_cpd(
    request: Request,
    activity_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    reflection: Annotated[str, Form()] = "",
    impact: Annotated[str, Form()] = "",
) -> Response:
    review_id = _activity_review(request, principal, activity_id)
    return act(
        request,
        principal,
        review_id,
        idempotency_key,
        lambda: d.ReflectOnCpd.model_validate(
            {"activity_id": activity_id, "reflection": reflection, "impact": impact}
        ),
    )


@router.post("/reviews/{review_id}/observations")
def record_observation(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    kind: Annotated[str, Form()] = "lesson_observation",
    held_on: Annotated[str, Form()] = "",
    context: Annotated[str, Form()] = "",
    focus_standards: Annotated[list[str] | None, Form()] = None,
    strengths: Annotated[str, Form()] = "",
    areas_to_develop: Annotated[str, Form()] = "",
) -> Response:
    return act(
        request,
        principal,
        review_id,
        idempotency_key,
        lambda: d.RecordObservation.model_validate(
            {
                "review_id": review_id,
                "kind": kind,
                "held_on": held_on or None,
                "context": context,
                "focus_standards": focus_standards or [],
                "strengths": strengths,
                "areas_to_develop": areas_to_develop,
            }
        ),
    )


@router.post("/observations/{observation_id}/response")
def respond_to_observation(
    request: Request,
    observation_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    comment: Annotated[str, Form()] = "",
) -> Response:
    o = observation_log.get_observation(db_of(request), observation_id)
    if o is None:
        raise PageNotFound
    reads.review(db_of(request), principal, o.review_id)
    return act(
        request,
        principal,
        o.review_id,
        idempotency_key,
        lambda: d.CommentOnObservation.model_validate(
            {"observation_id": observation_id, "comment": comment}
        ),
    )


@router.post("/objectives/{objective_id}/evidence")
async def attach_evidence(
    request: Request,
    objective_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_same_origin(request)
    container = get_container(request)
    db = container.projections.db
    objective = reads.objective(db, principal, objective_id)
    files = container.evidence
    assert files is not None
    data = await file.read(files.max_bytes + 1)

    def attach() -> CommandResult:
        return files.attach(
            principal,
            subject=EvidenceSubject.OBJECTIVE,
            subject_id=objective_id,
            filename=file.filename or "",
            data=data,
            title=title,
            idempotency_key=idempotency_key,
        )

    try:
        result = await run_sync(attach)
    except DomainError as e:
        message = e.message
        return await run_sync(
            lambda: _refused_on_development(request, principal, objective.review_id)(db, message)
        )
    return RedirectResponse(
        f"/reviews/{objective.review_id}/development?min_position={result.position}", 303
    )


def _evidence_of(
    request: Request, principal: Principal, evidence_id: UUID
) -> evidence_list.EvidenceView:
    db = db_of(request)
    view = evidence_list.get_evidence(db, evidence_id)
    if view is None or view.subject != EvidenceSubject.OBJECTIVE:
        raise PageNotFound
    reads.objective(db, principal, view.subject_id)  # the objective's read policy
    return view


@router.get("/evidence/{evidence_id}/download")
def download_evidence(request: Request, evidence_id: UUID, principal: SignedIn) -> Response:
    view = _evidence_of(request, principal, evidence_id)
    files = get_container(request).evidence
    if files is None or view.removed or not view.is_file or view.sha256 is None:
        raise PageNotFound
    try:
        data = files.read(view.evidence_id, view.sha256)
    except BlobMissing:
        raise PageNotFound from None
    name = view.filename or "evidence"
    return Response(
        data,
        media_type=view.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/evidence/{evidence_id}/removal")
def remove_evidence(
    request: Request,
    evidence_id: UUID,
    principal: SignedIn,
    idempotency_key: Key,
    reason: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    view = _evidence_of(request, principal, evidence_id)
    container = get_container(request)
    db = container.projections.db
    objective = reads.objective(db, principal, view.subject_id)
    assert container.evidence is not None
    try:
        if len(reason.strip()) < 3:
            raise ValueError
        result = container.evidence.remove(
            principal, evidence_id, reason, idempotency_key=idempotency_key
        )
    except ValueError:
        return _refused_on_development(request, principal, objective.review_id)(
            db, "Give a reason for removing it"
        )
    except DomainError as e:
        return _refused_on_development(request, principal, objective.review_id)(db, e.message)
    return RedirectResponse(
        f"/reviews/{objective.review_id}/development?min_position={result.position}", 303
    )


# The trust's development view ------------------------------------------------------------


@router.get("/trusts/{trust_id}/cycles/{cycle_id}/development", response_class=HTMLResponse)
def trust_development(
    request: Request, trust_id: UUID, cycle_id: UUID, principal: SignedIn
) -> Response:
    if not may_read_summary(principal, trust_id):
        raise PageNotFound
    db = db_of(request)
    return page(
        request,
        "trust_development.html",
        principal,
        cpd=trust_cpd(db, trust_id, cycle_id),
        focus=observation_log.standards_focus(db, trust_id, cycle_id),
        outcomes=framework_view.cycle_outcomes(db, trust_id, cycle_id),
        templates=framework_view.templates(db, trust_id),
    )


@router.get("/schools/{school_id}/cycles/{cycle_id}/development", response_class=HTMLResponse)
def school_development(
    request: Request, school_id: UUID, cycle_id: UUID, principal: SignedIn
) -> Response:
    """The same view for one school, for its leaders (and whoever reads the trust's)."""
    trust_id = principal.trust_id
    if trust_id is None or not may_read_summary(principal, trust_id, school_id):
        raise PageNotFound
    db = db_of(request)
    only = {school_id}
    return page(
        request,
        "trust_development.html",
        principal,
        cpd=trust_cpd(db, trust_id, cycle_id, school_ids=only),
        focus=observation_log.standards_focus(db, trust_id, cycle_id, school_ids=only),
        outcomes=framework_view.cycle_outcomes(db, trust_id, cycle_id, school_ids=only),
        templates=framework_view.templates(db, trust_id),
        school=True,
    )
