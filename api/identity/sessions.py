"""Server-side sessions: an opaque id in the browser's cookie, everything else on the server.

The cookie holds 256 random bits; the server keeps only their SHA-256, so a copy of the
session table gives nobody a usable cookie. A session ends when idle longer than the idle
timeout, at its absolute timeout, at sign-out (everywhere at once: the row is gone), when
its person signs out all their sessions, or when an administrator ends them. Rows live in
the main database (``SqlSessions``) or, with Redis configured, in Redis (``RedisSessions``)
with the same behaviour. Sign-ins in flight (state, nonce, PKCE verifier) are kept the same
way, for ten minutes, and taken once.
"""

from __future__ import annotations

import hashlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from projections.engine.db import Database

Clock = Callable[[], datetime]
# How often a session's last-seen time is written (not on every request).
TOUCH_EVERY = timedelta(seconds=60)
PENDING_TTL = timedelta(minutes=10)


def system_clock() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    key: str  # SHA-256 of the cookie's value
    public_id: str  # what pages show and forms name (never the cookie's value)
    person_id: UUID | None
    trust_id: UUID | None
    method: str  # "oidc", "development" (one click) or "development-token" (pasted JWT)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    acting_role: str | None = None
    # Development-token sessions only: the principal the pasted token named, as JSON.
    fixed_principal: str | None = None
    client: str = ""
    user_agent: str = ""

    def to_json(self) -> bytes:
        data = asdict(self)
        for k in ("person_id", "trust_id"):
            data[k] = str(data[k]) if data[k] else None
        for k in ("created_at", "last_seen_at", "expires_at"):
            data[k] = data[k].isoformat()
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Session:
        data = orjson.loads(raw)
        for k in ("person_id", "trust_id"):
            data[k] = UUID(data[k]) if data[k] else None
        for k in ("created_at", "last_seen_at", "expires_at"):
            data[k] = datetime.fromisoformat(data[k])
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Pending:
    """A sign-in in flight: what the callback checks the provider's answer against."""

    state: str
    provider: str
    nonce: str
    code_verifier: str
    browser: str  # SHA-256 of the binding cookie set when the sign-in started
    created_at: datetime
    next_path: str = "/home"


class Sessions(ABC):
    """Where sessions live. ``idle`` and ``absolute`` are the two timeouts."""

    def __init__(self, *, idle: timedelta, absolute: timedelta, clock: Clock = system_clock):
        self.idle = idle
        self.absolute = absolute
        self.clock = clock

    def start(
        self,
        *,
        person_id: UUID | None,
        trust_id: UUID | None,
        method: str,
        fixed_principal: str | None = None,
        client: str = "",
        user_agent: str = "",
    ) -> tuple[str, Session]:
        """A new session; its cookie value (shown to nobody else, stored nowhere)."""
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(
            key=digest(secret),
            public_id=secrets.token_hex(8),
            person_id=person_id,
            trust_id=trust_id,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.absolute,
            fixed_principal=fixed_principal,
            client=client[:100],
            user_agent=user_agent[:300],
        )
        self._save(session)
        return secret, session

    def find(self, secret: str) -> Session | None:
        """The live session of a cookie value, touched; None if unknown, idle or expired."""
        if not secret or len(secret) > 200:
            return None
        session = self._load(digest(secret))
        if session is None:
            return None
        now = self.clock()
        if now >= session.expires_at or now - session.last_seen_at >= self.idle:
            self._delete(session.key)
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            session = replace(session, last_seen_at=now)
            self._save(session)
        return session

    def act_as(self, session: Session, role: str | None) -> Session:
        changed = replace(session, acting_role=role)
        self._save(changed)
        return changed

    def end(self, secret: str) -> None:
        self._delete(digest(secret))

    @abstractmethod
    def of_person(self, person_id: UUID) -> list[Session]:
        """The person's live sessions, newest first."""

    def end_one(self, person_id: UUID, public_id: str) -> bool:
        for s in self.of_person(person_id):
            if s.public_id == public_id:
                self._delete(s.key)
                return True
        return False

    def end_all(self, person_id: UUID) -> int:
        """End every session of a person, wherever they are signed in; how many ended."""
        ended = 0
        for s in self.of_person(person_id):
            self._delete(s.key)
            ended += 1
        return ended

    def _live(self, s: Session) -> bool:
        now = self.clock()
        return now < s.expires_at and now - s.last_seen_at < self.idle

    # Sign-ins in flight.
    @abstractmethod
    def put_pending(self, pending: Pending) -> None: ...

    @abstractmethod
    def take_pending(self, state: str) -> Pending | None:
        """The sign-in started with ``state``, removed (a state works once)."""

    @abstractmethod
    def _save(self, session: Session) -> None: ...

    @abstractmethod
    def _load(self, key: str) -> Session | None: ...

    @abstractmethod
    def _delete(self, key: str) -> None: ...

    def ensure(self) -> None:
        return None


