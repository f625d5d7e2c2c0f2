"""The signed-in person: who they are acting as, their sessions and personal API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from aggregates.errors import Forbidden, NotFound
from aggregates.staff import StaffMember
from api.deps import AppContainer, CurrentPrincipal
from api.identity.sessions import Session
from api.identity.tokens import PersonalToken, TokenScope
from api.schemas import PROBLEM_RESPONSES
from commands.principal import Principal
from commands.states import STAFF

router = APIRouter(prefix="/v1/me", tags=["me"])


class Me(BaseModel):
    id: UUID
    name: str | None
    role: str
    trust_id: UUID | None
    school_ids: list[UUID]
    read_only: bool


class SessionOut(BaseModel):
    id: str
    method: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str


class TokenOut(BaseModel):
    id: UUID
    name: str
    scope: TokenScope
    hint: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewToken(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scope: TokenScope = TokenScope.READ
    expires_in_days: int = Field(default=90, ge=1, le=366)


class CreatedToken(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again")


class Ended(BaseModel):
    ended: int


def session_out(s: Session) -> SessionOut:
    return SessionOut(
        id=s.public_id,
        method=s.method,
        created_at=s.created_at,
        last_seen_at=s.last_seen_at,
        expires_at=s.expires_at,
        user_agent=s.user_agent,
    )


def token_out(t: PersonalToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        name=t.name,
        scope=t.scope,
        hint=t.hint,
        created_at=t.created_at,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
        last_used_at=t.last_used_at,
    )


def _person_or_none(container: AppContainer, principal: Principal) -> StaffMember | None:
    try:
        return _person(container, principal)
    except NotFound:
        return None


def _person(container: AppContainer, principal: Principal) -> StaffMember:
    """The person signed in (read from the log, so a person registered a moment ago is
    found); a principal that is not a person of the trust has no sessions or tokens."""
    try:
        person = container.commands.states.get(STAFF, principal.id, max_age=60.0)
    except NotFound:
        person = None
    if person is None or principal.trust_id != person.trust_id:
        raise NotFound("sessions and personal tokens belong to people of a trust's directory")
    return person


@router.get("", summary="Who you are signed in as", responses=PROBLEM_RESPONSES)
def me(principal: CurrentPrincipal, container: AppContainer) -> Me:
    try:
        person: StaffMember | None = container.commands.states.get(
            STAFF, principal.id, max_age=60.0
        )
    except NotFound:
        person = None
    return Me(
        id=principal.id,
        name=person.name if person else None,
        role=principal.role.value,
        trust_id=principal.trust_id,
        school_ids=sorted(principal.school_ids, key=str),
        read_only=principal.read_only,
    )


@router.get("/sessions", summary="Your dashboard sessions", responses=PROBLEM_RESPONSES)
def my_sessions(principal: CurrentPrincipal, container: AppContainer) -> list[SessionOut]:
    """Empty for a principal that is not a person of the directory (they have none)."""
    person = _person_or_none(container, principal)
    assert container.identity is not None
    if person is None:
        return []
    return [session_out(s) for s in container.identity.sessions.of_person(person.id)]


@router.post(
    "/sessions/end", summary="Sign out all your dashboard sessions", responses=PROBLEM_RESPONSES
)
def end_my_sessions(principal: CurrentPrincipal, container: AppContainer) -> Ended:
    person = _person(container, principal)
    assert container.identity is not None
    return Ended(ended=container.identity.sessions.end_all(person.id))


@router.get("/tokens", summary="Your personal API tokens", responses=PROBLEM_RESPONSES)
def my_tokens(principal: CurrentPrincipal, container: AppContainer) -> list[TokenOut]:
    person = _person_or_none(container, principal)
    assert container.identity is not None
    if person is None:
        return []
    return [token_out(t) for t in container.identity.tokens.of_person(person.id)]


@router.post(
    "/tokens",
    status_code=201,
    summary="Create a personal API token (shown once)",
    responses=PROBLEM_RESPONSES,
)
def create_my_token(
    body: NewToken, principal: CurrentPrincipal, container: AppContainer
) -> CreatedToken:
    person = _person(container, principal)
    if principal.read_only:
        raise Forbidden("a read-only token cannot create tokens")
    assert container.identity is not None
    secret, token = container.identity.tokens.create(
        person_id=person.id,
        trust_id=person.trust_id,
        name=body.name,
        scope=body.scope,
        lifetime=timedelta(days=body.expires_in_days),
    )
    return CreatedToken(token=secret, **token_out(token).model_dump())


@router.post(
    "/tokens/{token_id}/revocation",
    summary="Revoke one of your personal API tokens",
    responses=PROBLEM_RESPONSES,
)
def revoke_my_token(
    token_id: UUID, principal: CurrentPrincipal, container: AppContainer
) -> TokenOut:
    person = _person(container, principal)
    assert container.identity is not None
    tokens = container.identity.tokens
    if not tokens.revoke(person.id, token_id):
        raise NotFound("you have no such token in use")
    return next(token_out(t) for t in tokens.of_person(person.id) if t.id == token_id)
