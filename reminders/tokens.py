"""Signed unsubscribe tokens: whose link it is, for which trust; nothing else to trust."""

from __future__ import annotations

from uuid import UUID

import jwt

_AUDIENCE = "appraisal-ledger/unsubscribe"


class BadToken(Exception):
    """The link is not one we signed (or it was changed)."""


def unsubscribe_token(secret: str, staff_id: UUID, trust_id: UUID) -> str:
    # No expiry: an old mail's link must still work (RFC 8058 expects that).
    return jwt.encode(
        {"sub": str(staff_id), "trust": str(trust_id), "aud": _AUDIENCE}, secret, "HS256"
    )


def read_unsubscribe_token(secret: str, token: str) -> tuple[UUID, UUID]:
    """The staff id and trust id a token was signed for."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=_AUDIENCE)
        return UUID(claims["sub"]), UUID(claims["trust"])
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as e:
        raise BadToken("this unsubscribe link is not valid") from e
