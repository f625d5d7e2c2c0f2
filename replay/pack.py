"""Making a review's proof pack (replay/proof.py describes it and checks it offline).

The pack is built from the stored records themselves: the review's and its objectives' events
byte for byte, and every chain segment (with its signed checkpoint) that one of them lies in.
Before anything is written, each segment is recomputed and its signature checked: a pack is
only ever made of a log that verifies around the review.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from events.codec import decode as decode_event
from events.codec import forget_erased, record_hash
from projections.cycle_summary.asof import read_aggregates
from projections.engine.core import EventLog, decode
from projections.engine.db import Database
from replay.aggregates import HistoryEntry, Recorder, fold
from replay.chain import GENESIS, Checkpoint, checkpoints, ensure, fetch_records, next_chain
from replay.keys import PublicKeys, SigningKey
from replay.proof import FORMAT, VERSION, manifest_message
from replay.report import (
    ReportNotFound,
    build_report,
    render_report_html,
    render_report_pdf,
)
from replay.timeline import review_timeline

_OBJECTIVES_OF_REVIEW = frozenset({"ObjectiveLinked", "ObjectiveUnlinked"})

README = """\
Proof pack of one appraisal review (appraisal-ledger)

What it holds
  report.json      the review as it stands: stage, assessment, sign-offs, appeal (data)
  report.html      the written report as people read it, rendered at the pack's last
  report.pdf       checkpoint (its footer names the log position and record hash it shows)
  timeline.json    every event of the review and its objectives, with names, in log order
  events.jsonl     the same events exactly as stored (base64), so their hashes can be redone
  segments.json    the audit chain segments they lie in, each closed by a signed checkpoint
  public-keys.pem  the service's Ed25519 public key(s)
  manifest.json    the list of events and documents, signed (manifest.sig)

