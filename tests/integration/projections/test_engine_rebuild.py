"""Rebuilds on PostgreSQL: the SQL bulk path (audit_log, event_index, personal_seals) and the
summaries' shared bulk phase give the same read models as applying every event in Python."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from pydantic import BaseModel

import events.cycle
import events.objective
import events.review
import events.staff
import events.trust
from events.base import DomainEvent, Role
from projections.audit_log import AuditLog
from projections.catalogue import read_models
from projections.engine.core import EventLog
from projections.engine.service import Projections
from projections.personal_seals import sealed_positions
from testkit.synthetic import History

pytestmark = pytest.mark.integration

NS = UUID("6a0e4c4e-2f55-4d1c-9a39-5b1f2f3e9d10")
TRUST, STAFF, CYCLE, REVIEW, OBJECTIVE = (uuid5(NS, n) for n in ("t", "s", "c", "r", "o"))
ORIGINATORS = {
    events.trust: TRUST,
    events.staff: STAFF,
    events.cycle: CYCLE,
    events.review: REVIEW,
    events.objective: OBJECTIVE,
}
IDS = {"trust_id": TRUST, "cycle_id": CYCLE, "review_id": REVIEW, "appraisee_id": STAFF}
# What SQL must carry through as Python formats it: quotes, placeholders, braces, escapes.
TRICKY = 'O\'Brien: 50% of "Year 3"? {name} \\ 100%% “quoted” ünïcode 📚'


def sample(name: str, annotation: Any, n: int) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if args and type(None) in args:
        return sample(name, next(a for a in args if a is not type(None)), n)
    if origin is tuple:
        return tuple(sample(name, args[0], n + i) for i in range(2))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)[n % len(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields.items()
        return annotation(**{k: sample(k, f.annotation, i) for i, (k, f) in enumerate(fields)})
    if annotation is UUID:
        return IDS.get(name, uuid5(NS, f"{name}{n}"))
    if annotation is date:
        return date(2026, 1, 1) + timedelta(days=n)
    if annotation is int:
        return 3 + n
    if name == "email":
        return "cat@oak.example"
    return TRICKY if annotation is str else None


def every_event() -> list[DomainEvent]:
    """One event of every class, the creating ones first, each on its aggregate."""
    classes = [
        cls
        for module in ORIGINATORS
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, DomainEvent)
        and cls.__module__ == module.__name__
        # An erasure makes the process drop the person's key as it reads it (a rebuild then
        # reads them erased, as it must): tests/integration/privacy covers it.
        and not cls.erases_subject
    ]
    versions: dict[UUID, int] = {}
    out = []
    for i, cls in enumerate(classes):
        originator = ORIGINATORS[typing.cast(Any, __import__(cls.__module__, fromlist=["_"]))]
        versions[originator] = versions.get(originator, 0) + 1
        fields = {
            k: sample(k, f.annotation, i)
            for k, f in cls.model_fields.items()
            if k not in DomainEvent.model_fields
        }
        out.append(
            cls(
                originator_id=originator,
                originator_version=versions[originator],
                timestamp=datetime(2025, 9, 1, tzinfo=UTC) + timedelta(hours=i),
                actor_id=STAFF,
                actor_role=Role.ADMIN,
                **fields,
            )
        )
    return out


def raw_events() -> Iterator[StoredEvent]:
    """Records SQL cannot read as Python does: a version an upcaster changes, a NUL."""
    base: dict[str, object] = {
        "timestamp": "2025-09-02T10:00:00+00:00",
        "actor_id": str(STAFF),
        "actor_role": "admin",
    }
    legacy = {**base, "trust_id": str(TRUST), "name": "Cat Legacy", "email": "c@oak.example"}
    legacy |= {"job_title": "Teacher", "_v": 1}
    yield StoredEvent(uuid5(NS, "legacy"), 1, "appraisals/StaffRegistered", orjson.dumps(legacy))
    meeting = {**base, "kind": "planning", "held_on": "2025-09-20", "notes": "a\x00b", "_v": 1}
    yield StoredEvent(REVIEW, 99, "appraisals/MeetingRecorded", orjson.dumps(meeting))
    stranger = {**base, "_v": 1}
    yield StoredEvent(uuid5(NS, "new"), 1, "appraisals/SomethingNew", orjson.dumps(stranger))


def checksums(service: Projections, names: list[str]) -> dict[str, str]:
    return {name: service.checksum(name) for name in names}


def test_the_sql_rebuild_equals_applying_every_event_in_python(
    pg_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_store.append(every_event())
    pg_store.recorder.insert_events(list(raw_events()))
    pg_store.append(History(4).events(schools=2, staff_per_school=4, move_rate=0.3))
    # Creating events again, later: the trust learned first stays.
    again = [e for e in every_event() if type(e).__name__ in ("StaffRegistered", "ReviewStarted")]
    pg_store.append(e.model_copy(update={"originator_version": 50}) for e in again)
    # An aggregate's event before the one that tells its trust has none.
    late = {"originator_id": uuid5(NS, "late")}
    told = [e for e in every_event() if type(e).__name__ in ("AssignedToSchool", "StaffRegistered")]
    told.sort(key=lambda e: type(e).__name__)
    pg_store.append(
        e.model_copy(update={**late, "originator_version": i + 1}) for i, e in enumerate(told)
    )
    revised = next(e for e in every_event() if type(e).__name__ == "ObjectiveRevised")
    pg_store.append([revised.model_copy(update={"originator_version": 51, "reason": None})])
    # A closing naming two people: two seals in one event (personal_seals' general path).
    closed = next(e for e in every_event() if type(e).__name__ == "CycleClosed")
    assert isinstance(closed, events.cycle.CycleClosed)
    two = tuple(
        u.model_copy(update={"appraisee_id": uuid5(NS, f"appraisee{i}")})
        for i, u in enumerate(closed.unfinished)
    )
    pg_store.append([closed.model_copy(update={"originator_version": 52, "unfinished": two})])
    names = ["audit_log", "event_index", "personal_seals"]
    service = read_models(pg_store.url, page_size=9, rebuild_page_size=9)
    service.catch_up()
    applied = checksums(service, names)

    in_sql: list[tuple[int, int]] = []
    apply_sql = AuditLog.apply_sql

    def spy(self: AuditLog, tx: Any, generation: int, log: str, after: int, upto: int) -> None:
        in_sql.append((after, upto))
        apply_sql(self, tx, generation, log, after, upto)

    monkeypatch.setattr(AuditLog, "apply_sql", spy)
    service.rebuild(names)

    assert checksums(service, names) == applied
    with service.db.transaction() as tx:
        for person in (STAFF, uuid5(NS, "appraisee0"), uuid5(NS, "appraisee1")):
            assert sealed_positions(tx, str(person))[1], f"no seals of {person} found"
    # SQL stopped before each record it cannot read, and took the rest of the log.
    with service.db.transaction(write=False) as tx:
        unsafe = EventLog().first_unsafe(tx, 0, pg_store.head())
    assert unsafe is not None and len(in_sql) >= 2
    assert all(not (a < unsafe <= b) for a, b in in_sql)
    service.close()


def test_the_summaries_built_once_for_both_equal_each_built_alone(pg_store: Any) -> None:
    pg_store.append(History(8).events(trusts=2, schools=3, staff_per_school=5, move_rate=0.4))
    names = ["school_cycle_summary", "trust_cycle_summary"]
    service = read_models(pg_store.url, page_size=50, rebuild_page_size=300)
    service.catch_up()
    applied = checksums(service, names)

    service.rebuild(names)  # one builds, the other copies
    assert checksums(service, names) == applied
    service.rebuild(names[1])  # alone: builds its own
    assert checksums(service, names) == applied
    service.close()
