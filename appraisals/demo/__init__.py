"""Demo data: a realistic multi-academy trust, built through the command layer.

``generate(store)`` plans a trust (schools with English names and phases, a central team,
heads, leaders, teachers and support staff, who appraises whom, trust and school priorities)
and acts it out with ``CommandService.execute`` as the people concerned: a platform admin
registers the trust, the trust admin registers staff, trust leaders run the cycles, heads
start reviews, appraisers and appraisees do their parts. Cycle A (``2024-25``) runs to the
end and is closed (objectives revised, agreed or set with recorded disagreement, progress,
three meetings, reports, sign-offs, moderation, appeals upheld and dismissed, objectives
carried forward); cycle B (``2025-26``) is in progress up to the end of its mid-year window.
Some staff move school mid-cycle, some leave, new starters join for cycle B.

Time and ids are the demo's own: each command service gets a simulated clock (advanced as
the story proceeds) and ids drawn from a seeded ``Random``, so the same arguments always
give the same event streams, byte for byte.

How the events get to the target store, fast and in bounded memory:

* **The organisation first.** The trust, schools, leaders, priorities and the cycles' own
  events (scheduled, opened, closed, reopened, policy changed) are one story, run once on a
  staging store. They are the only aggregates shared by all schools.
* **Then chunks of schools** (about ``chunk_staff`` staff each). Each chunk runs on a fresh
  in-memory SQLite staging store with its own command service, whose state cache holds
  every state (nothing else writes there). The org events are fed into it as its clock
  passes them, so "the cycle is not open" and the other cross-aggregate rules hold there
  exactly as in production. A chunk never writes a shared aggregate, so chunks are
  independent; staff move between schools of the same chunk. When a chunk is done its
  store is dropped: memory stays flat however large the trust.
* **Copying.** With one chunk (the default 400 staff), the staging log *is* the final log:
  it is copied to the target every 20,000 events and at the end. With several chunks, each
  chunk's events go to a spool on disk, and at the end the streams (org first) are merged by
  timestamp into the target, so the target's log is in time order as a live system's would
  be (as-of queries map a moment to a log position). Every copy goes through the target
  recorder's ``insert_events``, 5,000 events a transaction (see ``staging.TARGET_BATCH``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from random import Random
from tempfile import TemporaryDirectory
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from aggregates.errors import Conflict
from appraisals.demo.calendar import SimClock
from appraisals.demo.org import OrgRun, run_org
from appraisals.demo.plan import Kind, OrgPlan, Person, make_plan
from appraisals.demo.staging import Spool, Staging, Target
from appraisals.demo.story import ChunkStory
from appraisals.demo.summary import CycleSummary, DemoSummary, SamplePerson
from commands.store import EventStoreApp

__all__ = ["CHUNK_STAFF", "DemoSummary", "SamplePerson", "generate"]

# Staff a chunk: about 130,000 staged events; the process stays near 200 MB.
CHUNK_STAFF = 2_500
FIRST_YEAR = 2024

Progress = Callable[[int], None]


class _HasStore(Protocol):
    @property
    def store(self) -> EventStoreApp: ...


def generate(
    target: EventStoreApp | _HasStore,
    *,
    schools: int = 8,
    staff: int = 400,
    seed: int = 0,
    progress: Progress | None = None,
    first_year: int = FIRST_YEAR,
    chunk_staff: int = CHUNK_STAFF,
    today: datetime | None = None,
    write: bool = True,
) -> DemoSummary:
    """Build the demo trust into ``target`` (a store, or a container with one).

    ``progress(n)`` is called now and then with the number of events generated so far (with
    several chunks, a merge into the target follows the last call before the final one).
    Raises ``Conflict`` if the target already holds this seed's trust.

    With ``today`` the demo reads as that day: the cycle in progress is its academic year
    (``first_year`` is ignored) and nothing after ``today`` happens. ``write=False`` only
    works out the summary (the demo's people) of a demo loaded before, writing nothing.
    """
    store = target if isinstance(target, EventStoreApp) else target.store
    started = time.perf_counter()
    if today is not None:
        first_year = academic_year(today.date()) - 1
    plan = make_plan(
        seed=seed, schools=schools, staff=staff, year=first_year, chunk_staff=chunk_staff
    )
    if not write:
        org = run_org(plan)
        chunk = _run_chunk(
            plan, org, 0, lambda _: None, hand_on_org=True, progress=None, until=today
        )
        return _summary(plan, org, [chunk], 0, time.perf_counter() - started)
    if store.recorder.select_events(plan.trust_id, limit=1):
        raise Conflict(
            f"the store already holds the demo trust of seed {seed}: use an empty store or "
            "another seed"
        )
    org = run_org(plan)
    out = Target(store)
    chunks: list[_Chunk] = []
    if len(plan.chunks) == 1:
        chunks.append(
            _run_chunk(plan, org, 0, out.write, hand_on_org=True, progress=progress, until=today)
        )
    else:
        with TemporaryDirectory(prefix="appraisals-demo-") as tmp:
            spool = Spool(Path(tmp) / "spool.sqlite")
            try:
                spool.append(0, [t.event for t in org.events])
                done = len(org.events)
                for k in range(len(plan.chunks)):
                    chunk = _run_chunk(
                        plan,
                        org,
                        k,
                        partial(spool.append, k + 1),
                        hand_on_org=False,
                        progress=None if progress is None else _offset(progress, done),
                        until=today,
                    )
                    done += chunk.produced
                    chunks.append(chunk)
                out.write(spool.merged())
            finally:
                spool.close()
    if progress is not None:
        progress(out.written)
    return _summary(plan, org, chunks, out.written, time.perf_counter() - started)


def academic_year(day: date) -> int:
    """The year an academic year starting in September began (2026-27 is 2026)."""
    return day.year if day.month >= 9 else day.year - 1


def loaded_year(store: EventStoreApp, seed: int) -> int | None:
    """The first cycle's year of the demo trust of ``seed`` in ``store`` (None: not loaded).

    The trust is registered in the June before its first cycle; the trust id depends on
    the seed alone."""
    plan = make_plan(seed=seed, schools=1, staff=10, year=FIRST_YEAR, chunk_staff=CHUNK_STAFF)
    records = store.recorder.select_events(plan.trust_id, limit=1)
    if not records:
        return None
    event = store.mapper.to_domain_event(records[0])
    return int(event.timestamp.year)  # type: ignore[attr-defined]


def _offset(progress: Progress, base: int) -> Progress:
    return lambda n: progress(base + n)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """What is kept of a chunk once it has run (its stories are dropped with its store)."""

    counts: Counter[str]
    produced: int
    sample: tuple[Person, UUID] | None


def _run_chunk(
    plan: OrgPlan,
    org: OrgRun,
    k: int,
    sink: Callable[[list[StoredEvent]], None],
    *,
    hand_on_org: bool,
    progress: Progress | None,
    until: datetime | None = None,
) -> _Chunk:
    clock = SimClock(plan.timeline.trust_registered)
    key = f"appraisal-ledger demo {plan.seed}: chunk {k}"
    staging = Staging(
        clock,
        Random(key + " ids"),
        sink=sink,
        org=org.events,
        hand_on_org=hand_on_org,
        on_events=progress,
    )
    story = ChunkStory(plan, org, plan.chunks[k], staging, clock, Random(key))
    story.run(until)
    produced = staging.finish()
    return _Chunk(story.counts, produced, story.sample() if k == 0 else None)


def _summary(
    plan: OrgPlan, org: OrgRun, chunks: list[_Chunk], events: int, seconds: float
) -> DemoSummary:
    counts: Counter[str] = Counter()
    for c in chunks:
        counts.update(c.counts)
    leaders = 1 + len(plan.directors) + len(plan.schools)
    sample = chunks[0].sample
    assert sample is not None, "the first chunk always has a teacher to show"
    member, review_id = sample
    appraiser = member.appraiser
    assert appraiser is not None
    school = member.school
    head = school.head
    assert head is not None
    cycles = plan.timeline
    return DemoSummary(
        seed=plan.seed,
        trust_id=plan.trust_id,
        trust_name=plan.trust_name,
        school_ids=tuple(s.id for s in plan.schools),
        school_names=tuple(s.name for s in plan.schools),
        previous_cycle=CycleSummary(org.cycle_a, cycles.a.name, "closed"),
        current_cycle=CycleSummary(org.cycle_b, cycles.b.name, "open"),
        staff=leaders + counts["staff"],
        reviews=counts["reviews"],
        objectives=counts["objectives"],
        events=events,
        chunks=len(plan.chunks),
        seconds=seconds,
        staff_member=_sample("staff member", member, review_id),
        appraiser=_sample("appraiser", appraiser),
        school_leader=_sample("school leader", head),
        trust_leader=_sample("trust leader", plan.ceo),
        trust_admin=SamplePerson("trust admin", "Trust people team", "Administrator", plan.admin),
    )


def _sample(label: str, p: Person, review_id: UUID | None = None) -> SamplePerson:
    school = None if p.kind in (Kind.CEO, Kind.DIRECTOR) else p.school.name
    return SamplePerson(label, p.name, p.job_title, p.principal, school, review_id)
