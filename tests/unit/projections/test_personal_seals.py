"""personal_seals: which events hold each person's seals. An erasure reading it up to its
position and scanning the log beyond finds exactly the events a scan of the whole log finds,
however far the read model lags and whether or not it exists."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4, uuid5

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import codec
from events.base import DomainEvent, Role
from events.cycle import CycleClosed, UnfinishedReview
from events.objective import ObjectiveDrafted
from events.staff import StaffRegistered
from events.trust import TrustRegistered
from events.values import StaffCategory
from privacy.crypto import AESGCM, new_data_key, seal
from privacy.erasure import sealed_events
from projections.engine.connection import connect
from projections.engine.core import EVENTS_TABLE
from projections.engine.service import Projections
from projections.personal_seals import PersonalSeals, owners, sealed_positions
from tests.unit.projections.conftest import Store

NS = UUID("0b9a54a1-7f4e-4f57-9c0e-5d2f1c9e8a31")
PEOPLE = [uuid5(NS, f"person{i}") for i in range(3)]
NOW = datetime(2026, 9, 1, tzinfo=UTC)


class SealingKeyring:
    """Seals under a key per person (this read model never opens a seal)."""

    def __init__(self) -> None:
        self.keys: dict[str, AESGCM] = {}

    def seal(self, person: str, aad: bytes, plaintext: bytes) -> str:
        return seal(self.keys.setdefault(person, AESGCM(new_data_key())), plaintext, aad)

    def open(self, person: str, aad: bytes, sealed: str) -> bytes | None:
        del person, aad, sealed
        return None

    def forget(self, person: str, *, erased: bool = False) -> None:
        del person, erased

    def forget_erased(self) -> None:
        return None


@pytest.fixture(autouse=True)
def keyring() -> Iterator[None]:
    previous = codec.install_keyring(SealingKeyring())
    yield
    codec.install_keyring(previous)


def _event(kind: str, people: list[UUID], n: int) -> DomainEvent:
    """One event: a person's registration or objective (sealed under their key), a cycle's
    closing naming several of them (a seal each, no subject), or a trust's (plain)."""
    base = {
        "originator_version": 1,
        "timestamp": NOW + timedelta(minutes=n),
        "actor_id": PEOPLE[0],
        "actor_role": Role.ADMIN,
    }
    if kind == "staff":
        # Registered again: the same person's aggregate, a later version.
        return StaffRegistered(
            originator_id=people[0],
            **{**base, "originator_version": n + 1},
            trust_id=NS,
            name=f"Person {n}",
            email=f"p{n}@oak.example",
            job_title="Teacher",
            category=StaffCategory.TEACHER,
        )
    if kind == "objective":
        return ObjectiveDrafted(
            originator_id=uuid4(),
            review_id=uuid4(),
            cycle_id=NS,
            appraisee_id=people[0],
            title=f"Objective {n}",
            description="Phonics catch-up",
            success_criteria=("Half a year's gain",),
            due_date=date(2027, 6, 1),
            **base,
        )
    if kind == "closing":
        unfinished = tuple(
            UnfinishedReview(
                review_id=uuid4(),
                school_id=NS,
                appraisee_id=p,
                appraisee_name=f"Name {n}",
                left_at="planned",
            )
            for p in people
        )
        return CycleClosed(originator_id=uuid4(), reason="Year end", unfinished=unfinished, **base)
    return TrustRegistered(originator_id=uuid4(), name=f"Trust {n}", **base)


def _store(events: list[DomainEvent], tmp: Path, *, indexed: int | None) -> Store:
    """A log of ``events``; the read model caught up after the first ``indexed`` of them
    (None: it never existed)."""
    store = Store(tmp / "log.db")
    store.append(events[:indexed] if indexed is not None else events)
    if indexed is not None:
        service = Projections(store.url, projections=[PersonalSeals()])
        service.catch_up()
        service.close()
        store.append(events[indexed:])
    return store


def _scanned(store: Store, person: UUID) -> list[tuple[int, bytes]]:
    """The events whose stored seals include ``person``'s, read from every stored record:
    their positions and stored bytes."""
    with closing(sqlite3.connect(store.url.removeprefix("sqlite:///"))) as conn:
        rows = conn.execute(f"SELECT rowid, state FROM {EVENTS_TABLE} ORDER BY rowid")
        return [
            (position, bytes(state))
            for position, state in rows
            if str(person) in {p for p, _ in orjson.loads(state).get("_p", {}).get("v", [])}
        ]


events_strategy = st.lists(
    st.tuples(
        st.sampled_from(["staff", "objective", "closing", "trust"]),
        st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=events_strategy, split=st.integers(0, 25) | st.none())
def test_the_index_and_the_tail_find_every_event_with_a_persons_seal(
    kinds: list[tuple[str, list[UUID]]], split: int | None
) -> None:
    events = [_event(kind, people, n) for n, (kind, people) in enumerate(kinds)]
    indexed = None if split is None else min(split, len(events))
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(events, Path(tmp), indexed=indexed)
        db = connect(store.url)
        try:
            for person in PEOPLE:
                expected = _scanned(store, person)
                found = sealed_events(db, EVENTS_TABLE, str(person))
                assert sorted(bytes(r[3]) for r in found) == sorted(s for _, s in expected)
                with db.transaction(write=False) as tx:
                    upto, listed = sealed_positions(tx, str(person))
                # The read model holds exactly the seals up to its position; the rest is
                # beyond it, in the tail the erasure scans.
                assert upto == (indexed or 0)
                assert listed == [p for p, _ in expected if p <= upto]
        finally:
            db.close()
            store.datastore.close()


def test_owners_are_read_from_the_seals_only() -> None:
    person, other = PEOPLE[0], PEOPLE[1]
    _, sealed = codec.encode(_event("closing", [person, other], 1))
    assert owners(sealed) == {str(person), str(other)}
    # A plain list of ids that starts with theirs, outside the seals, is not a seal.
    plain = orjson.dumps({"ids": [str(person), str(other)], "_v": 1})
    assert owners(plain) == set()
    _, trust = codec.encode(_event("trust", [person], 2))
    assert owners(trust) == set()
