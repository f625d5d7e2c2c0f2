"""Anchoring the audit chain outside the database, and checking the database against anchors.

After each sealing run, every signed checkpoint the sink does not hold yet is appended to it
(``anchors``: a file on another volume, an object-locked S3 bucket, an HTTP endpoint). Whoever
can rewrite the database cannot rewrite those, so ``verify --anchors`` catches what the
database alone cannot show:

* **truncated**: anchored checkpoints whose events are gone from the database, with their
  chain rows and checkpoints (the log cut short, or restored from an earlier backup);
* **rolled back**: the database holds other events at anchored positions than those anchored
  (restored to an earlier state and gone on since, or rewritten wholesale);
* **rewritten seal**: the events still match their anchors but the database's checkpoints do
  not (re-signed, replaced or removed), or it holds checkpoints that were never anchored
  inside the anchored range.

Anchors are trusted only when their Ed25519 signature holds under the trusted public keys;
the sink itself vouches for nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from anchors import AnchorLine, AnchorSink
from projections.engine.core import EVENTS_TABLE, EventLog
from projections.engine.db import Database
from replay.chain import GENESIS, Checkpoint, checkpoints, ensure, fetch_records, next_chain
from replay.keys import PublicKeys

log = logging.getLogger(__name__)

FORMAT = "appraisal-ledger anchor"
_FIELDS = ("position", "previous", "events", "chain", "key_id", "signature")


def anchor_record(mark: Checkpoint, anchored_at: datetime) -> dict[str, Any]:
    """The JSON object anchored for one checkpoint (its signed fields and when)."""
    sealed = mark.sealed_at
    return {
        "format": FORMAT,
        "position": mark.position,
        "previous": mark.previous,
        "events": mark.events,
        "chain": mark.chain,
        "key_id": mark.key_id,
        "signature": mark.signature,
        "sealed_at": sealed.isoformat() if isinstance(sealed, datetime) else str(sealed),
        "anchored_at": anchored_at.isoformat(),
    }


class BadAnchor(ValueError):
    pass


def parse_anchor(record: dict[str, Any]) -> Checkpoint:
    """The checkpoint an anchor record holds (strict: every field present and well typed)."""
    if record.get("format") != FORMAT:
        raise BadAnchor(f"not an anchor (format {record.get('format')!r})")
    for name in ("position", "previous", "events"):
        value = record.get(name)
        if type(value) is not int or value < 0:
            raise BadAnchor(f"{name} is not a non-negative integer")
    for name in ("chain", "key_id", "signature", "sealed_at"):
        if not isinstance(record.get(name), str):
            raise BadAnchor(f"{name} is missing")
    return Checkpoint(
        record["position"],
        record["previous"],
        record["events"],
        record["chain"],
        record["key_id"],
        record["signature"],
        record["sealed_at"],
    )


def same(a: Checkpoint, b: Checkpoint) -> bool:
    """The same signed checkpoint (Ed25519 signatures are deterministic: one key, one
    message, one signature)."""
    return all(getattr(a, f) == getattr(b, f) for f in _FIELDS)


# ------------------------------------------------------------------------------ writing


class Anchorer:
    """Appends every checkpoint the sink lacks, oldest first, after each sealing run."""

    def __init__(self, sink: AnchorSink, keys: PublicKeys) -> None:
        self.sink = sink
        # Only checkpoints the service's own keys signed are anchored.
        self.keys = keys
        self.failures = 0

    def anchor(self, db: Database, now: datetime) -> int:
        """Anchor what is pending; the number of anchors written. Raises AnchorSinkError."""
        ensure(db)
        latest = self.sink.latest()
        last = _parsed(latest)
        with db.transaction(write=False) as tx:
            marks = checkpoints(tx) if last is None else _checkpoints_from(tx, last.position)
        pending = [m for m in marks if last is None or m.position > last.position]
        if last is not None and not any(same(m, last) for m in marks):
            # The database no longer continues the anchored history: anchor every checkpoint
            # the sink lacks, so the fork itself is on record, and say so loudly.
            log.error(
                "the database no longer holds checkpoint %s anchored in %s: run "
                "`appraisals audit verify --anchors`",
                last.position,
                self.sink.name,
            )
            held = {(c.position, c.chain) for c in _valid(self.sink.read(), self.keys)}
            with db.transaction(write=False) as tx:
                marks = checkpoints(tx)
            pending = [m for m in marks if (m.position, m.chain) not in held]
        written = 0
        for mark in pending:
            if not mark.signed_by(self.keys):
                log.error("checkpoint %s is not validly signed: not anchored", mark.position)
                continue
            self.sink.append(anchor_record(mark, now))
            written += 1
        return written


def _checkpoints_from(tx: Any, position: int) -> list[Checkpoint]:
    rows = tx.query(
        "SELECT position, previous, events, chain, key_id, signature, sealed_at "
        "FROM audit_checkpoints WHERE position >= ? ORDER BY position",
        [position],
    )
    return [Checkpoint(int(r[0]), int(r[1]), int(r[2]), r[3], r[4], r[5], r[6]) for r in rows]


def _parsed(record: dict[str, Any] | None) -> Checkpoint | None:
    if record is None:
        return None
    try:
        return parse_anchor(record)
    except BadAnchor:
        return None


def _valid(lines: Iterable[AnchorLine], keys: PublicKeys) -> list[Checkpoint]:
    out = []
    for line in lines:
        mark = _parsed(line.record)
        if mark is not None and mark.signed_by(keys):
            out.append(mark)
    return out


# ----------------------------------------------------------------------------- checking


@dataclass(frozen=True, slots=True)
class AnchorFinding:
    position: int
    # truncated | rolled back | rewritten seal | unanchored | anchor
    problem: str
    detail: str


@dataclass
class AnchorCheck:
    """What the anchors confirmed, and what they contradict."""

    source: str
    anchors: int = 0
    anchored_through: int = 0
    confirmed_through: int = 0
    # Database checkpoints newer than the last anchor (normally seconds old).
    not_yet_anchored: int = 0
    findings: list[AnchorFinding] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"anchors in {self.source}: {self.anchors:,} signed checkpoint(s) through position "
            f"{self.anchored_through}"
        )
        if not self.findings:
            text += f"; the database matches them through position {self.confirmed_through}"
        if self.not_yet_anchored:
            text += f"; {self.not_yet_anchored} newer checkpoint(s) not anchored yet"
        return text


def check_anchors(
    db: Database,
    lines: list[AnchorLine],
    keys: PublicKeys,
    *,
    source: str,
    table: str = EVENTS_TABLE,
) -> AnchorCheck:
    """Compare the database's events and checkpoints with the anchored checkpoints."""
    ensure(db)
    report = AnchorCheck(source)
    found = report.findings
    anchored: dict[int, list[Checkpoint]] = defaultdict(list)
    for line in lines:
        if line.record is None:
            found.append(AnchorFinding(0, "anchor", f"{line.where}: {line.error}"))
            continue
        try:
            mark = parse_anchor(line.record)
        except BadAnchor as e:
            found.append(AnchorFinding(0, "anchor", f"{line.where}: {e}"))
            continue
        if not mark.signed_by(keys):
            why = (
                f"key {mark.key_id} is not among the trusted public keys"
                if keys.get(mark.key_id) is None
                else f"its signature does not verify under key {mark.key_id}"
            )
            found.append(
                AnchorFinding(
                    mark.position,
                    "anchor",
                    f"{line.where}: checkpoint {mark.position} is not validly signed ({why}); "
                    "the anchor was altered or forged, and is ignored",
                )
            )
            continue
        if not any(same(mark, m) for m in anchored[mark.position]):
            anchored[mark.position].append(mark)
    with db.transaction(write=False) as tx:
        marks = {m.position: m for m in checkpoints(tx)}
    report.anchors = sum(len(v) for v in anchored.values())
    report.anchored_through = max(anchored, default=0)
    if not anchored:
        if marks:
            found.append(
                AnchorFinding(
                    1,
                    "anchor",
                    f"{source} holds no validly signed anchor, but the database holds "
                    f"{len(marks)} checkpoint(s): nothing to check them against",
                )
            )
        return report
    head = _head(db, table)
    chains = {(p, m.chain) for p, ms in anchored.items() for m in ms}
    last_db = max(marks, default=0)
    for position in sorted(anchored):
        held = marks.get(position)
        if held is not None and any(same(held, a) for a in anchored[position]):
            if not found:
                report.confirmed_through = position
            continue
        anchor = anchored[position][0]
        sealed = anchor.sealed_at
        span = f"positions {anchor.previous + 1}-{position}"
        records = fetch_records(
            db, anchor.previous, position, position - anchor.previous + 1, table
        )
        starts = (
            [GENESIS]
            if anchor.previous == 0
            else [m.chain for m in anchored.get(anchor.previous, [])]
        )
        entries = [(r[0], r[3]) for r in records]
        if any(next_chain(start, entries) == anchor.chain for start in starts):
            what = "is missing from" if held is None else "differs in"
            found.append(
                AnchorFinding(
                    anchor.previous + 1,
                    "rewritten seal",
                    f"checkpoint {position} anchored at {sealed} {what} the database, though "
                    f"the events it covers ({span}) are unchanged: the database's seal was "
                    "rewritten"
                    + (
                        f" (it now holds a checkpoint signed by key {held.key_id})"
                        if held is not None
                        else ""
                    ),
                )
            )
        elif not records or (head < position and not _forks(marks, anchor)):
            held_text = (
                f"the database's events end at position {head}"
                if head < position
                else "the database holds none of them"
            )
            found.append(
                AnchorFinding(
                    anchor.previous + 1,
                    "truncated",
                    f"the log was cut short: checkpoint {position}, sealed at {sealed} and "
                    f"anchored in {source}, covers {anchor.events} event(s) at {span}, but "
                    f"{held_text} (its last checkpoint is {last_db}): events were deleted "
                    "together with their seal, or the database was restored from an earlier "
                    "backup",
                )
            )
        else:
            found.append(
                AnchorFinding(
                    anchor.previous + 1,
                    "rolled back",
                    f"the database holds other events at {span} than the {anchor.events} "
                    f"sealed at {sealed} and anchored in {source} (checkpoint {position}): it "
                    "was restored to an earlier state and has gone on since, or those events "
                    "were rewritten and resealed",
                )
            )
    for position, mark in sorted(marks.items()):
        if position > report.anchored_through:
            report.not_yet_anchored += 1
        elif (position, mark.chain) not in chains and position not in anchored:
            found.append(
                AnchorFinding(
                    mark.previous + 1,
                    "unanchored",
                    f"the database holds checkpoint {position} (sealed at {mark.sealed_at}), "
                    f"which was never anchored although the anchors reach position "
                    f"{report.anchored_through}: the seal was rewritten after the fact",
                )
            )
    found.sort(key=lambda f: f.position)
    return report


def _forks(marks: dict[int, Checkpoint], anchor: Checkpoint) -> bool:
    """Whether the database went on from inside the anchored segment along another path."""
    return any(
        anchor.previous <= m.previous < anchor.position and not same(m, anchor)
        for m in marks.values()
    )


def _head(db: Database, table: str) -> int:
    with db.transaction(write=False) as tx:
        return EventLog(table).head(tx)


__all__ = [
    "FORMAT",
    "AnchorCheck",
    "AnchorFinding",
    "Anchorer",
    "BadAnchor",
    "anchor_record",
    "check_anchors",
    "parse_anchor",
    "same",
]
