"""Blue/green rebuilds: a new generation is built beside the live one, then switched in.

The new tables are filled without their secondary indexes (bulk loading is several times
faster that way); the indexes are built once the new generation is close to the head, then it
catches up fully and the registry and views are switched in one transaction. Queries read the
live generation throughout. Rebuilding several projections together reads and decodes the log
once for all of them.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from projections import registry
from projections.engine import Member, Projection

if TYPE_CHECKING:
    from projections.service import Progress, Projections

# Projections rebuilt side by side; the log is read once per lane.
_LANES = 2
# Lanes become processes (PostgreSQL only) beyond this many events to apply.
_PROCESS_LANES_FROM = 50_000
# Progress is reported at most this often (seconds).
_REPORT_EVERY = 0.25


def run_rebuild(
    service: Projections, chosen: Sequence[Projection], progress: Progress | None
) -> dict[str, int]:
    from projections.service import RebuildProgress, _lock_key

    db, engine = service.db, service.engine
    members = [
        Member(m.projection, m.generation, bulk=True)
        for m in _building_generations(service, chosen)
    ]
    names = tuple(m.projection.name for m in members)
    keys = [_lock_key(m.projection.name, m.generation) for m in members]
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
            raise RuntimeError(f"a rebuild of {', '.join(names)} is already running")
        # Bulk phase, then indexes and deferred work, in lanes side by side: processes on
        # PostgreSQL when there is much to do (two cores, no shared interpreter lock), else
        # threads (one lane's Python work still overlaps the other's wait on the database).
        lanes = _lanes(members)
        lag = engine.head() - start
        if db.dialect == "postgresql" and lag > _PROCESS_LANES_FROM:
            _in_processes(service, lanes, report)
        else:
            with ThreadPoolExecutor(len(lanes), thread_name_prefix="rebuild") as pool:
                done = [pool.submit(_bulk_lane, service, lane, report) for lane in lanes]
                for future in done:
                    future.result()
        report("indexing")
        members = [Member(m.projection, m.generation) for m in members]
        _catch_up(service, members, report, stop_within=0)
        report("switching")
        retired: list[tuple[Projection, int]] = []
        with db.transaction() as tx:
            for m in members:
                retired += [
                    (m.projection, g) for g in registry.switch(tx, m.projection, m.generation)
                ]
    # Dropped after the switch has committed: readers still on an old generation finish first.
    for projection, generation in retired:
        with db.transaction() as tx:
            registry.drop_generation(tx, projection, generation)
    report("done")
    return {m.projection.name: m.generation for m in members}


def _bulk_lane(service: Projections, lane: Sequence[Member], report: Callable[[str], None]) -> None:
    _catch_up(service, lane, report, stop_within=service.engine.page_size)
    for m in lane:
        with service.db.transaction() as tx:
            registry.mark_indexed(tx, m.projection, m.generation)
            m.projection.complete_bulk(tx, m.generation)


def _lanes(members: Sequence[Member]) -> list[list[Member]]:
    """Members split into lanes of about equal cost (greedy, costliest first)."""
    lanes: list[list[Member]] = [[] for _ in range(min(_LANES, len(members)))]
    loads = [0] * len(lanes)
    for m in sorted(members, key=lambda m: -m.projection.rebuild_cost):
        i = loads.index(min(loads))
        lanes[i].append(m)
        loads[i] += m.projection.rebuild_cost
    return lanes


def _in_processes(
    service: Projections, lanes: Sequence[Sequence[Member]], report: Callable[[str], None]
) -> None:
    """Each lane in a child process (``python -m projections.rebuild``): own connections, own
    interpreter, the same projections by class."""
    engine = service.engine
    children = []
    for lane in lanes:
        spec = [
            (type(m.projection).__module__, type(m.projection).__qualname__, m.generation)
            for m in lane
        ]
        args = [service.db.url, engine.log.table, str(engine.page_size), json.dumps(spec)]
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "projections.rebuild", *args], stderr=subprocess.PIPE
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


def _lane_process(
    url: str, events_table: str, page_size: int, spec: Sequence[Sequence[Any]]
) -> None:
    from projections.service import Projections

    chosen = [getattr(importlib.import_module(module), name)() for module, name, _ in spec]
    service = Projections(url, projections=chosen, page_size=page_size, events_table=events_table)
    try:
        lane = [Member(p, int(g), bulk=True) for p, (_, _, g) in zip(chosen, spec, strict=True)]
        _bulk_lane(service, lane, _ignore)
    finally:
        service.close()


def _ignore(phase: str) -> None:
    del phase


def _building_generations(service: Projections, chosen: Sequence[Projection]) -> list[Member]:
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
    service: Projections,
    members: Sequence[Member],
    report: Callable[[str], None],
    *,
    stop_within: int,
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
        if engine.run_batch(group) == 0:
            return
        now = time.monotonic()
        if now - last_report >= _REPORT_EVERY:
            report("building")
            last_report = now


if __name__ == "__main__":
    _lane_process(sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]))
