"""Blue/green rebuilds: a new generation is built beside the live one, then switched in.

The new tables are filled without their secondary indexes (bulk loading is several times
faster that way); the indexes are built once the new generation is close to the head, then it
catches up fully and the registry and views are switched in one transaction. Queries read the
live generation throughout. Rebuilding several projections together reads and decodes the log
once for all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from projections import registry
from projections.engine import Member, Projection

if TYPE_CHECKING:
    from projections.service import Progress, Projections

# Projections rebuilt side by side (threads); the log is read once per lane.
_LANES = 2
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
        # Bulk phase: until the new generation is within a page of the head. Two lanes, so
        # that one lane's Python work overlaps the other's wait on the database.
        lanes = [members[i::_LANES] for i in range(_LANES)]
        with ThreadPoolExecutor(_LANES, thread_name_prefix="rebuild") as pool:
            done = [
                pool.submit(_catch_up, service, lane, report, stop_within=engine.page_size)
                for lane in lanes
                if lane
            ]
            for future in done:
                future.result()
        report("indexing")
        for m in members:
            with db.transaction() as tx:
                registry.mark_indexed(tx, m.projection, m.generation)
                m.projection.complete_bulk(tx, m.generation)
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
