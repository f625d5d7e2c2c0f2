"""Server-side sessions (PostgreSQL and Redis) and personal tokens, on the real services:
timeouts, sign-out everywhere, sign-in state taken once, tokens hashed, revoked, expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from api.identity.sessions import Pending, RedisSessions, Sessions, SqlSessions, digest
from api.identity.tokens import PersonalTokens, TokenScope
from projections.engine.db import Database, connect
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Database]:
    database = connect(pg_url)
    yield database
    database.close()


@pytest.fixture(params=["postgresql", "redis"])
def clock_and_sessions(
    request: pytest.FixtureRequest, db: Database, redis_namespace: str
) -> tuple[Clock, Sessions]:
    clock = Clock()
    timeouts = {"idle": timedelta(minutes=30), "absolute": timedelta(hours=8), "clock": clock}
    sessions: Sessions
    if request.param == "redis":
        sessions = RedisSessions(REDIS_URL, redis_namespace, **timeouts)
    else:
        sessions = SqlSessions(db, **timeouts)
    sessions.ensure()
    return clock, sessions


def start(sessions: Sessions, person: object) -> str:
    secret, _ = sessions.start(person_id=person, trust_id=uuid4(), method="oidc")  # type: ignore[arg-type]
    return secret


def test_a_session_is_found_by_its_cookie_and_stored_only_as_a_hash(
    clock_and_sessions: tuple[Clock, Sessions],
) -> None:
    _, sessions = clock_and_sessions
    person = uuid4()
    secret = start(sessions, person)
    found = sessions.find(secret)
    assert found is not None and found.person_id == person
    assert found.key == digest(secret) != secret
    assert sessions.find(secret + "x") is None
    assert sessions.find("") is None


def test_a_session_idle_too_long_ends(clock_and_sessions: tuple[Clock, Sessions]) -> None:
    clock, sessions = clock_and_sessions
    secret = start(sessions, uuid4())
    clock.now += timedelta(minutes=20)
    assert sessions.find(secret) is not None  # use keeps it alive
    clock.now += timedelta(minutes=29)
    assert sessions.find(secret) is not None
    clock.now += timedelta(minutes=31)
    assert sessions.find(secret) is None


def test_a_session_in_use_still_ends_at_its_absolute_timeout(
    clock_and_sessions: tuple[Clock, Sessions],
) -> None:
    clock, sessions = clock_and_sessions
    secret = start(sessions, uuid4())
    for _ in range(16):
        clock.now += timedelta(minutes=29)
        if sessions.find(secret) is None:
            break
    assert clock.now - datetime(2026, 3, 2, 9, 0, tzinfo=UTC) >= timedelta(hours=7, minutes=44)
    clock.now += timedelta(minutes=29)
    assert sessions.find(secret) is None


def test_signing_out_all_sessions_ends_every_one_of_that_person_only(
    clock_and_sessions: tuple[Clock, Sessions],
) -> None:
    _, sessions = clock_and_sessions
    ann, bob = uuid4(), uuid4()
    ann_phone, ann_laptop, bob_laptop = (
        start(sessions, ann),
        start(sessions, ann),
        start(sessions, bob),
    )
    assert len(sessions.of_person(ann)) == 2
    assert sessions.end_all(ann) == 2
    assert sessions.find(ann_phone) is None and sessions.find(ann_laptop) is None
    assert sessions.find(bob_laptop) is not None


def test_ending_one_session_by_its_public_id(clock_and_sessions: tuple[Clock, Sessions]) -> None:
    _, sessions = clock_and_sessions
    ann = uuid4()
    first, second = start(sessions, ann), start(sessions, ann)
    one = sessions.find(first)
    assert one is not None
    assert sessions.end_one(ann, one.public_id)
    assert sessions.find(first) is None and sessions.find(second) is not None
    assert not sessions.end_one(uuid4(), "nope")


def test_a_sign_in_in_flight_is_taken_once_and_expires(
    clock_and_sessions: tuple[Clock, Sessions],
) -> None:
    clock, sessions = clock_and_sessions
    pending = Pending("state-1", "oak", "nonce", "verifier", digest("b"), clock.now)
    sessions.put_pending(pending)
    assert sessions.take_pending("state-1") == pending
    assert sessions.take_pending("state-1") is None
    sessions.put_pending(Pending("state-2", "oak", "n", "v", digest("b"), clock.now))
    clock.now += timedelta(minutes=11)
    assert sessions.take_pending("state-2") is None


def test_personal_tokens_are_hashed_listed_revoked_and_expire(db: Database) -> None:
    clock = Clock()
    tokens = PersonalTokens(db, clock=clock)
    tokens.ensure()
    person = uuid4()
    secret, token = tokens.create(
        person_id=person,
        trust_id=uuid4(),
        name="MIS sync",
        scope=TokenScope.READ,
        lifetime=timedelta(days=30),
    )
    assert secret.startswith("apl_") and token.hint == secret[:10]
    with db.transaction(write=False) as tx:
        stored = tx.query("SELECT token_hash FROM personal_tokens WHERE id = ?", [str(token.id)])
    assert stored[0][0] == digest(secret)
    assert not any(secret in str(v) for v in stored[0])
    used = tokens.verify(secret)
    assert used is not None and used.scope is TokenScope.READ
    assert [t.name for t in tokens.of_person(person)] == ["MIS sync"]
    clock.now += timedelta(days=31)
    assert tokens.verify(secret) is None  # expired
    clock.now -= timedelta(days=31)
    assert tokens.revoke(person, token.id)
    assert tokens.verify(secret) is None
    assert not tokens.revoke(person, token.id)  # once
    assert not tokens.revoke(uuid4(), token.id)
    with pytest.raises(ValueError, match="between a minute and a year"):
        tokens.create(
            person_id=person,
            trust_id=uuid4(),
            name="x",
            scope=TokenScope.FULL,
            lifetime=timedelta(days=400),
        )
