"""The security log: denied commands and reads, failed sign-ins, revoked-token use.

Kept in a table of its own, never in the event store: it must not grow the appraisal log,
and it holds what happened at the door (who tried what, when, from where), not appraisal facts.
Trust auditors read their trust's entries through ``GET /v1/audit/security``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from projections.engine.db import Database

log = logging.getLogger(__name__)


class SecurityEventKind(StrEnum):
    DENIED_COMMAND = "denied-command"
    DENIED_READ = "denied-read"
    FAILED_SIGN_IN = "failed-sign-in"
    FAILED_AUTHENTICATION = "failed-authentication"
    REVOKED_TOKEN_USED = "revoked-token-used"
    TOKEN_REVOKED = "token-revoked"
    RATE_LIMITED = "rate-limited"


@dataclass(frozen=True)
class SecurityEvent:
    id: int
    at: datetime
    kind: SecurityEventKind
    trust_id: UUID | None
    actor_id: UUID | None
    role: str | None
    client: str
    method: str
    path: str
    detail: str


_COLUMNS = "id, at, kind, trust_id, actor_id, role, client, method, path, detail"


class SecurityLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure(self) -> None:
        serial = (
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            if self.db.dialect == "postgresql"
            else "INTEGER PRIMARY KEY AUTOINCREMENT"
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS security_log (id {serial}, at TEXT NOT NULL,"
                " kind TEXT NOT NULL, trust_id TEXT, actor_id TEXT, role TEXT,"
                " client TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,"
                " detail TEXT NOT NULL)"
            )
            tx.execute(
                "CREATE INDEX IF NOT EXISTS security_log_trust ON security_log (trust_id, id)"
            )

    def record(
        self,
        kind: SecurityEventKind,
        *,
        client: str,
        method: str,
        path: str,
        detail: str = "",
        trust_id: UUID | None = None,
        actor_id: UUID | None = None,
        role: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append one entry. A failure to record is logged, never turned into a 500."""
        when = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
        row = (
            when,
            kind.value,
            str(trust_id) if trust_id else None,
            str(actor_id) if actor_id else None,
            role,
            client[:100],
            method[:10],
            path[:500],
            detail[:500],
        )
        try:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO security_log (at, kind, trust_id, actor_id, role, client,"
                    " method, path, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
        except Exception:  # the door's log must never turn a refusal into a 500
            log.exception("could not record a security event (%s)", kind.value)

    def entries(
        self,
        *,
        trust_id: UUID | None,
        kind: SecurityEventKind | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[SecurityEvent]:
        """Entries after ``after`` (oldest first). ``trust_id`` None: the platform's entries
        that name no trust (failed sign-ins of unknown tokens and the like)."""
        where = ["id > ?", "trust_id IS NULL" if trust_id is None else "trust_id = ?"]
        params: list[Any] = [after] if trust_id is None else [after, str(trust_id)]
        if kind is not None:
            where.append("kind = ?")
            params.append(kind.value)
        params.append(limit)
        with self.db.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT {_COLUMNS} FROM security_log WHERE {' AND '.join(where)}"
                " ORDER BY id LIMIT ?",
                params,
            )
        return [
            SecurityEvent(
                id=int(r[0]),
                at=datetime.fromisoformat(str(r[1])),
                kind=SecurityEventKind(r[2]),
                trust_id=UUID(r[3]) if r[3] else None,
                actor_id=UUID(r[4]) if r[4] else None,
                role=r[5],
                client=r[6],
                method=r[7],
                path=r[8],
                detail=r[9],
            )
            for r in rows
        ]

    def count(self) -> int:
        with self.db.transaction(write=False) as tx:
            return int(tx.query("SELECT count(*) FROM security_log")[0][0])
