"""The projections of one database: keep them current, report status, rebuild blue/green.

``Projections(url, projections=...)`` runs the given read models (``projections.read_models(url)``
runs every one); the wiring builds it, the runners and the CLI call its methods.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import blake2b

from projections.engine import registry
from projections.engine.core import (
    EVENTS_TABLE,
    Engine,
    EventLog,
    Member,
    PositionConflict,
    Projection,
)
from projections.engine.db import Database, canonical, connect

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    head: int
    lag: int
    state: str


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


class Projections:
    """The read models of one database (the event store's), each with its tracked position."""

    def __init__(
        self,
        database: str | Database,
        *,
        projections: Sequence[Projection],
        page_size: int = 1000,
        rebuild_page_size: int = 50_000,
        events_table: str = EVENTS_TABLE,
        before_commit: Callable[[Sequence[Member], int], None] | None = None,
    ) -> None:
        self.db = connect(database) if isinstance(database, str) else database
        self._own_db = isinstance(database, str)
        self.projections = {p.name: p for p in projections}
        self.engine = Engine(
            self.db,
            log=EventLog(events_table),
            page_size=page_size,
            bulk_page_size=rebuild_page_size,
            before_commit=before_commit,
        )
        self._ensured = False
        self._warned: set[str] = set()

    @property
    def names(self) -> list[str]:
        return list(self.projections)

    def close(self) -> None:
        if self._own_db:
            self.db.close()

    def ensure(self) -> None:
        """Create the registry and a first live generation of every projection that has none.

        A live generation built by an older schema keeps answering queries through views
        that read the columns it lacks as NULL, until ``rebuild_outdated`` replaces it.
        """
        with self.db.transaction() as tx:
            registry.ensure_registry(tx)
            for p in self.projections.values():
                gen = registry.live(tx, p.name)
                if gen is None:
                    registry.create_generation(tx, p, state=registry.LIVE, indexed=True)
                elif gen.schema_version < p.schema_version:
                    registry.point_compatible_views(tx, p, gen.generation)
        self._ensured = True

    def _live_generation(self, name: str) -> registry.Generation:
        if not self._ensured:
            self.ensure()
        with self.db.transaction(write=False) as tx:
            gen = registry.live(tx, name)
        if gen is None:
            raise LookupError(f"projection {name!r} has no live generation")
        return gen

    def _live(self, name: str) -> int:
        return self._live_generation(name).generation

    def outdated(self) -> list[str]:
        """Projections whose live generation was built by an older schema than this code's."""
        with self.db.transaction() as tx:
            registry.ensure_registry(tx)
        with self.db.transaction(write=False) as tx:
            live = {g.name: g for g in registry.generations(tx) if g.state == registry.LIVE}
        return [
            name
            for name, p in self.projections.items()
            if name in live and live[name].schema_version < p.schema_version
        ]

    def rebuild_outdated(self, progress: Progress | None = None) -> dict[str, int]:
        """Rebuild (blue/green) every projection whose live generation is outdated."""
        names = self.outdated()
        return self.rebuild(names, progress) if names else {}

    def advance(self, name: str, *, max_batches: int | None = None) -> int | None:
        """Apply pending events to a projection's live generation; how far it moved.

        Returns None at once when another worker holds this projection's lock, and 0 when the
        live generation's schema differs from this code's (its tables do not match what the
        handlers write; it waits for a rebuild, or for the code that matches it).
        """
        live = self._live_generation(name)
        projection = self.projections[name]
        if live.schema_version != projection.schema_version:
            if name not in self._warned:
                self._warned.add(name)
                log.warning(
                    "projection %s v%d has schema %d, this code writes schema %d: not advanced "
                    "until it is rebuilt (appraisals projections rebuild %s)",
                    name,
                    live.generation,
                    live.schema_version,
                    projection.schema_version,
                    name,
                )
            return 0
        gen = live.generation
        member = Member(projection, gen)
        moved = 0
        with self.db.locked(_lock_key(name, gen)) as got:
            if not got:
                return None
            batches = 0
            while max_batches is None or batches < max_batches:
                try:
                    step = self.engine.run_batch([member])
                except PositionConflict as exc:
                    log.info("projection %s: %s; another worker is on it", name, exc)
                    break
                if step == 0:
                    break
                moved += step
                batches += 1
        return moved

    def catch_up(self, names: Sequence[str] | None = None) -> int:
        """Advance every (or the named) projection until none has anything left to apply."""
        total = 0
        while True:
            moved = sum(self.advance(n) or 0 for n in (names or self.names))
            total += moved
            if moved == 0:
                return total

    def lag(self, name: str) -> int:
        """How many log positions the live generation is behind the head."""
        with self.db.transaction(write=False) as tx:
            head = self.engine.log.head(tx)
            gen = registry.live(tx, name)
        return head - (gen.position if gen else 0)

    def head(self) -> int:
        """The log's last position (0 when empty): what read-your-writes waits against."""
        return self.engine.head()

    def status(self) -> list[ProjectionStatus]:
        """Each projection's generations: version, position, head, lag and state."""
        with self.db.transaction() as tx:
            registry.ensure_registry(tx)
        with self.db.transaction(write=False) as tx:
            head = self.engine.log.head(tx)
            gens = registry.generations(tx)
        out: list[ProjectionStatus] = []
        for name, p in self.projections.items():
            mine = [g for g in gens if g.name == name]
            if not mine:
                out.append(ProjectionStatus(name, 0, 0, head, head, "missing"))
            for g in mine:
                lag = max(head - g.position, 0)
                if g.state != registry.LIVE:
                    state = g.state
                elif g.schema_version != p.schema_version:
                    state = "outdated"
                else:
                    state = "current" if lag == 0 else "catching_up"
                out.append(ProjectionStatus(name, g.generation, g.position, head, lag, state))
        return out

    def wait_for(
        self, position: int, *, names: Sequence[str] | None = None, timeout: float = 5.0
    ) -> bool:
        """Block until the live read models have applied the log up to ``position``."""
        wanted = set(names or self.names)
        deadline = time.monotonic() + timeout
        pause = 0.01
        while True:
            with self.db.transaction(write=False) as tx:
                reached = {
                    g.name: g.position
                    for g in registry.generations(tx)
                    if g.state == registry.LIVE and g.name in wanted
                }
            if len(reached) == len(wanted) and min(reached.values()) >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def checksum(self, name: str) -> str:
        """A digest of the live generation's rows, equal for equal read models on any database."""
        p = self.projections[name]
        gen = self._live(name)
        digest = blake2b(digest_size=16)
        with self.db.transaction(write=False) as tx:
            for table in sorted(p.tables, key=lambda t: t.name):
                types = [c.type for c in table.columns]
                digest.update(f"\x01{table.name}\x01".encode())
                rows = tx.query(
                    f"SELECT {', '.join(table.column_names)} FROM {table.physical(gen)} "
                    f"ORDER BY {', '.join(table.key)}"
                )
                for row in rows:
                    text = "\x1f".join(canonical(t, v) for t, v in zip(types, row, strict=True))
                    digest.update(text.encode() + b"\x1e")
        return digest.hexdigest()

    def rebuild(
        self, names: str | Sequence[str] | None = None, progress: Progress | None = None
    ) -> dict[str, int]:
        """Build new generations beside the live ones, catch up, switch, drop the old ones.

        Several projections rebuilt together share one pass over the log. A rebuild that was
        interrupted is resumed. Returns the new live generation of each projection.
        """
        from projections.engine.rebuild import run_rebuild

        if isinstance(names, str):
            names = [names]
        chosen = [self.projections[n] for n in (names or self.names)]
        if not self._ensured:
            self.ensure()
        return run_rebuild(self, chosen, progress)


def _lock_key(name: str, generation: int) -> str:
    return f"appraisals:projection:{name}:v{generation}"
