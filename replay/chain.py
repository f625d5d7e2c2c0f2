"""A tamper-evident log: a global hash chain over the event store's notification log.

Each stored event already carries the hash of its aggregate's previous stored record
(``prev_hash``, stamped by the command side), so every aggregate's history is a chain. Sealing
adds a chain over the whole log, in log order:

* ``audit_chain``: one row per stored event — position, aggregate, version and the first 16
  bytes (32 hex digits) of its record hash (``events.codec.record_hash``), so verification can
  name the exact position whose record changed;
* ``audit_checkpoints``: after each sealing run (at most ``SEGMENT`` events apart) the chain
  value ``sha256(previous chain + "\\n" + "<position>:<record hash>\\n" for each event)``,
  signed with the service's Ed25519 key (replay/keys.py). Whoever can edit the database but
  does not hold the private key cannot make a rewritten history match a signed checkpoint,
  and anyone holding the public key can check that.

Record hashes are always computed here, in Python, from the stored bytes: the database is
what is being checked, so it is not asked to vouch for itself.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.engine.core import EVENTS_TABLE, EventLog
from projections.engine.db import Column, Database, Table, Tx
from projections.engine.db_postgres import PostgresDatabase
from replay.keys import PublicKeys, SigningKey, checkpoint_message

CHAIN = Table(
    "audit_chain",
    (
        Column("position", "int", False),
        Column("aggregate_id", "id", False),
        Column("version", "int", False),
        Column("digest", "text", False),
    ),
    key=("position",),
    public=False,
)
CHECKPOINTS = "audit_checkpoints"
GENESIS = "0" * 64
# The most events one checkpoint covers (and one sealing transaction writes).
SEGMENT = 10_000
DIGEST_CHARS = 32
LOCK = "appraisals:audit-chain"

# One stored record, normalised: position, aggregate id (dashed), version, record hash (hex)
# and the prev_hash it carries ("" for null, None when the stored state has no such field).
Record = tuple[int, str, int, str, str | None]

_PREV_KEY = b'"prev_hash":'


def dashed(hex_id: str) -> str:
    if len(hex_id) == 32:
        return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"
    return hex_id


def carried_prev_hash(state: bytes) -> str | None:
    """The ``prev_hash`` a stored state carries: hex, "" for null, None if it has none.

    The codec writes the envelope first, so the first ``"prev_hash":`` is the field itself
    (a quote inside any text value is escaped and cannot start that key)."""
    i = state.find(_PREV_KEY)
    if i < 0:
        return None
    if state[i + 12 : i + 13] != b'"':
        return ""
    return state[i + 13 : i + 77].decode()


def hashed(rows: Iterable[Sequence[Any]]) -> list[Record]:
    """Stored rows ``(position, originator_id, version, topic, state)`` with their record
    hashes: ``events.codec.record_hash``, computed inline for speed (tests hold them equal)."""
    out: list[Record] = []
    append = out.append
    sha256 = hashlib.sha256
    key = _PREV_KEY
    for p, o, v, topic, stored in rows:
        # A record rewritten by hand may come back as text rather than bytes.
        state = stored if type(stored) is bytes else _as_bytes(stored)
        aggregate = o if len(o) == 36 else dashed(o)
        h = sha256(f"{aggregate}|{v}|{topic}|".encode())
        h.update(state)
        # carried_prev_hash, inline: this loop is the cost of verifying.
        i = state.find(key)
        prev = None if i < 0 else state[i + 13 : i + 77].decode() if state[i + 12] == 34 else ""
        append((p, aggregate, v, h.hexdigest(), prev))
    return out


def _as_bytes(stored: Any) -> bytes:
    if isinstance(stored, bytes | bytearray | memoryview):
        return bytes(stored)
    return str(stored).encode()


def _select(dialect: str, table: str) -> str:
    if dialect == "postgresql":
        return (
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            f"FROM {table} WHERE notification_id > ? AND notification_id <= ? "
            "ORDER BY notification_id LIMIT ?"
        )
    return (
        "SELECT rowid, originator_id, originator_version, topic, state "
        f"FROM {table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
    )


def read_records(
    tx: Tx, after: int, upto: int, limit: int, table: str = EVENTS_TABLE
) -> list[Record]:
    """Stored events in ``(after, upto]``, in log order, with their record hashes."""
    return hashed(tx.query(_select(tx.dialect, table), [after, upto, limit]))


def fetch_records(
    db: Database, after: int, upto: int, limit: int, table: str = EVENTS_TABLE
) -> list[Record]:
    """``read_records`` in a transaction of its own; on PostgreSQL over the binary protocol
    (bytea arrives as bytes, not hex text to decode), for verification's full scans."""
    if isinstance(db, PostgresDatabase):
        sql = _select(db.dialect, table).replace("?", "%s")
        with db.connection() as conn, conn.cursor(binary=True) as cur:
            cur.execute(sql, (after, upto, limit))
            return hashed(cur.fetchall())
    with db.transaction(write=False) as tx:
        return read_records(tx, after, upto, limit, table)


