"""The trust's access page: who holds which role (now, or at the end of a past day), every
grant and revocation with who and why; and for administrators, granting and revoking roles
and ending a person's sessions. Grants run as commands, like the API's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError, NotFound
from api.access import describe, school_names
from api.deps import get_container
from commands import messages as m
from commands.principal import Principal
from commands.read_policy import may_export_subject_access, may_read_audit_log
from commands.states import STAFF
from events.base import Role
from privacy.subject_access_service import produce
from projections import access as access_model
from web.render import PageNotFound, caught_up, page
from web.session import check_same_origin, current_principal, identity_of

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Principal, Depends(current_principal)]
GRANTABLE = [Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.AUDITOR, Role.ANALYST, Role.ADMIN]


def _trust(principal: Principal) -> UUID:
    if principal.trust_id is None or not may_read_audit_log(principal, principal.trust_id):
        raise PageNotFound
    return principal.trust_id


def _page(
    request: Request,
    principal: Principal,
    *,
    as_of: date | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    fresh: bool = True,
    ended: int | None = None,
    sar: tuple[str, str] | None = None,
) -> HTMLResponse:
    trust_id = _trust(principal)
    container = get_container(request)
    db = container.projections.db
    schools = school_names(container, trust_id)
    moment = datetime.combine(as_of + timedelta(days=1), time(), UTC) if as_of else None
    return page(
        request,
        "access.html",
        principal,
        grants=describe(db, access_model.grants_in_force(db, trust_id, moment), schools),
        history=describe(db, access_model.grant_history(db, trust_id, limit=200), schools),
        as_of=as_of,
        schools=sorted(schools.items(), key=lambda kv: kv[1]),
        roles=GRANTABLE,
        admin=principal.role is Role.ADMIN and not principal.read_only,
        form=form or {"key": str(uuid4()), "values": {}, "error": None},
        fresh=fresh,
        ended=ended,
        sar_email=sar[0] if sar else None,
        sar_error=sar[1] if sar else None,
        status_code=status_code,
    )


@router.get("/access", response_class=HTMLResponse)
def access_page(
    request: Request,
    principal: SignedIn,
    as_of: Annotated[date | None, Query()] = None,
    min_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ended: Annotated[int | None, Query(ge=0, le=10_000)] = None,
) -> Response:
    if as_of is not None and not date(2000, 1, 1) <= as_of <= date(2999, 12, 31):
        as_of = None
    fresh = caught_up(request, min_position, "access")
    return _page(request, principal, as_of=as_of, fresh=fresh, ended=ended)


def _admin(principal: Principal) -> None:
    _trust(principal)
    if principal.role is not Role.ADMIN:
        raise PageNotFound


def _run(request: Request, principal: Principal, command: m.Command, key: str) -> Response:
    container = get_container(request)
    result = container.commands.execute(command, principal, idempotency_key=key or None)
    return RedirectResponse(f"/access?min_position={result.position or 1}", status_code=303)


@router.post("/access/grants", response_class=HTMLResponse)
def grant(
    request: Request,
    principal: SignedIn,
    email: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    school_ids: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form(max_length=2000)] = "",
    key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_same_origin(request)
    _admin(principal)
    values = {"email": email, "role": role, "school_ids": school_ids or [], "reason": reason}
    db = get_container(request).projections.db
    people = [
        p for p in access_model.people_by_email(db, email) if p.trust_id == principal.trust_id
    ]
    try:
        if not people:
            raise DomainError(f"no one with the email address {email.strip()} is in this trust")
        command = m.GrantRole.model_validate(
            {
                "person_id": people[0].person_id,
                "role": role,
                "school_ids": school_ids or [],
                "reason": reason,
            }
        )
        return _run(request, principal, command, key)
    except ValidationError as e:
        error = "; ".join(f"{err['loc'][0]}: {err['msg']}" for err in e.errors() if err["loc"])
    except DomainError as e:
        error = e.message
    form = {"key": key or str(uuid4()), "values": values, "error": error}
    return _page(request, principal, form=form, status_code=422)


@router.post("/access/people/{person_id}/grants/{grant_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    principal: SignedIn,
    person_id: UUID,
    grant_id: UUID,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_same_origin(request)
    _admin(principal)
    try:
        command = m.RevokeRole(person_id=person_id, grant_id=grant_id, reason=reason)
        return _run(request, principal, command, "")
    except ValidationError:
        error = "give a reason (at least three characters) for revoking the role"
    except DomainError as e:
        error = e.message
    form = {"key": str(uuid4()), "values": {}, "error": error}
    return _page(request, principal, form=form, status_code=422)


@router.post("/access/people/{person_id}/sessions/end")
def end_sessions(request: Request, principal: SignedIn, person_id: UUID) -> Response:
    """An administrator ends every session of a person of their trust."""
    check_same_origin(request)
    _admin(principal)
    try:
        person = get_container(request).commands.states.get(STAFF, person_id, max_age=60.0)
    except NotFound:
        raise PageNotFound from None
    if person.trust_id != principal.trust_id:
        raise PageNotFound
    ended = identity_of(request).sessions.end_all(person_id)
    return RedirectResponse(f"/access?ended={ended}", status_code=303)


@router.post("/access/subject-access")
def subject_access(
    request: Request,
    principal: SignedIn,
    email: Annotated[str, Form(max_length=300)] = "",
    format: Annotated[Literal["json", "html", "pdf", "zip"], Form()] = "pdf",
) -> Response:
    """An administrator downloads a person's subject access export (recorded as an event)."""
    check_same_origin(request)
    _admin(principal)
    container = get_container(request)
    db = container.projections.db
    people = [
        p for p in access_model.people_by_email(db, email) if p.trust_id == principal.trust_id
    ]
    if not people or not may_export_subject_access(principal, people[0].trust_id):
        error = f"no one with the email address {email.strip()} is in this trust"
        return _page(request, principal, sar=(email, error), status_code=422)
    # The export reads the log to its head; its names and rows should be as current.
    container.projections.wait_for(
        container.projections.head(), timeout=container.settings.read_your_writes_timeout
    )
    blobs = container.evidence.blobs if container.evidence is not None else None
    produced = produce(db, container.commands, principal, people[0].person_id, format, blobs=blobs)
    return Response(
        produced.content,
        media_type=produced.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{produced.filename}"',
            "Cache-Control": "no-store",
        },
    )
