"""Blue/green rebuilds: a new generation is built beside the live one, then switched in.

The new tables are filled without their secondary indexes (bulk loading is several times
faster that way); the indexes are built once the new generation is close to the head, then it
catches up fully and the registry and views are switched in one transaction. Queries read the
live generation throughout. Rebuilding several projections together reads and decodes the log
once per lane; on PostgreSQL, projections that can (``sql_bulk``) are filled by SQL alone in a
lane of their own, and twins (``bulk_twin``) are built once and copied.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from events.codec import forget_erased, install_inherited_keyring
from projections.engine import registry
from projections.engine.connection import connect
from projections.engine.core import READING, Engine, EventLog, Member, Projection

if TYPE_CHECKING:
    from projections.engine.db import Database

log = logging.getLogger(__name__)

# Projections rebuilt side by side; the log is read once per lane.
_LANES = 2
# Lanes become processes (PostgreSQL only) beyond this many events to apply.
_PROCESS_LANES_FROM = 50_000
# Progress is reported at most this often (seconds).
_REPORT_EVERY = 0.25
# Lanes follow the measured costs only when that shortens the costliest lane by this share.
_REBALANCE_GAIN = 0.1
# Log positions per transaction of the SQL lane.
_SQL_CHUNK = 200_000
# The statistics the lanes gathered are refreshed again when the final catch-up applied more
# than this share of the events the lanes built from.
_REANALYZE_AFTER = 0.1


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """Where a rebuild is: ``phase`` is building, indexing, switching or done."""

    names: tuple[str, ...]
    phase: str
    start: int
    position: int
    head: int
    elapsed: float

    @property
    def processed(self) -> int:
        return self.position - self.start

    @property
    def events_per_second(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        rate = self.events_per_second
        return (self.head - self.position) / rate if rate > 0 else None


Progress = Callable[[RebuildProgress], None]


class Host(Protocol):
    """What a rebuild needs of the service that runs it: its database and engine."""

    db: Database
    engine: Engine


@dataclass
class _LaneHost:
    db: Database
    engine: Engine


class RebuildRunning(RuntimeError):
    """Another process holds the locks of the generations this rebuild would build."""


def run_rebuild(
    service: Host, chosen: Sequence[Projection], progress: Progress | None
) -> dict[str, int]:
    db, engine = service.db, service.engine
    # The whole history is read again: not with the cached key of someone since erased.
    forget_erased()
    members = [
        Member(m.projection, m.generation, bulk=True)
        for m in _building_generations(service, chosen)
    ]
    names = tuple(m.projection.name for m in members)
    keys = [registry.lock_key(m.projection.name, m.generation) for m in members]
    started = time.monotonic()
    start = min(engine.positions(members))

    reporting = threading.Lock()

    def report(phase: str) -> None:
        # Lanes report from their threads; one report at a time, the others skip theirs.
        if progress is None or not reporting.acquire(blocking=False):
            return
        try:
            progress(
                RebuildProgress(
                    names,
                    phase,
                    start,
                    min(engine.positions(members)),
                    engine.head(),
                    time.monotonic() - started,
                )
            )
        finally:
            reporting.release()

    with db.locked(*keys) as got:
        if not got:
            raise RebuildRunning(f"a rebuild of {', '.join(names)} is already running")
        # Bulk phase, then indexes and deferred work, in lanes side by side: processes on
        # PostgreSQL when there is much to do (two cores, no shared interpreter lock), else
        # threads (one lane's Python work still overlaps the other's wait on the database).
        # Projections filled by SQL alone take a lane of their own: a thread that waits.
        in_sql = [m for m in members if db.dialect == "postgresql" and m.projection.sql_bulk]
        in_python = [m for m in members if m not in in_sql]
        lanes = _split(in_python, _estimates(service, in_python))
        processes = db.dialect == "postgresql" and engine.head() - start > _PROCESS_LANES_FROM
        with ThreadPoolExecutor(len(lanes) + 1, thread_name_prefix="rebuild") as pool:
            done = [pool.submit(_sql_lane, service, in_sql, report)] if in_sql else []
            if processes and lanes:
                done.append(pool.submit(_in_processes, service, lanes, report))
            else:
                done += [pool.submit(_bulk_lane, service, lane, report) for lane in lanes]
            for future in done:
                future.result()
        lanes_done = time.monotonic()
        report("indexing")
        members = [Member(m.projection, m.generation) for m in members]
        built_upto = min(engine.positions(members))
        _catch_up(service, members, report, stop_within=0)
        caught_up = time.monotonic()
        # The lanes refreshed the statistics of what they built (in parallel); the events
        # that arrived meanwhile only change them materially if they are many.
        if min(engine.positions(members)) - built_upto > _REANALYZE_AFTER * (built_upto - start):
            for m in members:
                with db.transaction() as tx:
                    registry.analyze(tx, m.projection, m.generation)
        analyzed = time.monotonic()
        report("switching")
        retired: list[tuple[Projection, int]] = []
        with db.transaction() as tx:
            for m in members:
                retired += [
                    (m.projection, g) for g in registry.switch(tx, m.projection, m.generation)
                ]
    switched = time.monotonic()
    # Dropped after the switch has committed: readers still on an old generation finish first.
    for projection, generation in retired:
        with db.transaction() as tx:
            registry.drop_generation(tx, projection, generation)
    log.info(
        "rebuild: lanes %.1fs, final catch-up %.1fs, ANALYZE %.1fs, switch %.1fs, "
        "dropping the old generations %.1fs",
        lanes_done - started,
        caught_up - lanes_done,
        analyzed - caught_up,
        switched - analyzed,
        time.monotonic() - switched,
    )
    report("done")
    return {m.projection.name: m.generation for m in members}


def _bulk_lane(
    service: Host, lane: Sequence[Member], report: Callable[[str], None], *, alone: bool = False
) -> None:
    """A lane's bulk phase and deferred work; then what each member cost is recorded, and,
    when the lane had its process to itself (``alone``), what reading each topic cost."""
    copies = _twins(service, lane)
    own = [m for m in lane if m not in copies]
    engine = service.engine
    before = dict(zip(lane, engine.positions(lane), strict=True))
    spent_before = {m: engine.spent.get(m.projection.name, 0.0) for m in own}
    read_before = dict(READING.by_topic)
    started = time.monotonic()
    # Up to the head: what is left after the lanes is applied by one process, with indexes.
    _catch_up(service, own, report, stop_within=0, page=engine.bulk_page_size)
    built = time.monotonic()
    finished = _finish_bulk(service, own, copies)
    _log_lane(lane, started, built)
    # What each member cost this lane, for the next rebuild's split (copies: their copy).
    after = dict(zip(lane, engine.positions(lane), strict=True))
    costs = {
        m.projection.name: (
            after[m] - before[m],
            engine.spent.get(m.projection.name, 0.0) - spent_before.get(m, 0.0) + finished[m],
        )
        for m in lane
    }
    if alone:
        positions = max(after[m] - before[m] for m in lane)
        for topic, seconds in READING.by_topic.items():
            if seconds > read_before.get(topic, 0.0):
                costs[topic] = (positions, seconds - read_before.get(topic, 0.0))
    with service.db.transaction() as tx:
        registry.record_costs(tx, costs)


def _sql_lane(service: Host, lane: Sequence[Member], report: Callable[[str], None]) -> None:
    """The bulk phase of ``sql_bulk`` projections: chunks of the log applied by PostgreSQL."""
    engine = service.engine
    started = time.monotonic()
    while True:
        positions = engine.positions(lane)
        lowest = min(positions)
        if engine.head() <= lowest:
            break
        group = [m for m, p in zip(lane, positions, strict=True) if p == lowest]
        if engine.run_sql_batch(group, _SQL_CHUNK) == 0:
            break
        report("building")
    built = time.monotonic()
    _finish_bulk(service, lane, {})
    _log_lane(lane, started, built, how="in SQL")


def _log_lane(lane: Sequence[Member], started: float, built: float, how: str = "") -> None:
    log.info(
        "rebuild lane %s: bulk phase%s %.1fs, then deferred work and indexes %.1fs",
        ", ".join(m.projection.name for m in lane),
        f" {how}" if how else "",
        built - started,
        time.monotonic() - built,
    )


def _twins(service: Host, lane: Sequence[Member]) -> dict[Member, Member]:
    """The members that will copy a twin's bulk-built tables, each with its twin: those
    sharing a ``bulk_twin`` key and a position with an earlier member of the lane."""
    positions = dict(zip(lane, service.engine.positions(lane), strict=True))
    leaders: dict[tuple[str, int], Member] = {}
    copies: dict[Member, Member] = {}
    for m in lane:
        key = m.projection.bulk_twin
        if key is None:
            continue
        leader = leaders.setdefault((key, positions[m]), m)
        if leader is not m:
            copies[m] = leader
    return copies


def _finish_bulk(
    service: Host, own: Sequence[Member], copies: Mapping[Member, Member]
) -> dict[Member, float]:
    """Deferred work, indexes and what needs them; then the twins copy what was built. How
    long each member's part took (seconds)."""
    took: dict[Member, float] = {}
    for m in own:
        began = time.perf_counter()
        with service.db.transaction() as tx:
            m.projection.derive_bulk(tx, m.generation)
            registry.mark_indexed(tx, m.projection, m.generation)
            m.projection.complete_bulk(tx, m.generation)
        took[m] = time.perf_counter() - began
    for m, twin in copies.items():
        began = time.perf_counter()
        with service.db.transaction() as tx:
            m.projection.copy_bulk(tx, m.generation, twin.projection, twin.generation)
            service.engine.move(tx, m, to_position_of=twin)
            registry.mark_indexed(tx, m.projection, m.generation)
            m.projection.complete_bulk(tx, m.generation)
        took[m] = time.perf_counter() - began
    # Fresh statistics before the new tables answer queries (nothing else runs ANALYZE on them
    # until autovacuum does, and a planner that guesses walks the log): here, in the lanes, so
    # the tables of one lane are analysed while another lane still builds.
    for m in [*own, *copies]:
        began = time.perf_counter()
        with service.db.transaction() as tx:
            registry.analyze(tx, m.projection, m.generation)
        took[m] += time.perf_counter() - began
    return took


