"""The audit chain's record hashes are the codec's, and sealing is deterministic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from events.base import Role
from events.codec import encode, record_hash
from events.trust import SchoolAdded, TrustRegistered
from projections.engine.db import connect
from replay.chain import carried_prev_hash, checkpoints, hashed, next_chain, seal
from replay.keys import PublicKeys, SigningKey
from replay.verify import verify

KEY = SigningKey.generate()


def test_record_hashes_are_the_codecs_and_carry_the_prev_hash() -> None:
    trust = uuid4()
    at = datetime(2025, 9, 1, tzinfo=UTC)
    first = TrustRegistered(
        originator_id=trust,
        originator_version=1,
        timestamp=at,
        actor_id=uuid4(),
        actor_role=Role.ADMIN,
        name='Oak "prev_hash":"x" Trust — ünïcode',
    )
    topic, state = encode(first)
    expected = record_hash(topic, trust, 1, state)
    second = SchoolAdded(
        originator_id=trust,
        originator_version=2,
        timestamp=at,
        actor_id=uuid4(),
        actor_role=Role.ADMIN,
        prev_hash=expected,
        school_id=uuid4(),
        name="Oak Primary",
    )
    topic2, state2 = encode(second)
    rows = [(1, trust.hex, 1, topic, state), (2, str(trust), 2, topic2, state2)]
    (p1, a1, v1, d1, prev1), (_, a2, _, d2, prev2) = hashed(rows)
    assert a2 == str(trust)
    assert (p1, a1, v1, d1) == (1, str(trust), 1, expected)
    assert d2 == record_hash(topic2, trust, 2, state2)
    assert prev1 == "" and prev2 == expected
    assert carried_prev_hash(b'{"timestamp":"x"}') is None


def test_the_chain_is_a_function_of_positions_and_hashes() -> None:
    one = next_chain("0" * 64, [(1, "a" * 64), (2, "b" * 64)])
    assert one == next_chain("0" * 64, [(1, "a" * 64), (2, "b" * 64)])
    assert one != next_chain("0" * 64, [(2, "b" * 64), (1, "a" * 64)])
    assert one != next_chain("0" * 64, [(1, "a" * 64), (3, "b" * 64)])


def test_sealing_an_empty_log_and_then_a_growing_one(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    recorder = SQLiteApplicationRecorder(
        SQLiteDatastore(str(path)), events_table_name="appraisals_events"
    )
    recorder.create_table()
    db = connect(f"sqlite:///{path}")
    assert seal(db, KEY) == seal(db, KEY)
    assert verify(db, KEY.public).intact
    trust = uuid4()
    for version in (1, 2, 3):
        event = TrustRegistered(
            originator_id=trust,
            originator_version=version,
            timestamp=datetime(2025, 9, version, tzinfo=UTC),
            actor_id=uuid4(),
            actor_role=Role.ADMIN,
            name=f"Trust {version}",
        )
        topic, state = encode(event)
        recorder.insert_events([StoredEvent(trust, version, topic, state)])
        sealed = seal(db, KEY)
        assert sealed is not None and sealed.position == version and sealed.added == 1
    with db.transaction(write=False) as tx:
        marks = checkpoints(tx)
    assert [(c.previous, c.position, c.events) for c in marks] == [(0, 1, 1), (1, 2, 1), (2, 3, 1)]
    assert all(c.signed_by(PublicKeys([KEY.public])) for c in marks)
    # These events carry no prev_hash (written without the command side): only their
    # versions are chained, and the global chain holds.
    result = verify(db, KEY.public)
    assert result.intact, result.findings
    db.close()