def next_chain(previous: str, entries: Sequence[tuple[int, str]]) -> str:
    """The chain value after ``previous`` and the (position, record hash) entries."""
    text = previous + "\n" + "".join(f"{p}:{d}\n" for p, d in entries)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: int
    previous: int
    events: int
    chain: str
    key_id: str
    signature: str
    sealed_at: datetime | str

    @property
    def message(self) -> bytes:
        return checkpoint_message(self.previous, self.position, self.events, self.chain)

    def signed_by(self, keys: PublicKeys) -> bool:
        """True when the signature verifies under the trusted public key it names."""
        key = keys.get(self.key_id)
        return key is not None and key.verifies(self.signature, self.message)


_ENSURED: weakref.WeakSet[Database] = weakref.WeakSet()


def ensure(db: Database) -> None:
    """Create the chain's tables (once per database object)."""
    if db in _ENSURED:
        return
    pg = db.dialect == "postgresql"
    with db.transaction() as tx:
        tx.lock(LOCK)
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {CHAIN.name} (position BIGINT PRIMARY KEY, "
            f"aggregate_id {'uuid' if pg else 'TEXT'} NOT NULL, version BIGINT NOT NULL, "
            "digest TEXT NOT NULL)"
        )
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (position BIGINT PRIMARY KEY, "
            "previous BIGINT NOT NULL UNIQUE, events BIGINT NOT NULL, chain TEXT NOT NULL, "
            "key_id TEXT NOT NULL, signature TEXT NOT NULL, "
            f"sealed_at {'timestamptz' if pg else 'TEXT'} NOT NULL)"
        )
    if ":memory:" not in db.url and "mode=memory" not in db.url:  # one database per connection
        _ENSURED.add(db)


def checkpoints(tx: Tx) -> list[Checkpoint]:
    rows = tx.query(
        "SELECT position, previous, events, chain, key_id, signature, sealed_at "
        f"FROM {CHECKPOINTS} ORDER BY position"
    )
    return [Checkpoint(int(r[0]), int(r[1]), int(r[2]), r[3], r[4], r[5], r[6]) for r in rows]


def last_checkpoint(tx: Tx) -> tuple[int, str]:
    rows = tx.query(f"SELECT position, chain FROM {CHECKPOINTS} ORDER BY position DESC LIMIT 1")
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)


@dataclass(frozen=True, slots=True)
class Sealed:
    """Where sealing got to: the last checkpoint's position and how many events it added."""

    position: int
    added: int
    head: int


def seal(
    db: Database,
    key: SigningKey,
    *,
    table: str = EVENTS_TABLE,
    upto: int | None = None,
    segment: int = SEGMENT,
    progress: Callable[[int, int], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Sealed | None:
    """Extend the chain over every event stored since the last checkpoint (up to ``upto``),
    a signed checkpoint per ``segment`` events. None if another sealer is at work."""
    ensure(db)
    added = 0
    log = EventLog(table)
    with db.locked(LOCK) as got:
        if not got:
            return None
        while True:
            with db.transaction() as tx:
                position, chain = last_checkpoint(tx)
                head = log.head(tx) if upto is None else min(upto, log.head(tx))
                records = read_records(tx, position, head, segment, table)
                if head <= position or not records:
                    return Sealed(position, added, head)
                end = records[-1][0]
                new_chain = next_chain(chain, [(r[0], r[3]) for r in records])
                tx.insert(
                    CHAIN, CHAIN.name, [(p, a, v, d[:DIGEST_CHARS]) for p, a, v, d, _ in records]
                )
                stamp: Any = now() if db.dialect == "postgresql" else now().isoformat()
                tx.execute(
                    f"INSERT INTO {CHECKPOINTS} "
                    "(position, previous, events, chain, key_id, signature, sealed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        end,
                        position,
                        len(records),
                        new_chain,
                        key.key_id,
                        key.sign(checkpoint_message(position, end, len(records), new_chain)),
                        stamp,
                    ],
                )
            added += len(records)
            if progress is not None:
                progress(end, head)


__all__ = [
    "CHAIN",
    "CHECKPOINTS",
    "Checkpoint",
    "Record",
    "Sealed",
    "carried_prev_hash",
    "checkpoints",
    "ensure",
    "next_chain",
    "read_records",
    "seal",
]
