"""Personal API tokens: made by a person for themselves or an integration, shown once.

A token is ``apl_`` and 256 random bits; only its SHA-256 is stored (a token has the entropy
of a key, so a fast hash is enough: nothing to brute-force). Each has a name, a scope
(``read`` refuses every command, ``full`` acts as the person), an expiry of at most a year,
and may be revoked by its owner. The person it names is turned into a principal on every
use, from the grants in force then, so a revoked role or a leaver's token stops at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from api.identity.sessions import digest
from projections.engine.db import Database

PREFIX = "apl_"
MAX_LIFETIME = timedelta(days=366)


class TokenScope(StrEnum):
    READ = "read"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class PersonalToken:
    id: UUID
    person_id: UUID
    trust_id: UUID
    name: str
    scope: TokenScope
    hint: str  # the first characters, so a person can tell their tokens apart
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def looks_like_personal_token(value: str) -> bool:
    return value.startswith(PREFIX) and 20 < len(value) < 100


_COLUMNS = (
    "id, person_id, trust_id, name, scope, hint, created_at, expires_at, revoked_at, last_used_at"
)


class PersonalTokens:
    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))

    def ensure(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS personal_tokens (id TEXT PRIMARY KEY,"
                " token_hash TEXT NOT NULL UNIQUE, person_id TEXT NOT NULL,"
                " trust_id TEXT NOT NULL, name TEXT NOT NULL, scope TEXT NOT NULL,"
                " hint TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,"
                " revoked_at TEXT, last_used_at TEXT)"
            )
            tx.execute(
                "CREATE INDEX IF NOT EXISTS personal_tokens_person ON personal_tokens (person_id)"
            )

    def create(
        self,
        *,
        person_id: UUID,
        trust_id: UUID,
        name: str,
        scope: TokenScope,
        lifetime: timedelta,
    ) -> tuple[str, PersonalToken]:
        """A new token and its record; the token itself is never stored or shown again."""
        if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
            raise ValueError("a token lives between a minute and a year")
        secret = PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        token = PersonalToken(
            id=uuid4(),
            person_id=person_id,
            trust_id=trust_id,
            name=name,
            scope=scope,
            hint=secret[:10],
            created_at=now,
            expires_at=now + lifetime,
            revoked_at=None,
            last_used_at=None,
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO personal_tokens (token_hash, {_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    digest(secret),
                    str(token.id),
                    str(person_id),
                    str(trust_id),
                    name,
                    scope.value,
                    token.hint,
                    now.isoformat(),
                    token.expires_at.isoformat(),
                    None,
                    None,
                ],
            )
        return secret, token

    def verify(self, secret: str) -> PersonalToken | None:
        """The usable token of this value (its last use noted), or None."""
        if not looks_like_personal_token(secret):
            return None
        with self.db.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT {_COLUMNS} FROM personal_tokens WHERE token_hash = ?", [digest(secret)]
            )
        if not rows:
            return None
        token = _token(rows[0])
        now = self.clock()
        if not token.usable(now):
            return None
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            with self.db.transaction() as tx:
                tx.execute(
                    "UPDATE personal_tokens SET last_used_at = ? WHERE id = ?",
                    [now.isoformat(), str(token.id)],
                )
        return token

    def of_person(self, person_id: UUID) -> list[PersonalToken]:
        with self.db.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT {_COLUMNS} FROM personal_tokens WHERE person_id = ?"
                " ORDER BY created_at DESC",
                [str(person_id)],
            )
        return [_token(r) for r in rows]

    def revoke(self, person_id: UUID, token_id: UUID) -> bool:
        """Revoke one of the person's tokens; False if they have no such token in use."""
        with self.db.transaction() as tx:
            changed = tx.execute(
                "UPDATE personal_tokens SET revoked_at = ?"
                " WHERE id = ? AND person_id = ? AND revoked_at IS NULL",
                [self.clock().isoformat(), str(token_id), str(person_id)],
            )
        return changed == 1


def _token(row: tuple[object, ...]) -> PersonalToken:
    def ts(value: object) -> datetime | None:
        return None if value is None else datetime.fromisoformat(str(value))

    created, expires = ts(row[6]), ts(row[7])
    assert created is not None and expires is not None
    return PersonalToken(
        id=UUID(str(row[0])),
        person_id=UUID(str(row[1])),
        trust_id=UUID(str(row[2])),
        name=str(row[3]),
        scope=TokenScope(str(row[4])),
        hint=str(row[5]),
        created_at=created,
        expires_at=expires,
        revoked_at=ts(row[8]),
        last_used_at=ts(row[9]),
    )