@dataclass(frozen=True, slots=True)
class _Estimates:
    """What a rebuild will cost (seconds): each member's own work, and reading and decoding
    each topic (paid once per lane that reads it)."""

    own: Mapping[Member, float]
    reading: Mapping[str, float]


def _estimates(service: Host, members: Sequence[Member]) -> _Estimates:
    """From the last recorded rebuild's costs per log position and the positions still to
    apply. A member never measured is reckoned by its declared ``rebuild_cost``, scaled by
    the measured members' median cost per unit of declared cost (in declared units, with no
    reading, when none was measured)."""
    with service.db.transaction(write=False) as tx:
        measured = registry.costs(tx)
    head = service.engine.head()
    ahead = [max(head - p, 1) for p in service.engine.positions(members)]
    per_unit = [
        measured[m.projection.name] / m.projection.rebuild_cost
        for m in members
        if m.projection.name in measured
    ]
    scale = statistics.median(per_unit) if per_unit else 1.0
    own = {
        m: measured.get(m.projection.name, scale * m.projection.rebuild_cost) * n
        for m, n in zip(members, ahead, strict=True)
    }
    # Topics are recorded beside the projections' names; only they hold a "/".
    most = max(ahead, default=1)
    reading = {t: rate * most for t, rate in measured.items() if "/" in t} if per_unit else {}
    return _Estimates(own, reading)


