"""Verifying the log: recompute the global chain and every aggregate's chain in one pass.

One pass over the stored events, in log order, recomputes

* every aggregate's chain: versions follow one another (1, 2, 3...) and each event's
  ``prev_hash`` is the record hash of the event before it (events written by other means
  than the command side, which carry none, are linked by their versions only);
* every sealed segment's chain, which must equal its checkpoint's; each checkpoint must carry
  a valid Ed25519 signature under one of the trusted public keys (replay/keys.py: the public
  keys alone suffice) and continue the one before.

A segment whose chain no longer matches is then compared position by position with the seal
(``audit_chain``): a sealed position whose record is gone was **deleted**, one that now holds
another aggregate's event was **reordered**, one whose record hash changed was **edited**, a
record at a position never sealed was **inserted**. If every position still matches its sealed
row, the seal itself was rewritten along with the events (only the signature shows it), and
the segment is reported as a whole.

The report is "intact up to position N", or the first affected event (position, aggregate,
version) and what happened to it.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from projections.engine.core import EVENTS_TABLE, EventLog
from projections.engine.db import Database
from projections.engine.db_postgres import PostgresDatabase
from replay.chain import (
    CHAIN,
    DIGEST_CHARS,
    GENESIS,
    Checkpoint,
    Record,
    checkpoints,
    ensure,
    fetch_records,
)
from replay.keys import PublicKey, PublicKeys

# Positions read per page, and pages read ahead (PostgreSQL).
WINDOW = 20_000
READ_AHEAD = 3
READERS = 2
MAX_FINDINGS = 1_000


@dataclass(frozen=True, slots=True)
class Finding:
    """One event whose stored record no longer matches what was chained."""

    position: int
    aggregate_id: str | None
    version: int | None
    # edited | deleted | reordered | inserted | missing | checkpoint
    problem: str
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    head: int
    sealed: int
    events: int
    checkpoints: int
    seconds: float
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def intact_up_to(self) -> int:
        return self.head if self.first is None else self.first.position - 1

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        if self.first is None:
            unsealed = (
                f"; positions {self.sealed + 1}-{self.head} are not sealed yet and were checked "
                "by their aggregates' chains only"
                if self.sealed < self.head
                else ""
            )
            return (
                f"intact up to position {self.head} ({self.events:,} events; sealed through "
                f"{self.sealed} by {self.checkpoints:,} signed checkpoints{unsealed})"
            )
        f = self.first
        return (
            f"NOT intact: first affected event at position {f.position} (aggregate "
            f"{f.aggregate_id}, version {f.version}): {f.problem} — {f.detail}. Intact up to "
            f"position {self.intact_up_to}; {len(self.findings)} finding(s) in all"
        )


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(
        self, position: int, aggregate: str | None, version: int | None, problem: str, detail: str
    ) -> None:
        if len(self.items) < MAX_FINDINGS:
            self.items.append(Finding(position, aggregate, version, problem, detail))


def verify(
    db: Database,
    keys: PublicKeys | PublicKey,
    *,
    table: str = EVENTS_TABLE,
    progress: Callable[[int, int], None] | None = None,
) -> Verification:
    """Recompute the global and per-aggregate chains over the whole log."""
    ensure(db)
    started = time.perf_counter()
    with db.transaction(write=False) as tx:
        head = EventLog(table).head(tx)
        marks = checkpoints(tx)
    trusted = PublicKeys([keys]) if isinstance(keys, PublicKey) else keys
    check = _Pass(marks, trusted)
    upper = max(head, check.sealed)
    windows = [(a, min(a + WINDOW, upper)) for a in range(0, upper, WINDOW)]
    for until, records in _windows(db, table, windows):
        check.window(records)
        if progress is not None:
            progress(until, upper)
    check.finish()
    for start, end in check.bad_segments:
        _locate(db, table, start, end, check.found)
    findings = sorted(check.found.items, key=lambda f: (f.position, f.problem))
    return Verification(
        head, check.sealed, check.events, len(marks), time.perf_counter() - started, findings
    )


def _windows(
    db: Database, table: str, windows: list[tuple[int, int]]
) -> Iterator[tuple[int, list[Record]]]:
    """Each window's records, in order. On PostgreSQL the next windows are read (and hashed)
    ahead in a thread, so the database and the driver work while this thread checks; SQLite
    (whose in-memory databases are per connection) reads in this thread."""
    if not isinstance(db, PostgresDatabase):
        for a, b in windows:
            yield b, fetch_records(db, a, b, WINDOW + 1, table)
        return
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="audit-verify") as pool:
        ahead = deque(
            pool.submit(fetch_records, db, a, b, WINDOW + 1, table) for a, b in windows[:READ_AHEAD]
        )
        for i, (_, until) in enumerate(windows):
            records = ahead.popleft().result()
            if i + READ_AHEAD < len(windows):
                a, b = windows[i + READ_AHEAD]
                ahead.append(pool.submit(fetch_records, db, a, b, WINDOW + 1, table))
            yield until, records


class _Pass:
    """One verification pass: segment chains, per-aggregate links, findings."""

    def __init__(self, marks: list[Checkpoint], keys: PublicKeys) -> None:
        self.found = _Findings()
        _check_checkpoints(marks, keys, self.found)
        self.sealed = marks[-1].position if marks else 0
        self.bad_segments: list[tuple[int, int]] = []
        self.events = 0
        self._pending = iter(marks)
        self._mark = next(self._pending, None)
        self._segment = [GENESIS + "\n"]
        self._start = 1
        self._links: dict[str, tuple[int, str, int]] = {}

    def _close_before(self, position: int) -> int:
        """Close every checkpoint that ends before ``position``; the next one's end."""
        while self._mark is not None and self._mark.position < position:
            mark = self._mark
            chain = hashlib.sha256("".join(self._segment).encode()).hexdigest()
            if chain != mark.chain:
                self.bad_segments.append((self._start, mark.position))
            self._segment = [mark.chain + "\n"]
            self._start = mark.position + 1
            self._mark = next(self._pending, None)
        return self._mark.position if self._mark is not None else self.sealed

    def finish(self) -> None:
        self._close_before(self.sealed + 1)

    def window(self, records: list[Record]) -> None:
        links = self._links
        get = links.get
        segment = self._segment
        sealed = self.sealed
        mark_end = self._mark.position if self._mark is not None else sealed
        for record in records:
            position, aggregate, version, digest, prev = record
            if position > mark_end:
                mark_end = self._close_before(position)
                segment = self._segment
            if position <= sealed:
                segment.append(f"{position}:{digest}\n")
            last = get(aggregate)
            if last is None:
                if version != 1 or prev:
                    self._broken(record, None)
            elif version != last[0] + 1 or (prev and prev != last[1]):
                self._broken(record, last)
            links[aggregate] = (version, digest, position)
        self.events += len(records)

    def _broken(self, record: Record, last: tuple[int, str, int] | None) -> None:
        """A link of an aggregate's chain that does not hold."""
        position, aggregate, version, _, prev = record
        add = self.found.add
        if last is None:
            if version != 1:
                add(
                    position,
                    aggregate,
                    version,
                    "missing",
                    f"the versions before {version} of this aggregate are gone",
                )
            else:
                add(position, aggregate, version, "edited", "a first version carries a prev_hash")
            return
        last_version, _, last_position = last
        if version != last_version + 1:
            add(
                position,
                aggregate,
                version,
                "reordered" if version <= last_version else "missing",
                f"version {version} follows version {last_version} (position {last_position})",
            )
        else:
            add(
                last_position,
                aggregate,
                last_version,
                "edited",
                f"its record hash is not the prev_hash that version {version} (position "
                f"{position}) carries: this record or that prev_hash was changed",
            )
        del prev


