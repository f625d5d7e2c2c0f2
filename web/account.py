"""A person's own account page: who they act as, their sessions, their personal API tokens.

From here a person switches the role they act in (when they hold several), signs out one
session or all of them, and creates (shown once), lists and revokes personal API tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.identity.tokens import TokenScope
from api.me import NewToken
from web.render import PageNotFound, page
from web.session import (
    SignedInAs,
    check_same_origin,
    clear_session_cookie,
    identity_of,
    signed_in,
)

router = APIRouter(include_in_schema=False)
Current = Annotated[SignedInAs, Depends(signed_in)]


def _person_id(current: SignedInAs) -> UUID:
    if current.standing is None:  # a development token: no person, nothing of their own
        raise PageNotFound
    return current.standing.person.id


def _account(request: Request, current: SignedInAs, **extra: Any) -> HTMLResponse:
    person = _person_id(current)
    identity = identity_of(request)
    assert current.standing is not None
    return page(
        request,
        "account.html",
        current.principal,
        person=current.standing.person,
        roles=current.standing.roles,
        sessions=identity.sessions.of_person(person),
        this_session=current.session.public_id,
        tokens=identity.tokens.of_person(person),
        scopes=list(TokenScope),
        **extra,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, current: Current) -> Response:
    return _account(request, current, new_token=None, token_errors={})


@router.post("/account/role")
def act_as(request: Request, current: Current, role: Annotated[str, Form()] = "") -> Response:
    check_same_origin(request)
    _person_id(current)
    assert current.standing is not None
    chosen = next((r for r in current.standing.roles if r.value == role), None)
    if chosen is None:
        raise PageNotFound
    identity_of(request).sessions.act_as(current.session, chosen.value)
    return RedirectResponse("/home", status_code=303)


@router.post("/account/sessions/end")
def end_all(request: Request, current: Current) -> Response:
    """Sign out all my sessions (this one too)."""
    check_same_origin(request)
    identity_of(request).sessions.end_all(_person_id(current))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.post("/account/sessions/{public_id}/end")
def end_one(request: Request, current: Current, public_id: str) -> Response:
    check_same_origin(request)
    if not identity_of(request).sessions.end_one(_person_id(current), public_id[:32]):
        raise PageNotFound
    if public_id == current.session.public_id:
        response = RedirectResponse("/", status_code=303)
        clear_session_cookie(request, response)
        return response
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    current: Current,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "read",
    expires_in_days: Annotated[str, Form()] = "90",
) -> Response:
    check_same_origin(request)
    person = _person_id(current)
    try:
        form = NewToken.model_validate(
            {"name": name, "scope": scope, "expires_in_days": expires_in_days}
        )
    except ValidationError as e:
        errors = {str(err["loc"][0]): str(err["msg"]) for err in e.errors() if err["loc"]}
        return _account(request, current, new_token=None, token_errors=errors, status_code=422)
    assert current.standing is not None
    secret, token = identity_of(request).tokens.create(
        person_id=person,
        trust_id=current.standing.person.trust_id,
        name=form.name,
        scope=form.scope,
        lifetime=timedelta(days=form.expires_in_days),
    )
    # Shown this once: the page is not cached and the token is stored only as a hash.
    response = _account(request, current, new_token=(token, secret), token_errors={})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, current: Current, token_id: UUID) -> Response:
    check_same_origin(request)
    if not identity_of(request).tokens.revoke(_person_id(current), token_id):
        raise PageNotFound
    return RedirectResponse("/account", status_code=303)
