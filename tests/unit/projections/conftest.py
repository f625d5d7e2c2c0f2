"""Projection tests: an SQLite event store written through the library's recorder, an event
builder with a fixed clock, and a small trust to tell stories about."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from events import cycle as cy
from events import review as rv
from events import staff as st
from events import trust as tr
from events.base import DomainEvent, Role
from events.values import CyclePolicy
from projections.catalogue import read_models
from projections.engine.service import Projections
from testkit.synthetic import stored

START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)


class Store:
    """The event store's SQLite table, written by the library's application recorder."""

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self.datastore = SQLiteDatastore(str(path))
        self.recorder = SQLiteApplicationRecorder(
            self.datastore, events_table_name="appraisals_events"
        )
        self.recorder.create_table()

    def append(self, events: Iterable[DomainEvent], chunk: int = 200) -> int:
        """Store events (a transaction per chunk); the last log position."""
        batch: list[StoredEvent] = []
        for event in events:
            batch.append(StoredEvent(*stored(event)))
            if len(batch) == chunk:
                self.recorder.insert_events(batch)
                batch = []
        if batch:
            self.recorder.insert_events(batch)
        return int(self.recorder.max_notification_id() or 0)


@dataclass
class Given:
    """Builds events with consecutive versions and a clock that moves a minute per event."""

    now: datetime = START
    versions: dict[UUID, int] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)

    def __call__(
        self,
        cls: type[DomainEvent],
        aggregate_id: UUID,
        *,
        at: datetime | None = None,
        actor: UUID | None = None,
        **fields: Any,
    ) -> DomainEvent:
        self.now = at or self.now + timedelta(minutes=1)
        version = self.versions.get(aggregate_id, 0) + 1
        self.versions[aggregate_id] = version
        event = cls(
            originator_id=aggregate_id,
            originator_version=version,
            timestamp=self.now,
            actor_id=actor or ADMIN,
            actor_role=Role.ADMIN if actor is None else Role.STAFF,
            **fields,
        )
        self.events.append(event)
        return event

    def take(self) -> list[DomainEvent]:
        out, self.events = self.events, []
        return out


ADMIN = UUID("00000000-0000-4000-8000-000000000001")


@dataclass
class Trust:
    """A trust with two schools, two development priorities, an open cycle, two people."""

    given: Given
    trust_id: UUID = field(default_factory=uuid4)
    school_a: UUID = field(default_factory=uuid4)
    school_b: UUID = field(default_factory=uuid4)
    priority: UUID = field(default_factory=uuid4)
    cycle_id: UUID = field(default_factory=uuid4)
    appraiser: UUID = field(default_factory=uuid4)
    appraisee: UUID = field(default_factory=uuid4)

    def setup(self) -> None:
        g = self.given
        g(tr.TrustRegistered, self.trust_id, name="Northern Lights Trust")
        g(tr.SchoolAdded, self.trust_id, school_id=self.school_a, name="Alder Primary")
        g(tr.SchoolAdded, self.trust_id, school_id=self.school_b, name="Birch Academy")
        g(tr.PriorityAdded, self.trust_id, priority_id=self.priority, title="Reading")
        for person, name in ((self.appraiser, "Ada"), (self.appraisee, "Ben")):
            g(
                st.StaffRegistered,
                person,
                trust_id=self.trust_id,
                name=name,
                email=f"{name.lower()}@example.org",
                job_title="Teacher",
                category="teacher",
            )
            g(
                st.AssignedToSchool,
                person,
                school_id=self.school_a,
                previous_school_id=None,
                effective_date=date(2025, 8, 1),
            )
        g(
            cy.CycleScheduled,
            self.cycle_id,
            trust_id=self.trust_id,
            name="2025-26",
            start_date=date(2025, 9, 1),
            end_date=date(2026, 8, 31),
            objective_setting_deadline=date(2025, 10, 31),
            mid_year_window_start=date(2026, 2, 1),
            mid_year_window_end=date(2026, 3, 15),
            end_year_deadline=date(2026, 7, 15),
            policy=CyclePolicy(),
        )
        g(cy.CycleOpened, self.cycle_id)

    @property
    def review_id(self) -> UUID:
        return uuid5(self.cycle_id, str(self.appraisee))

    def start_review(self) -> UUID:
        self.given(
            rv.ReviewStarted,
            self.review_id,
            actor=self.appraiser,
            cycle_id=self.cycle_id,
            trust_id=self.trust_id,
            school_id=self.school_a,
            appraisee_id=self.appraisee,
            appraiser_id=self.appraiser,
        )
        return self.review_id

    def move(self, to: UUID, on: date) -> None:
        self.given(
            st.AssignedToSchool,
            self.appraisee,
            at=datetime(on.year, on.month, on.day, 8, 0, tzinfo=UTC),
            school_id=to,
            previous_school_id=self.school_a,
            effective_date=on,
        )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "appraisals.db")


@pytest.fixture
def given() -> Given:
    return Given()


@pytest.fixture
def trust(given: Given) -> Trust:
    t = Trust(given)
    t.setup()
    return t


@pytest.fixture
def projections(store: Store) -> Iterator[Projections]:
    service = read_models(store.url, page_size=50)
    service.ensure()
    yield service
    service.close()


@pytest.fixture
def project(store: Store, given: Given, projections: Projections) -> Any:
    """Store what ``given`` has built so far and bring every read model up to date."""

    def run() -> Projections:
        store.append(given.take())
        projections.catch_up()
        return projections

    return run