def _split(members: Sequence[Member], cost: _Estimates) -> list[list[Member]]:
    """The lanes: split by the estimates, unless they say the split by declared weights is
    within ``_REBALANCE_GAIN`` of it (measurements on a busy machine are noisy, and a split
    that moves with them is no better than a steady one)."""
    declared = _lanes(members, _Estimates({m: m.projection.rebuild_cost for m in members}, {}))
    measured = _lanes(members, cost)
    if _longest(measured, cost) < (1 - _REBALANCE_GAIN) * _longest(declared, cost):
        return measured
    return declared


def _units(members: Sequence[Member]) -> list[list[Member]]:
    """Twins together (one builds, the others copy), every other member alone."""
    units: dict[object, list[Member]] = {}
    for m in members:
        units.setdefault(m.projection.bulk_twin or m, []).append(m)
    return list(units.values())


def _reads(unit: Sequence[Member], cost: _Estimates) -> frozenset[str]:
    every = frozenset(cost.reading)
    found: frozenset[str] = frozenset()
    for m in unit:
        topics = m.projection.topics
        found |= every if topics is None else topics & every
    return found


def _reading(topics: frozenset[str], cost: _Estimates) -> float:
    return sum(cost.reading[t] for t in topics)


def _longest(lanes: Sequence[Sequence[Member]], cost: _Estimates) -> float:
    """The estimated cost of the costliest lane."""
    total = 0.0
    for lane in lanes:
        units = _units(lane)
        topics = frozenset().union(*(_reads(u, cost) for u in units))
        own = sum(max(cost.own[m] for m in u) for u in units)
        total = max(total, own + _reading(topics, cost))
    return total