class SqlSessions(Sessions):
    """Sessions in the main database (SQLite or PostgreSQL), beside the read models."""

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db

    def ensure(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS web_sessions (key TEXT PRIMARY KEY,"
                " person_id TEXT, expires_at TEXT NOT NULL, data TEXT NOT NULL)"
            )
            tx.execute("CREATE INDEX IF NOT EXISTS web_sessions_person ON web_sessions (person_id)")
            tx.execute(
                "CREATE TABLE IF NOT EXISTS web_sign_ins (state TEXT PRIMARY KEY,"
                " created_at TEXT NOT NULL, data TEXT NOT NULL)"
            )

    def _save(self, session: Session) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE key = ?", [session.key])
            tx.execute(
                "INSERT INTO web_sessions (key, person_id, expires_at, data) VALUES (?, ?, ?, ?)",
                [
                    session.key,
                    str(session.person_id) if session.person_id else None,
                    session.expires_at.isoformat(),
                    session.to_json().decode(),
                ],
            )

    def _load(self, key: str) -> Session | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.query("SELECT data FROM web_sessions WHERE key = ?", [key])
        return Session.from_json(rows[0][0]) if rows else None

    def _delete(self, key: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE key = ?", [key])

    def of_person(self, person_id: UUID) -> list[Session]:
        with self.db.transaction() as tx:
            # Expired rows of this person go as they are listed (nothing else needs them).
            tx.execute(
                "DELETE FROM web_sessions WHERE person_id = ? AND expires_at <= ?",
                [str(person_id), self.clock().isoformat()],
            )
            rows = tx.query("SELECT data FROM web_sessions WHERE person_id = ?", [str(person_id)])
        found = [s for s in (Session.from_json(r[0]) for r in rows) if self._live(s)]
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    def put_pending(self, pending: Pending) -> None:
        now = self.clock()
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM web_sign_ins WHERE created_at < ?", [(now - PENDING_TTL).isoformat()]
            )
            tx.execute(
                "INSERT INTO web_sign_ins (state, created_at, data) VALUES (?, ?, ?)",
                [pending.state, pending.created_at.isoformat(), _pending_json(pending)],
            )

    def take_pending(self, state: str) -> Pending | None:
        with self.db.transaction() as tx:
            rows = tx.query("SELECT data FROM web_sign_ins WHERE state = ?", [state])
            if not rows:
                return None
            # Taken once: a replayed callback finds nothing.
            if tx.execute("DELETE FROM web_sign_ins WHERE state = ?", [state]) != 1:
                return None
        return _pending_from(rows[0][0], self.clock())


class RedisSessions(Sessions):
    """Sessions in Redis (with ``APPRAISALS_REDIS_URL``): each expires by itself."""

    def __init__(self, url: str, namespace: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import redis

        self.redis = redis.Redis.from_url(url)
        self.ns = f"{namespace}:web"

    def _ttl(self, session: Session) -> int:
        until = min(session.expires_at, session.last_seen_at + self.idle)
        return max(1, int((until - self.clock()).total_seconds()) + 1)

    def _save(self, session: Session) -> None:
        pipe = self.redis.pipeline()
        pipe.set(f"{self.ns}:session:{session.key}", session.to_json(), ex=self._ttl(session))
        if session.person_id is not None:
            person = f"{self.ns}:person:{session.person_id}"
            pipe.sadd(person, session.key)
            pipe.expire(person, int(self.absolute.total_seconds()) + 60)
        pipe.execute()

    def _load(self, key: str) -> Session | None:
        raw = self.redis.get(f"{self.ns}:session:{key}")
        return Session.from_json(raw) if isinstance(raw, bytes | str) else None

    def _delete(self, key: str) -> None:
        session = self._load(key)
        pipe = self.redis.pipeline()
        pipe.delete(f"{self.ns}:session:{key}")
        if session is not None and session.person_id is not None:
            pipe.srem(f"{self.ns}:person:{session.person_id}", key)
        pipe.execute()

    def of_person(self, person_id: UUID) -> list[Session]:
        person = f"{self.ns}:person:{person_id}"
        keys = [k.decode() if isinstance(k, bytes) else str(k) for k in self.redis.smembers(person)]
        found = []
        for key in keys:
            s = self._load(key)
            if s is None or not self._live(s):
                self.redis.srem(person, key)
                continue
            found.append(s)
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    def put_pending(self, pending: Pending) -> None:
        self.redis.set(
            f"{self.ns}:sign-in:{pending.state}",
            _pending_json(pending),
            ex=int(PENDING_TTL.total_seconds()),
        )

    def take_pending(self, state: str) -> Pending | None:
        raw = self.redis.getdel(f"{self.ns}:sign-in:{state}")
        if not isinstance(raw, bytes | str):
            return None
        return _pending_from(raw, self.clock())

    def clear(self) -> None:
        """Remove this namespace's keys (tests)."""
        for key in self.redis.scan_iter(f"{self.ns}:*"):
            self.redis.delete(key)


def _pending_json(p: Pending) -> str:
    return orjson.dumps({**asdict(p), "created_at": p.created_at.isoformat()}).decode()


def _pending_from(raw: bytes | str, now: datetime) -> Pending | None:
    data = orjson.loads(raw)
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    pending = Pending(**data)
    return pending if now - pending.created_at < PENDING_TTL else None
