"""Access: roles granted and revoked (commands), who could see what when, ending sessions.

Granting and revoking are commands like any other (``GrantRole``, ``RevokeRole``): recorded
as events with who, when and why, so the audit log shows them. ``GET .../access`` answers
"who held which role in this trust, now or at a moment", with names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aggregates.errors import Forbidden, NotFound
from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.reading import MinPosition, ReadDb, fresh
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.messages import Reason
from commands.read_policy import may_read_audit_log
from commands.states import STAFF, TRUST
from events.base import Role
from projections import access as access_model

router = APIRouter(prefix="/v1", tags=["access"])


class GrantRoleBody(BaseModel):
    """Give a person a role: trust-wide, or for the schools named (school leaders)."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    school_ids: list[UUID] = Field(default_factory=list, max_length=100)
    reason: Reason


@router.post(
    "/people/{person_id}/roles",
    summary="Grant a person a role, trust-wide or for named schools (trust administrators)",
    description=m.GrantRole.__doc__,
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="GrantRole",
)
def grant_role(
    person_id: UUID,
    body: Annotated[
        GrantRoleBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "role": "school_leader",
                        "school_ids": ["7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f"],
                        "reason": "Appointed headteacher from September",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.GrantRole, body, status_code=201, person_id=person_id)


class RevokeRoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/people/{person_id}/roles/{grant_id}/revocation",
    summary="Revoke a role a person holds (trust administrators); effective on their next request",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RevokeRole",
)
def revoke_role(
    person_id: UUID,
    grant_id: UUID,
    body: Annotated[
        RevokeRoleBody,
        Body(openapi_examples={"example": {"value": {"reason": "Stepped down as headteacher"}}}),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RevokeRole, body, person_id=person_id, grant_id=grant_id)


class GrantOut(BaseModel):
    grant_id: UUID
    person_id: UUID
    person_name: str
    role: str
    school_ids: list[UUID]
    school_names: list[str]
    granted_at: datetime
    granted_by: UUID
    granted_by_name: str
    grant_reason: str
    revoked_at: datetime | None
    revoked_by: UUID | None
    revoked_by_name: str | None
    revoke_reason: str | None


class TrustAccess(BaseModel):
    trust_id: UUID
    as_of: datetime | None
    grants: list[GrantOut]


def describe(
    db: ReadDb, grants: list[access_model.GrantView], schools: dict[UUID, str]
) -> list[GrantOut]:
    people = access_model.names(
        db,
        {g.person_id for g in grants}
        | {g.granted_by for g in grants}
        | {g.revoked_by for g in grants if g.revoked_by},
    )

    def named(pid: UUID | None, role: str | None) -> str | None:
        if pid is None:
            return None
        if pid in people:
            return people[pid]
        kind = (role or "service").replace("_", " ")
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} account"

    return [
        GrantOut(
            grant_id=g.grant_id,
            person_id=g.person_id,
            person_name=people.get(g.person_id, "someone no longer known"),
            role=g.role,
            school_ids=[UUID(s) for s in g.school_ids],
            school_names=[schools.get(UUID(s), "a school") for s in g.school_ids],
            granted_at=g.granted_at,
            granted_by=g.granted_by,
            granted_by_name=named(g.granted_by, g.granted_by_role) or "",
            grant_reason=g.grant_reason,
            revoked_at=g.revoked_at,
            revoked_by=g.revoked_by,
            revoked_by_name=named(g.revoked_by, g.revoked_by_role),
            revoke_reason=g.revoke_reason,
        )
        for g in grants
    ]


def school_names(container: AppContainer, trust_id: UUID) -> dict[UUID, str]:
    try:
        trust = container.commands.states.get(TRUST, trust_id, max_age=60.0)
    except NotFound:
        return {}
    return dict(trust.schools)


def _auditable(principal: CurrentPrincipal, trust_id: UUID) -> None:
    if principal.trust_id is None and principal.role is not Role.ADMIN:
        raise NotFound("there is no such trust visible to you")
    if not may_read_audit_log(principal, trust_id):
        raise NotFound("there is no such trust visible to you")


@router.get(
    "/trusts/{trust_id}/access",
    summary="Who holds which role in the trust: now, or at a moment (?as_of=)",
    responses=PROBLEM_RESPONSES,
)
def trust_access(
    trust_id: UUID,
    principal: CurrentPrincipal,
    container: AppContainer,
    db: ReadDb,
    as_of: Annotated[AwareDatetime | None, Query(description="A moment (with its offset)")] = None,
    min_position: MinPosition = None,
) -> TrustAccess:
    _auditable(principal, trust_id)
    fresh(container, min_position, "access")
    grants = access_model.grants_in_force(db, trust_id, as_of)
    return TrustAccess(
        trust_id=trust_id,
        as_of=as_of,
        grants=describe(db, grants, school_names(container, trust_id)),
    )


@router.get(
    "/trusts/{trust_id}/access/history",
    summary="Every role granted in the trust, newest first, with its revocation",
    responses=PROBLEM_RESPONSES,
)
def trust_access_history(
    trust_id: UUID,
    principal: CurrentPrincipal,
    container: AppContainer,
    db: ReadDb,
    min_position: MinPosition = None,
) -> TrustAccess:
    _auditable(principal, trust_id)
    fresh(container, min_position, "access")
    grants = access_model.grant_history(db, trust_id)
    return TrustAccess(
        trust_id=trust_id,
        as_of=None,
        grants=describe(db, grants, school_names(container, trust_id)),
    )


class Ended(BaseModel):
    ended: int


@router.post(
    "/people/{person_id}/sessions/end",
    summary="End every dashboard session of a person (trust administrators)",
    responses=PROBLEM_RESPONSES,
)
def end_person_sessions(
    person_id: UUID, principal: CurrentPrincipal, container: AppContainer
) -> Ended:
    try:
        person = container.commands.states.get(STAFF, person_id, max_age=60.0)
    except NotFound:
        raise NotFound("there is no such person visible to you") from None
    if not principal.in_trust(person.trust_id) or principal.role is not Role.ADMIN:
        raise NotFound("there is no such person visible to you")
    if principal.read_only:
        raise Forbidden("this token is read-only: it may read, never change anything")
    assert container.identity is not None
    return Ended(ended=container.identity.sessions.end_all(person_id))
