"""The reminder ledger: every decision to send, recorded before anything is sent.

One row per person, review, milestone and step (the primary key), inserted with
``ON CONFLICT DO NOTHING``: planning twice, on two workers or after a restart records each
reminder once. Delivery claims pending rows under a lease (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite serialises writers), sends, and marks them sent under the same lease; a
failed send is retried with exponential back-off and, after the last attempt, stays visible
as ``failed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from events.reminders import Milestone
from projections.engine.db import Database, Tx, normalize_ts
from reminders.planner import Reminder

TABLE = "reminder_deliveries"

_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # name, PostgreSQL type, SQLite type
    ("id", "text PRIMARY KEY", "TEXT PRIMARY KEY"),
    ("trust_id", "uuid NOT NULL", "TEXT NOT NULL"),
    ("person_id", "uuid NOT NULL", "TEXT NOT NULL"),
    ("review_id", "uuid NOT NULL", "TEXT NOT NULL"),
    ("milestone", "text NOT NULL", "TEXT NOT NULL"),
    ("step", "text NOT NULL", "TEXT NOT NULL"),
    ("roles", "text NOT NULL", "TEXT NOT NULL"),
    ("email", "text NOT NULL", "TEXT NOT NULL"),
    ("name", "text NOT NULL", "TEXT NOT NULL"),
    ("appraisee_id", "uuid NOT NULL", "TEXT NOT NULL"),
    ("appraisee_name", "text NOT NULL", "TEXT NOT NULL"),
    ("deadline", "date NOT NULL", "TEXT NOT NULL"),
    ("deliver_on", "date NOT NULL", "TEXT NOT NULL"),
    ("optional", "boolean NOT NULL", "INTEGER NOT NULL"),
    ("digest", "boolean NOT NULL", "INTEGER NOT NULL"),
    ("note", "text NOT NULL", "TEXT NOT NULL"),
    ("status", "text NOT NULL", "TEXT NOT NULL"),
    ("attempts", "integer NOT NULL", "INTEGER NOT NULL"),
    ("next_attempt_at", "timestamptz NOT NULL", "TEXT NOT NULL"),
    ("lease_owner", "text", "TEXT"),
    ("lease_until", "timestamptz", "TEXT"),
    ("last_error", "text", "TEXT"),
    ("sent_at", "timestamptz", "TEXT"),
    ("message_id", "text", "TEXT"),
    ("created_at", "timestamptz NOT NULL", "TEXT NOT NULL"),
)
COLUMNS = tuple(c[0] for c in _COLUMNS)
_INSERTED = (*COLUMNS[: COLUMNS.index("attempts") + 1], "next_attempt_at", "created_at")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A recorded reminder as the ledger holds it."""

    id: str
    trust_id: UUID
    person_id: UUID
    review_id: UUID
    milestone: Milestone
    step: str
    roles: tuple[str, ...]
    email: str
    name: str
    appraisee_id: UUID
    appraisee_name: str
    deadline: date
    deliver_on: date
    optional: bool
    digest: bool
    note: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_owner: str | None
    lease_until: datetime | None
    last_error: str | None
    sent_at: datetime | None
    message_id: str | None
    created_at: datetime


def _delivery(row: Sequence[Any]) -> Delivery:
    d = dict(zip(COLUMNS, row, strict=True))
    for c in ("trust_id", "person_id", "review_id", "appraisee_id"):
        d[c] = d[c] if isinstance(d[c], UUID) else UUID(d[c])
    for c in ("deadline", "deliver_on"):
        d[c] = d[c] if isinstance(d[c], date) else date.fromisoformat(d[c])
    for c in ("next_attempt_at", "lease_until", "sent_at", "created_at"):
        if isinstance(d[c], str):
            d[c] = datetime.fromisoformat(d[c])
    d["milestone"] = Milestone(d["milestone"])
    d["roles"] = tuple(d["roles"].split(","))
    d["optional"] = bool(d["optional"])
    d["digest"] = bool(d["digest"])
    return Delivery(**d)


