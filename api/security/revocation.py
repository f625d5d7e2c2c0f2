"""Revoked tokens, kept in the database so that every process honours a sign-out at once.

A token is revoked by its ``jti`` until its own expiry; rows past expiry are pruned as new
revocations arrive, so the table holds at most a token lifetime's worth of sign-outs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from projections.engine.db import Database


class Revocations:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS revoked_tokens (jti TEXT PRIMARY KEY,"
                " expires_at TEXT NOT NULL, revoked_at TEXT NOT NULL, revoked_by TEXT,"
                " reason TEXT NOT NULL)"
            )

    def revoke(
        self, jti: str, *, expires: datetime, by: UUID | None, reason: str, now: datetime | None
    ) -> None:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM revoked_tokens WHERE expires_at < ?", (moment.isoformat(),))
            tx.execute(
                "INSERT INTO revoked_tokens (jti, expires_at, revoked_at, revoked_by, reason)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
                (
                    jti,
                    expires.astimezone(UTC).isoformat(),
                    moment.isoformat(),
                    str(by) if by else None,
                    reason[:500],
                ),
            )

    def is_revoked(self, jti: str) -> bool:
        # Asked on every authenticated request: one statement, one round trip.
        return bool(self.db.read_once("SELECT 1 FROM revoked_tokens WHERE jti = ?", (jti,)))