def _locate(db: Database, table: str, start: int, end: int, found: _Findings) -> None:
    """Compare a segment that failed its checkpoint with the seal, position by position."""
    records = {r[0]: r for r in fetch_records(db, start - 1, end, end - start + 2, table)}
    with db.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT position, aggregate_id, version, digest FROM {CHAIN.name} "
            "WHERE position >= ? AND position <= ? ORDER BY position",
            [start, end],
        )
    sealed = {int(p): (str(a), int(v), str(d)) for p, a, v, d in rows}
    located = False
    for position in sorted(records.keys() | sealed.keys()):
        record, seal = records.get(position), sealed.get(position)
        if record is None and seal is not None:
            found.add(position, seal[0], seal[1], "deleted", "sealed, no longer stored")
        elif record is not None and seal is None:
            found.add(position, record[1], record[2], "inserted", "stored, never sealed here")
        elif record is not None and seal is not None:
            if (record[1], record[2]) != (seal[0], seal[1]):
                found.add(
                    position,
                    seal[0],
                    seal[1],
                    "reordered",
                    f"sealed here as {seal[0]} v{seal[1]}; now holds {record[1]} v{record[2]}",
                )
            elif record[3][:DIGEST_CHARS] != seal[2]:
                found.add(position, record[1], record[2], "edited", "its record hash changed")
            else:
                continue
        located = True
    if not located:
        found.add(
            start,
            None,
            None,
            "checkpoint",
            f"positions {start}-{end} match their sealed rows but not the chain signed at "
            f"checkpoint {end}: the events and the seal were rewritten together",
        )


def _check_checkpoints(marks: list[Checkpoint], keys: PublicKeys, found: _Findings) -> None:
    """Every checkpoint signed by a trusted key, each continuing the one before."""
    previous = 0
    for m in marks:
        if m.previous != previous:
            found.add(
                previous + 1,
                None,
                None,
                "checkpoint",
                f"checkpoint {m.position} continues {m.previous}, not {previous}: "
                "checkpoints were removed",
            )
        if not m.signed_by(keys):
            signer = (
                f"key {m.key_id} is not among the trusted public keys"
                if keys.get(m.key_id) is None
                else f"the signature does not verify under key {m.key_id}"
            )
            found.add(
                m.previous + 1,
                None,
                None,
                "checkpoint",
                f"checkpoint {m.position} is not validly signed ({signer})",
            )
        previous = m.position