How to check it (no database, no network, no settings needed)
  pip install appraisal-ledger   (or use any install of the service's package)
  appraisals audit verify-pack THIS-FILE.zip --public-key TRUSTS-PUBLISHED-KEY.pem
      [--anchors ANCHOR-FILE.jsonl]

It checks that every event hashes to its place in the chain, that each chain segment hashes
to the value its checkpoint signs, that every signature holds under the public key, that each
objective's and the review's events link up with none missing, and that nothing was added,
removed or changed since the pack was made. Obtain the public key from the trust itself
(GET /v1/audit/keys), not from this pack, and the anchor file from whoever keeps it.
"""


class PackError(ValueError):
    """The pack cannot be made (no such review, or the log around it does not verify)."""


@dataclass(frozen=True, slots=True)
class Pack:
    data: bytes
    events: int
    checkpoints: int


def review_records(db: Database, review_id: UUID) -> list[tuple[Any, ...]]:
    """The stored rows (position, aggregate id, version, topic, state) of the review and of
    every objective it ever linked, in log order."""
    with db.transaction(write=False) as tx:
        head = EventLog().head(tx)
        review = read_aggregates(tx, [review_id], upto=head)
        if not review or decode(review[0]).type != "ReviewStarted":
            raise PackError(f"there is no review {review_id}")
        objectives = {
            str(e.data["objective_id"])
            for e in map(decode, review)
            if e.type in _OBJECTIVES_OF_REVIEW
        }
        rows = read_aggregates(tx, objectives, upto=head)
    return sorted([*review, *rows], key=lambda r: int(r[0]))


def build_pack(
    db: Database,
    review_id: UUID,
    *,
    key: SigningKey,
    keys: PublicKeys,
    documents: Mapping[str, bytes],
    now: datetime,
) -> Pack:
    """The proof pack of one review, as zip bytes. ``documents`` (report.json, timeline.json,
    a rendered report...) are added as they are and listed in the signed manifest."""
    ensure(db)
    forget_erased()  # a pack is handed out: no one's words read with a key since erased
    rows = review_records(db, review_id)
    with db.transaction(write=False) as tx:
        marks = checkpoints(tx)
    by_position = {m.position: m for m in marks}
    ends = [m.position for m in marks]
    needed: dict[int, Checkpoint] = {}
    for row in rows:
        position = int(row[0])
        i = bisect.bisect_left(ends, position)
        mark = marks[i] if i < len(marks) and marks[i].previous < position else None
        if mark is None:
            raise PackError(
                f"position {position} is not sealed yet: run `appraisals audit seal` first"
            )
        needed[mark.position] = mark
    segments = []
    sealed: dict[int, str] = {}
    for mark in sorted(needed.values(), key=lambda m: m.position):
        previous = GENESIS if mark.previous == 0 else by_position[mark.previous].chain
        records = fetch_records(db, mark.previous, mark.position, mark.events + 1)
        entries = [(r[0], r[3]) for r in records]
        if next_chain(previous, entries) != mark.chain:
            raise PackError(
                f"the chain segment of checkpoint {mark.position} does not verify: run "
                "`appraisals audit verify`; no pack is made of a log that is not intact"
            )
        if not mark.signed_by(keys):
            raise PackError(
                f"checkpoint {mark.position} is not validly signed by a key of the service's "
                f"keyring (it names key {mark.key_id}): run `appraisals audit verify`"
            )
        sealed.update(entries)
        segments.append(
            {
                "checkpoint": _checkpoint_json(mark),
                "previous_chain": previous,
                "entries": [[p, d] for p, d in entries],
            }
        )
    events = []
    listed = []
    for position, aggregate, version, topic, state in rows:
        stored = bytes(state)
        aggregate_id = str(UUID(str(aggregate)))
        digest = hashlib.sha256(f"{aggregate_id}|{version}|{topic}|".encode())
        digest.update(stored)
        if sealed.get(int(position)) != digest.hexdigest():
            raise PackError(f"the event at position {position} no longer matches its seal")
        events.append(
            {
                "position": int(position),
                "aggregate_id": aggregate_id,
                "version": int(version),
                "topic": topic,
                "state": base64.b64encode(stored).decode(),
            }
        )
        listed.append([int(position), aggregate_id, int(version), digest.hexdigest()])
    files: dict[str, bytes] = {
        "README.txt": README.encode(),
        "events.jsonl": b"".join(orjson.dumps(e) + b"\n" for e in events),
        "segments.json": orjson.dumps(segments),
        "public-keys.pem": keys.pem().encode(),
        **documents,
    }
    manifest = orjson.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "review_id": str(review_id),
            "created_at": now.isoformat(),
            "events": listed,
            "checkpoints": sorted(needed),
            "documents": {
                name: hashlib.sha256(data).hexdigest()
                for name, data in sorted(files.items())
                if name not in ("events.jsonl", "segments.json")
            },
        },
        option=orjson.OPT_INDENT_2,
    )
    signature = orjson.dumps(
        {"key_id": key.key_id, "signature": key.sign(manifest_message(manifest))}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in [
            ("manifest.json", manifest),
            ("manifest.sig", signature),
            *sorted(files.items()),
        ]:
            z.writestr(
                zipfile.ZipInfo(name, date_time=now.timetuple()[:6]),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return Pack(buffer.getvalue(), len(events), len(segments))


def review_documents(db: Database, review_id: UUID) -> dict[str, bytes]:
    """What a person reads in the pack: ``report.json`` (the review and its objectives as
    they stand, folded from their events by the aggregates' own code) and ``timeline.json``
    (every event with names as they were at the time)."""
    forget_erased()
    rows = review_records(db, review_id)
    by_aggregate: dict[str, list[HistoryEntry]] = {}
    for position, aggregate, version, topic, state in rows:
        stored = bytes(state)
        event = decode_event(topic, stored, aggregate, int(version))
        by_aggregate.setdefault(str(UUID(str(aggregate))), []).append(
            HistoryEntry(event, record_hash(topic, aggregate, int(version), stored))
        )
        del position
    review = fold(review_id, by_aggregate.pop(str(review_id)))
    objectives = [fold(UUID(a), entries) for a, entries in sorted(by_aggregate.items())]
    report = {
        "review_id": str(review_id),
        "review": review.state,
        "objectives": [{"objective_id": str(o.aggregate_id), **o.state} for o in objectives],
    }
    timeline = [
        {
            "position": e.position,
            "timestamp": e.timestamp.isoformat(),
            "aggregate_type": e.aggregate_type,
            "aggregate_id": str(e.aggregate_id),
            "version": e.version,
            "event_type": e.event_type,
            "actor_id": str(e.actor_id) if e.actor_id else None,
            "actor_name": e.actor_name,
            "actor_role": e.actor_role,
            "summary": e.summary,
            "reason": e.reason,
            "data": e.data,
        }
        for e in review_timeline(db, review_id)
    ]
    option = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    return {
        "report.json": orjson.dumps(report, option=option),
        "timeline.json": orjson.dumps(timeline, option=option),
    }


def rendered_report(
    db: Database, recorder: Recorder, review_id: UUID, *, upto: int
) -> dict[str, bytes]:
    """The written report (HTML and PDF, as the dashboard renders it) as it stood at log
    position ``upto``: the pack's last checkpoint, so the report shows exactly the events the
    pack proves. Listed in the signed manifest like every document."""
    try:
        report = build_report(db, recorder, review_id, upto=upto)
    except ReportNotFound:
        raise PackError(f"there is no review {review_id}") from None
    return {
        "report.html": render_report_html(report).encode(),
        "report.pdf": render_report_pdf(report),
    }


def last_checkpoint(db: Database) -> int:
    """The log position the last signed checkpoint seals (0: none yet)."""
    with db.transaction(write=False) as tx:
        marks = checkpoints(tx)
    return marks[-1].position if marks else 0


def _checkpoint_json(mark: Checkpoint) -> dict[str, Any]:
    sealed = mark.sealed_at
    return {
        "position": mark.position,
        "previous": mark.previous,
        "events": mark.events,
        "chain": mark.chain,
        "key_id": mark.key_id,
        "signature": mark.signature,
        "sealed_at": sealed.isoformat() if isinstance(sealed, datetime) else str(sealed),
    }


__all__ = [
    "Pack",
    "PackError",
    "build_pack",
    "last_checkpoint",
    "rendered_report",
    "review_documents",
    "review_records",
]
