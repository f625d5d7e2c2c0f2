"""Bearer JWTs: minting (for the CLI and tests) and verifying them into a ``Principal``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import jwt

from commands.principal import Principal
from events.base import Role

ALGORITHM = "HS256"
LEADER_ROLES = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER})


MAX_TTL = timedelta(hours=8)


class InvalidToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """A verified token: who it names, and what revocation needs (its id and expiry)."""

    principal: Principal
    jti: str
    expires: datetime


def mint_token(
    principal: Principal,
    *,
    secret: str,
    issuer: str,
    ttl: timedelta = timedelta(hours=8),
    max_ttl: timedelta = MAX_TTL,
    now: datetime | None = None,
) -> str:
    if ttl > max_ttl:
        raise ValueError(f"a token may live at most {max_ttl}")
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": str(principal.id),
        "role": principal.role.value,
        "iss": issuer,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": uuid4().hex,
    }
    if principal.trust_id is not None:
        claims["trust"] = str(principal.trust_id)
    if principal.school_ids:
        claims["schools"] = sorted(str(s) for s in principal.school_ids)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(
    token: str, *, secret: str, issuer: str, max_ttl: timedelta = MAX_TTL
) -> Principal:
    return verify_claims(token, secret=secret, issuer=issuer, max_ttl=max_ttl).principal


def verify_claims(
    token: str, *, secret: str, issuer: str, max_ttl: timedelta = MAX_TTL
) -> TokenClaims:
    """Verify signature, issuer and lifetime, and parse every claim strictly: an empty or
    malformed claim is refused, never read as "absent"."""
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("the token is too long")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": ["sub", "role", "exp", "iat", "iss", "jti"]},
        )
        role = Role(claims["role"])
        if role is Role.SYSTEM:
            raise InvalidToken("the system role cannot be used through the API")
        jti = claims["jti"]
        if not isinstance(jti, str) or not 8 <= len(jti) <= 64:
            raise InvalidToken("the token's jti claim is malformed")
        trust = _uuid_claim(claims["trust"], "trust") if "trust" in claims else None
        schools: Iterable[object] = claims.get("schools", ())
        if not isinstance(schools, list | tuple):
            raise InvalidToken("the token's schools claim is malformed")
        issued_at, expires_at = claims["iat"], claims["exp"]
        if not isinstance(issued_at, int) or not isinstance(expires_at, int):
            raise InvalidToken("the token's iat and exp claims must be whole seconds")
        if expires_at - issued_at > max_ttl.total_seconds():
            raise InvalidToken(f"the token lives longer than the {max_ttl} allowed")
        principal = Principal(
            id=_uuid_claim(claims["sub"], "sub"),
            role=role,
            trust_id=trust,
            school_ids=frozenset(_uuid_claim(s, "schools") for s in schools),
        )
    except jwt.ExpiredSignatureError as e:
        raise InvalidToken("the token has expired") from e
    except jwt.PyJWTError as e:
        raise InvalidToken(f"the token is not valid: {e}") from e
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise InvalidToken("the token's claims are malformed") from e
    if principal.trust_id is None and principal.role is not Role.ADMIN:
        raise InvalidToken("every role but platform admin needs a trust claim")
    if principal.role is Role.SCHOOL_LEADER and not principal.school_ids:
        raise InvalidToken("a school leader's token must name the schools they lead")
    return TokenClaims(principal, jti, datetime.fromtimestamp(expires_at, UTC))


# A token this API mints is well under 1 KB; anything far longer is not one of ours.
MAX_TOKEN_CHARS = 4096


def _uuid_claim(value: object, name: str) -> UUID:
    """A claim holding an id: a canonical UUID string, never empty."""
    if not isinstance(value, str) or len(value) != 36:
        raise InvalidToken(f"the token's {name} claim is not an id")
    try:
        return UUID(value)
    except ValueError:
        raise InvalidToken(f"the token's {name} claim is not an id") from None
