"""Synthetic appraisal histories for tests and benchmarks, built from the real event classes.

A seeded generator walks trusts through their cycles: schools, priorities, staff and their
moves, then each review's phases (objectives, agreement, progress, meetings, assessment,
report, sign-off, moderation, appeals). Events of one phase interleave across staff as they
would in a real log. It streams: memory stays bounded whatever the number of events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from events import cycle as cy
from events import objective as ob
from events import review as rv
from events import staff as st
from events import trust as tr
from events.base import DomainEvent, Role
from events.codec import encode
from events.sealing import Subjects
from events.values import CyclePolicy, FieldChange


@dataclass
class _Person:
    staff_id: UUID
    school_id: UUID
    appraiser_id: UUID
    review_id: UUID | None = None
    objectives: list[dict[str, Any]] = field(default_factory=list)


class History:
    """A reproducible event history: ``History(seed).events(...)`` yields events in log order."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.versions: dict[UUID, int] = {}
        self._admins: set[UUID] = set()

    def _id(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def _ev(self, cls: type[DomainEvent], agg: UUID, at: datetime, actor: UUID, **f: Any) -> Any:
        version = self.versions.get(agg, 0) + 1
        self.versions[agg] = version
        role = Role.ADMIN if actor in self._admins else Role.STAFF
        return cls(
            originator_id=agg,
            originator_version=version,
            timestamp=at,
            actor_id=actor,
            actor_role=role,
            **f,
        )

    def events(
        self,
        *,
        trusts: int = 1,
        schools: int = 3,
        staff_per_school: int = 10,
        cycles: int = 1,
        move_rate: float = 0.05,
    ) -> Iterator[DomainEvent]:
        for _ in range(trusts):
            yield from self._trust(schools, staff_per_school, cycles, move_rate)

    def _trust(
        self, n_schools: int, per_school: int, n_cycles: int, move_rate: float
    ) -> Iterator[Any]:
        rng = self.rng
        admin = self._id()
        self._admins.add(admin)
        trust_id = self._id()
        t0 = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)
        yield self._ev(tr.TrustRegistered, trust_id, t0, admin, name=f"Trust {trust_id.hex[:6]}")
        schools = [self._id() for _ in range(n_schools)]
        for i, school in enumerate(schools):
            yield self._ev(
                tr.SchoolAdded, trust_id, t0, admin, school_id=school, name=f"School {i}"
            )
        priorities = [self._id() for _ in range(4)]
        for i, pid in enumerate(priorities):
            scope = None if i < 2 else schools[i % n_schools]
            yield self._ev(
                tr.PriorityAdded,
                trust_id,
                t0,
                admin,
                priority_id=pid,
                title=f"Priority {i}",
                school_id=scope,
            )
        people: list[_Person] = []
        for school in schools:
            leader = self._id()
            for _ in range(per_school):
                sid = self._id()
                people.append(_Person(sid, school, leader))
                yield self._ev(
                    st.StaffRegistered,
                    sid,
                    t0,
                    admin,
                    trust_id=trust_id,
                    name=f"Person {sid.hex[:6]}",
                    email=f"{sid.hex[:8]}@example.org",
                    job_title="Teacher",
                    category="teacher",
                )
                yield self._ev(
                    st.AssignedToSchool,
                    sid,
                    t0,
                    admin,
                    school_id=school,
                    previous_school_id=None,
                    effective_date=date(2024, 8, 1),
                )
        for year in range(n_cycles):
            yield from self._cycle(
                trust_id, admin, 2024 + year, people, schools, priorities, move_rate
            )
        del rng

    def _cycle(
        self,
        trust_id: UUID,
        admin: UUID,
        year: int,
        people: list[_Person],
        schools: list[UUID],
        priorities: list[UUID],
        move_rate: float,
    ) -> Iterator[Any]:
        rng = self.rng
        cycle_id = self._id()
        start = datetime(year, 9, 1, 9, 0, tzinfo=UTC)
        yield self._ev(
            cy.CycleScheduled,
            cycle_id,
            start,
            admin,
            trust_id=trust_id,
            name=f"{year}-{(year + 1) % 100:02d}",
            start_date=date(year, 9, 1),
            end_date=date(year + 1, 8, 31),
            objective_setting_deadline=date(year, 10, 31),
            mid_year_window_start=date(year + 1, 2, 1),
            mid_year_window_end=date(year + 1, 3, 15),
            end_year_deadline=date(year + 1, 7, 15),
            policy=CyclePolicy(),
        )
        yield self._ev(cy.CycleOpened, cycle_id, start, admin)
        phases = [
            self._start,
            self._objectives,
            self._agreement,
            self._mid_year,
            self._progress,
            self._end_year,
            self._report,
        ]
        for n, phase in enumerate(phases):
            window = start + timedelta(days=45 * n)
            batch: list[Any] = []
            for person in people:
                if n == 3 and rng.random() < move_rate:
                    batch += self._move(person, schools, admin, window)
                at = window + timedelta(minutes=rng.randrange(60 * 24 * 30))
                batch += phase(person, cycle_id, trust_id, at, priorities)
            batch.sort(key=lambda e: e.timestamp)
            yield from batch
        yield self._ev(cy.CycleClosed, cycle_id, start + timedelta(days=364), admin)

    def _move(self, p: _Person, schools: list[UUID], admin: UUID, at: datetime) -> list[Any]:
        new = self.rng.choice([s for s in schools if s != p.school_id] or schools)
        event = self._ev(
            st.AssignedToSchool,
            p.staff_id,
            at,
            admin,
            school_id=new,
            previous_school_id=p.school_id,
            effective_date=at.date(),
            reason="moved school",
        )
        p.school_id = new
        return [event]

    def _start(self, p: _Person, cycle_id: UUID, trust_id: UUID, at: datetime, _: Any) -> list[Any]:
        p.review_id = uuid5(cycle_id, str(p.staff_id))
        p.objectives = []
        return [
            self._ev(
                rv.ReviewStarted,
                p.review_id,
                at,
                p.appraiser_id,
                cycle_id=cycle_id,
                trust_id=trust_id,
                school_id=p.school_id,
                appraisee_id=p.staff_id,
                appraiser_id=p.appraiser_id,
            ),
            self._ev(
                rv.MeetingRecorded,
                p.review_id,
                at,
                p.appraiser_id,
                kind="planning",
                held_on=at.date(),
                notes="Planning",
            ),
        ]

    def _objectives(
        self, p: _Person, cycle_id: UUID, _t: UUID, at: datetime, prios: list[UUID]
    ) -> list[Any]:
        assert p.review_id is not None
        out: list[Any] = []
        for i in range(self.rng.randint(2, 4)):
            oid = self._id()
            p.objectives.append({"id": oid, "active": True})
            out.append(
                self._ev(rv.ObjectiveLinked, p.review_id, at, p.appraiser_id, objective_id=oid)
            )
            out.append(
                self._ev(
                    ob.ObjectiveDrafted,
                    oid,
                    at,
                    p.appraiser_id,
                    review_id=p.review_id,
                    cycle_id=cycle_id,
                    appraisee_id=p.staff_id,
                    title=f"Objective {i}",
                    description="Improve outcomes",
                    success_criteria=("Measured by data",),
                    priority_id=self.rng.choice([*prios, None]),
                    standards=("TS1",),
                    due_date=date(at.year + 1, 7, 1),
                )
            )
        return out

    def _agreement(self, p: _Person, *_: Any) -> list[Any]:
        at: datetime = _[2]
        out: list[Any] = []
        for o in p.objectives:
            roll = self.rng.random()
            if roll < 0.1:
                out.append(
                    self._ev(
                        ob.ObjectiveSetWithoutAgreement,
                        o["id"],
                        at,
                        p.appraiser_id,
                        reason="No agreement",
                    )
                )
                out.append(
                    self._ev(
                        ob.DisagreementRecorded, o["id"], at, p.staff_id, statement="I disagree"
                    )
                )
                continue
            if roll < 0.3:
                change = FieldChange(field="title", old="Objective", new="Revised objective")
                out.append(
                    self._ev(
                        ob.ObjectiveRevised,
                        o["id"],
                        at,
                        p.appraiser_id,
                        changes=(change,),
                        reason="Sharper",
                    )
                )
            out.append(self._ev(ob.ObjectiveAgreed, o["id"], at, p.staff_id, by="appraisee"))
            out.append(self._ev(ob.ObjectiveAgreed, o["id"], at, p.appraiser_id, by="appraiser"))
        return out

    def _mid_year(self, p: _Person, *_: Any) -> list[Any]:
        at: datetime = _[2]
        assert p.review_id is not None
        out = [
            self._ev(
                rv.MeetingRecorded,
                p.review_id,
                at,
                p.appraiser_id,
                kind="mid_year",
                held_on=at.date(),
                notes="Mid-year",
            )
        ]
        for o in p.objectives:
            if self.rng.random() < 0.05:
                o["active"] = False
                out.append(
                    self._ev(
                        ob.ObjectiveWithdrawn,
                        o["id"],
                        at,
                        p.appraiser_id,
                        reason="No longer relevant",
                    )
                )
                out.append(
                    self._ev(
                        rv.ObjectiveUnlinked,
                        p.review_id,
                        at,
                        p.appraiser_id,
                        objective_id=o["id"],
                        reason="Withdrawn",
                    )
                )
        return out

    def _progress(self, p: _Person, *_: Any) -> list[Any]:
        at: datetime = _[2]
        return [
            self._ev(
                ob.ProgressRecorded,
                o["id"],
                at,
                p.staff_id,
                percent=pct,
                note="On track",
                evidence=("doc",),
            )
            for o in p.objectives
            if o["active"]
            for pct in (40, 70)
        ]

    def _end_year(self, p: _Person, *_: Any) -> list[Any]:
        at: datetime = _[2]
        assert p.review_id is not None
        out = [self._ev(rv.SelfAssessmentSubmitted, p.review_id, at, p.staff_id, text="My year")]
        out.append(
            self._ev(
                rv.MeetingRecorded,
                p.review_id,
                at,
                p.appraiser_id,
                kind="end_year",
                held_on=at.date(),
                notes="End",
            )
        )
        for o in p.objectives:
            if o["active"]:
                outcome = self.rng.choice(["met", "met", "partially_met", "not_met"])
                out.append(
                    self._ev(
                        ob.ObjectiveAssessed,
                        o["id"],
                        at,
                        p.appraiser_id,
                        outcome=outcome,
                        comment="Assessed",
                    )
                )
        overall = self.rng.choice(["exceeds", "meets", "meets", "partially_meets", "does_not_meet"])
        out.append(
            self._ev(
                rv.AssessmentWritten,
                p.review_id,
                at,
                p.appraiser_id,
                overall=overall,
                summary="A good year",
            )
        )
        return out

    def _report(self, p: _Person, *_: Any) -> list[Any]:
        at: datetime = _[2]
        assert p.review_id is not None
        r, rng = p.review_id, self.rng
        out = [self._ev(rv.ReportIssued, r, at, p.appraiser_id, issued_on=at.date())]
        if rng.random() < 0.9:
            out.append(self._ev(rv.SignedOff, r, at, p.staff_id, by="appraisee"))
            out.append(self._ev(rv.SignedOff, r, at, p.appraiser_id, by="appraiser"))
            out.append(
                self._ev(rv.Moderated, r, at, p.appraiser_id, outcome="confirmed", note="Fine")
            )
        elif rng.random() < 0.5:
            out.append(self._ev(rv.AppealLodged, r, at, p.staff_id, grounds="Unfair"))
            out.append(
                self._ev(rv.AppealDecided, r, at, p.appraiser_id, outcome="dismissed", note="Fair")
            )
        return out


_SUBJECTS = Subjects()


def stored(event: DomainEvent) -> tuple[UUID, int, str, bytes]:
    """An event as the event store keeps it: originator, version, topic, state (its personal
    fields sealed when a keyring is installed, as the command service seals them)."""
    topic, state = encode(event, _SUBJECTS.of(event))
    return event.originator_id, event.originator_version, topic, state
