"""Bearer JWTs: minting (for the CLI and tests) and verifying them into a ``Principal``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from commands.principal import Principal
from events.base import Role

ALGORITHM = "HS256"
LEADER_ROLES = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER})


class InvalidToken(Exception):
    pass


def mint_token(
    principal: Principal,
    *,
    secret: str,
    issuer: str,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": str(principal.id),
        "role": principal.role.value,
        "iss": issuer,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if principal.trust_id is not None:
        claims["trust"] = str(principal.trust_id)
    if principal.school_ids:
        claims["schools"] = sorted(str(s) for s in principal.school_ids)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, *, secret: str, issuer: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": ["sub", "role", "exp", "iss"]},
        )
        role = Role(claims["role"])
        if role is Role.SYSTEM:
            raise InvalidToken("the system role cannot be used through the API")
        trust = claims.get("trust")
        schools: Iterable[str] = claims.get("schools") or ()
        principal = Principal(
            id=UUID(str(claims["sub"])),
            role=role,
            trust_id=UUID(str(trust)) if trust else None,
            school_ids=frozenset(UUID(str(s)) for s in schools),
        )
    except jwt.ExpiredSignatureError as e:
        raise InvalidToken("the token has expired") from e
    except jwt.PyJWTError as e:
        raise InvalidToken(f"the token is not valid: {e}") from e
    except (ValueError, TypeError, KeyError) as e:
        raise InvalidToken("the token's claims are malformed") from e
    if principal.trust_id is None and principal.role is not Role.ADMIN:
        raise InvalidToken("every role but platform admin needs a trust claim")
    if principal.role is Role.SCHOOL_LEADER and not principal.school_ids:
        raise InvalidToken("a school leader's token must name the schools they lead")
    return principal
