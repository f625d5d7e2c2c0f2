"""Ending sessions: signing out revokes the caller's own token; an admin revokes another's.

A revoked token is refused by every process from the next request on (the revocation is in
the database, see api/security/revocation.py), and its use is recorded in the security log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from aggregates.errors import Forbidden, NotFound
from api.auth import InvalidToken, verify_claims
from api.deps import AppContainer, CurrentClaims, CurrentPrincipal, client_address
from api.schemas import PROBLEM_RESPONSES
from api.security.log import SecurityEventKind
from events.base import Role

router = APIRouter(prefix="/v1", tags=["sessions"], responses=PROBLEM_RESPONSES)


@router.delete("/session", status_code=204, summary="Sign out: revoke the token you send")
def sign_out(container: AppContainer, claims: CurrentClaims) -> Response:
    container.security.revocations.revoke(
        claims.jti, expires=claims.expires, by=claims.principal.id, reason="signed out", now=None
    )
    return Response(status_code=204)


class RevokeToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=1, max_length=4096)]
    reason: Annotated[str, Field(min_length=3, max_length=500)]


@router.post("/tokens/revocations", status_code=204, summary="An admin revokes someone's token")
def revoke_token(
    request: Request, body: RevokeToken, container: AppContainer, principal: CurrentPrincipal
) -> Response:
    if principal.role is not Role.ADMIN:
        raise Forbidden("only admins revoke other people's tokens")
    settings = container.settings
    try:
        claims = verify_claims(
            body.token,
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            max_ttl=timedelta(minutes=settings.jwt_max_ttl_minutes),
        )
    except InvalidToken:
        raise NotFound("there is no such token visible to you") from None
    target_trust = claims.principal.trust_id
    if not (principal.is_platform_admin or (target_trust and principal.trust_id == target_trust)):
        raise NotFound("there is no such token visible to you")
    container.security.revocations.revoke(
        claims.jti, expires=claims.expires, by=principal.id, reason=body.reason, now=None
    )
    container.security.log.record(
        SecurityEventKind.TOKEN_REVOKED,
        client=client_address(request),
        method=request.method,
        path=request.url.path,
        trust_id=claims.principal.trust_id,
        actor_id=principal.id,
        role=principal.role.value,
        detail=f"token {claims.jti} of {claims.principal.id}: {body.reason}",
    )
    return Response(status_code=204)