def _lanes(members: Sequence[Member], cost: _Estimates) -> list[list[Member]]:
    """Members split into lanes of about equal cost, greedily: costliest first, each to the
    lane it leaves the cheapest (its own work, plus reading the topics it reads that the lane
    did not read yet, so projections reading the same events tend to share a lane); twins
    share a lane, at the cost of the costliest of them (one builds, the others copy)."""
    units = _units(members)
    weighed = [(max(cost.own[m] for m in u), _reads(u, cost), u) for u in units]
    weighed.sort(key=lambda w: -(w[0] + _reading(w[1], cost)))
    lanes: list[list[Member]] = [[] for _ in range(min(_LANES, len(units)))]
    work = [0.0] * len(lanes)
    topics: list[frozenset[str]] = [frozenset()] * len(lanes)
    for own, read, unit in weighed:
        after = [w + own + _reading(t | read, cost) for w, t in zip(work, topics, strict=True)]
        i = after.index(min(after))
        lanes[i] += unit
        work[i] += own
        topics[i] |= read
    return lanes


def _in_processes(
    service: Host, lanes: Sequence[Sequence[Member]], report: Callable[[str], None]
) -> None:
    """Each lane in a child process (``python -m projections.engine.rebuild``): own connections, own
    interpreter, the same projections by class."""
    engine = service.engine
    children = []
    for lane in lanes:
        spec = [
            (type(m.projection).__module__, type(m.projection).__qualname__, m.generation)
            for m in lane
        ]
        args = [
            service.db.url,
            engine.log.table,
            str(engine.page_size),
            str(engine.bulk_page_size),
            json.dumps(spec),
        ]
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "projections.engine.rebuild", *args], stderr=subprocess.PIPE
            )
        )
    try:
        while any(child.poll() is None for child in children):
            time.sleep(_REPORT_EVERY)
            report("building")
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            _, err = child.communicate()
            if child.returncode != 0:
                raise RuntimeError(f"a rebuild lane failed: {err.decode(errors='replace')}")
            for line in err.decode(errors="replace").splitlines():
                log.info("%s", line)


def _lane_process(
    url: str, events_table: str, page_size: int, bulk_page_size: int, spec: Sequence[Sequence[Any]]
) -> None:
    # A lane allocates millions of short-lived dicts and holds no cycles worth chasing: the
    # collector's default thresholds would spend a quarter of its time scanning survivors.
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)
    chosen = [getattr(importlib.import_module(module), name)() for module, name, _ in spec]
    install_inherited_keyring()  # sealed personal data opens here as in the parent
    db = connect(url)
    engine = Engine(
        db, log=EventLog(events_table), page_size=page_size, bulk_page_size=bulk_page_size
    )
    try:
        lane = [Member(p, int(g), bulk=True) for p, (_, _, g) in zip(chosen, spec, strict=True)]
        _bulk_lane(_LaneHost(db, engine), lane, _ignore, alone=True)
    finally:
        db.close()


def _ignore(phase: str) -> None:
    del phase


def _building_generations(service: Host, chosen: Sequence[Projection]) -> list[Member]:
    """The generation being built for each projection: resumed if one exists, else new."""
    members: list[Member] = []
    with service.db.transaction() as tx:
        registry.ensure_registry(tx)
        for p in chosen:
            building = [g for g in registry.generations(tx, p.name) if g.state == registry.BUILDING]
            if building:
                members.append(Member(p, building[-1].generation))
            else:
                gen = registry.create_generation(tx, p, state=registry.BUILDING, indexed=False)
                members.append(Member(p, gen))
    return members


def _catch_up(
    service: Host,
    members: Sequence[Member],
    report: Callable[[str], None],
    *,
    stop_within: int,
    page: int | None = None,
) -> None:
    engine = service.engine
    last_report = 0.0
    while True:
        positions = engine.positions(members)
        lowest = min(positions)
        if engine.head() - lowest <= stop_within:
            return
        # Members at the same position share one read of the log; laggards go first.
        group = [m for m, p in zip(members, positions, strict=True) if p == lowest]
        if engine.run_batch(group, page) == 0:
            return
        now = time.monotonic()
        if now - last_report >= _REPORT_EVERY:
            report("building")
            last_report = now


if __name__ == "__main__":
    # The parent passes on what a lane logs (a few lines: it reads them once the lane ends).
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    _lane_process(
        sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
    )