class Ledger:
    """The ``reminder_deliveries`` table of one database."""

    def __init__(self, db: Database, *, max_attempts: int = 8, backoff_seconds: float = 60.0):
        self.db = db
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds

    def ensure(self) -> None:
        pg = self.db.dialect == "postgresql"
        cols = ", ".join(f"{name} {ptype if pg else stype}" for name, ptype, stype in _COLUMNS)
        with self.db.transaction() as tx:
            tx.lock("reminder-ledger-ddl")
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({cols})")
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (status, deliver_on, person_id)"
            )
            tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_person ON {TABLE} (person_id, status)")
            tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_review ON {TABLE} (review_id)")

    # ---------------------------------------------------------------- decisions

    def record(self, reminders: Iterable[Reminder], now: datetime) -> int:
        """Record decisions not recorded before; returns how many are new."""
        wanted = list(reminders)
        if not wanted:
            return 0
        # Most passes find most reminders recorded already: look them up by key first and
        # build rows only for the rest (a race with another worker is settled by the key).
        known = self.known([r.key for r in wanted])
        rows = [self._row(r, now) for r in wanted if r.key not in known]
        if not rows:
            return 0
        one = "(" + ",".join("?" * len(_INSERTED)) + ")"
        new = 0
        with self.db.transaction() as tx:
            # Multi-row INSERTs: the database says how many rows were new (not conflicts).
            size = 500 if tx.dialect == "postgresql" else 40
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                values = ",".join([one] * len(chunk))
                params = [p for row in chunk for p in self._params(tx, row)]
                new += tx.execute(
                    f"INSERT INTO {TABLE} ({', '.join(_INSERTED)}) VALUES {values} "
                    "ON CONFLICT (id) DO NOTHING",
                    params,
                )
        return new

    @staticmethod
    def _row(r: Reminder, now: datetime) -> dict[str, Any]:
        return {
            "id": r.key,
            "trust_id": r.trust_id,
            "person_id": r.person_id,
            "review_id": r.review_id,
            "milestone": r.milestone.value,
            "step": r.step,
            "roles": ",".join(r.roles),
            "email": r.email,
            "name": r.name,
            "appraisee_id": r.appraisee_id,
            "appraisee_name": r.appraisee_name,
            "deadline": r.deadline,
            "deliver_on": r.deliver_on,
            "optional": r.optional,
            "digest": r.digest,
            "note": r.note,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }

    @staticmethod
    def _params(tx: Tx, row: dict[str, Any]) -> list[Any]:
        out = []
        for name in _INSERTED:
            value = row[name]
            if tx.dialect == "sqlite":
                if isinstance(value, UUID):
                    value = str(value)
                elif isinstance(value, datetime):
                    value = normalize_ts(value)
                elif isinstance(value, date):
                    value = value.isoformat()
                elif isinstance(value, bool):
                    value = int(value)
            out.append(value)
        return out

    def known(self, keys: Sequence[str]) -> set[str]:
        """Which of these keys are recorded already (for a plan that records nothing)."""
        found: set[str] = set()
        with self.db.transaction(write=False) as tx:
            size = 5000 if tx.dialect == "postgresql" else 500
            for start in range(0, len(keys), size):
                where, params = tx.in_list("id", "text", list(keys[start : start + size]))
                rows = tx.query(f"SELECT id FROM {TABLE} WHERE {where}", params)
                found.update(r[0] for r in rows)
        return found

    # ---------------------------------------------------------------- delivery

    def claim(
        self, owner: str, now: datetime, *, lease: timedelta, limit: int = 200
    ) -> list[Delivery]:
        """Take up to ``limit`` pending rows due now that nobody holds, under a lease."""
        with self.db.transaction() as tx:
            p = _Params(tx)
            lock = " FOR UPDATE SKIP LOCKED" if tx.dialect == "postgresql" else ""
            free = "status = 'pending' AND (lease_until IS NULL OR lease_until < ?)"
            # The CTE is evaluated once (a LIMIT in an IN-subquery may be re-run per row and
            # lock more than asked); the outer WHERE checks again after any lock wait.
            sql = (
                f"WITH picked AS (SELECT id FROM {TABLE} WHERE {free} AND deliver_on <= ? "
                f"AND next_attempt_at <= ? ORDER BY person_id, id LIMIT {int(limit)}{lock}) "
                f"UPDATE {TABLE} SET lease_owner = ?, lease_until = ? "
                f"WHERE {free} AND id IN (SELECT id FROM picked) "
                f"RETURNING {', '.join(COLUMNS)}"
            )
            rows = tx.query(
                sql,
                [
                    p.ts(now),
                    p.day(now.date()),
                    p.ts(now),
                    owner,
                    p.ts(now + lease),
                    p.ts(now),
                ],
            )
        return sorted((_delivery(r) for r in rows), key=lambda d: (str(d.person_id), d.id))

    def mark_sent(self, ids: Sequence[str], owner: str, now: datetime, message_id: str) -> int:
        return self._finish(
            ids,
            owner,
            "status = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1",
            lambda p: [p.ts(now), message_id],
        )

    def cancel(self, ids: Sequence[str], owner: str, why: str) -> int:
        """The step was done before the reminder went: it is never sent."""
        return self._finish(ids, owner, "status = 'cancelled', last_error = ?", lambda _: [why])

    def postpone(self, ids: Sequence[str], owner: str, until: date) -> int:
        """Hold reminders until after a quiet period (not an attempt; nothing failed)."""
        after = until + timedelta(days=1)
        return self._finish(
            ids,
            owner,
            "next_attempt_at = ?, deliver_on = ?",
            lambda p: [p.ts(datetime.combine(after, time(), UTC)), p.day(after)],
        )

    def mark_failed(self, ids: Sequence[str], owner: str, now: datetime, error: str) -> int:
        """One failed attempt: retry later with back-off, or give up after the last one."""
        changed = 0
        with self.db.transaction() as tx:
            p = _Params(tx)
            for id_ in ids:
                rows = tx.query(f"SELECT attempts FROM {TABLE} WHERE id = ?", [id_])
                if not rows:
                    continue
                attempts = int(rows[0][0]) + 1
                status = "failed" if attempts >= self.max_attempts else "pending"
                delay = timedelta(seconds=self.backoff_seconds * 2 ** (attempts - 1))
                changed += tx.execute(
                    f"UPDATE {TABLE} SET status = ?, attempts = ?, next_attempt_at = ?, "
                    "last_error = ?, lease_owner = NULL, lease_until = NULL "
                    "WHERE id = ? AND lease_owner = ?",
                    [status, attempts, p.ts(now + delay), error[:500], id_, owner],
                )
        return changed

    def _finish(self, ids: Sequence[str], owner: str, set_sql: str, values: Any) -> int:
        if not ids:
            return 0
        with self.db.transaction() as tx:
            p = _Params(tx)
            marks = ",".join("?" * len(ids))
            return tx.execute(
                f"UPDATE {TABLE} SET {set_sql}, lease_owner = NULL, lease_until = NULL "
                f"WHERE id IN ({marks}) AND lease_owner = ? AND status = 'pending'",
                [*values(p), *ids, owner],
            )

    def retry(self, now: datetime, ids: Sequence[str] | None = None) -> int:
        """Put failed reminders back in the queue (an operator's decision)."""
        with self.db.transaction() as tx:
            p = _Params(tx)
            where = "status = 'failed'"
            params: list[Any] = [p.ts(now)]
            if ids:
                where += f" AND id IN ({','.join('?' * len(ids))})"
                params += list(ids)
            return tx.execute(
                f"UPDATE {TABLE} SET status = 'pending', attempts = 0, next_attempt_at = ? "
                f"WHERE {where}",
                params,
            )

    # ---------------------------------------------------------------- reading

    def for_person(self, person_id: UUID, *, limit: int = 50) -> list[Delivery]:
        """A person's reminders not yet sent (pending, or failed), soonest first."""
        return self._select(
            "person_id = ? AND status IN ('pending', 'failed') ORDER BY deliver_on, id "
            f"LIMIT {int(limit)}",
            person_id,
        )

    def for_review(self, review_id: UUID, *, limit: int = 100) -> list[Delivery]:
        return self._select(f"review_id = ? ORDER BY created_at, id LIMIT {int(limit)}", review_id)

    def with_status(self, status: str, *, limit: int = 100) -> list[Delivery]:
        return self._select(f"status = ? ORDER BY next_attempt_at LIMIT {int(limit)}", status)

    def counts(self) -> dict[str, int]:
        with self.db.transaction(write=False) as tx:
            rows = tx.query(f"SELECT status, count(*) FROM {TABLE} GROUP BY status")
        return {str(s): int(n) for s, n in rows}

    def _select(self, where: str, value: Any) -> list[Delivery]:
        with self.db.transaction(write=False) as tx:
            v = value if tx.dialect == "postgresql" or not isinstance(value, UUID) else str(value)
            rows = tx.query(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE {where}", [v])
        return [_delivery(r) for r in rows]


class _Params:
    def __init__(self, tx: Tx) -> None:
        self.sqlite = tx.dialect == "sqlite"

    def ts(self, value: datetime) -> Any:
        return normalize_ts(value) if self.sqlite else value

    def day(self, value: date) -> Any:
        return value.isoformat() if self.sqlite else value
