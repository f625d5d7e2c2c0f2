"""Erasing a person: the event, their key, their files, and the read models, in seconds.

``Eraser.erase`` runs the ``ErasePerson`` command (policy and rules: a rejected command
records nothing and touches nothing), then completes the erasure:

1. finds the events holding values sealed under the person's key (the ``personal_seals``
   read model up to its position, a scan of the log's tail beyond it) and reads those
   values while the key exists;
2. removes the evidence files they own from the blob store;
3. deletes their key (``privacy.keys``): from now on every copy of those values, in the log
   and in its backups, is unreadable;
4. scrubs the read models without rebuilding them: the audit log's summaries of their
   aggregates are summarised again (their values now read as placeholders), their directory
   entry is re-derived, and in every other table the rows about them (found by indexed id
   columns naming them or one of their aggregates) have their values replaced by the
   placeholders a rebuild would show (``Erased person`` / ``[erased]``).

Counts, dates, outcomes and statuses are untouched: summaries keep their numbers. The
hash chain covers the sealed bytes, which do not change, so ``audit verify`` stays intact
and proof packs still verify.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from commands import messages as m
from commands.evidence_files import BlobStore, blob_key
from commands.principal import Principal
from commands.service import CommandService
from events import sealing
from events.codec import decode_state
from events.sealing import ERASED_PERSON
from events.staff import ErasureBasis, PersonErased
from privacy.keys import KEYS_TABLE, Keyring
from projections.audit_log import audit_events, summarise
from projections.directory import display_name, words
from projections.engine.core import decode
from projections.engine.db import SQLITE_CHUNK, Database, Tx, chunks
from projections.personal_seals import owners, sealed_positions

# Tables never scrubbed: the log (ciphertext), the keys, idempotency fingerprints.
_KEEP = ("appraisals_events", "appraisals_idempotency", KEYS_TABLE, "privacy_master")
# The audit log is re-summarised by aggregate; the event index holds no text of events.
_TARGETED = ("rm_audit_log", "rm_event_index")
# Values shorter than this are replaced only where a whole column holds exactly them: a
# short word inside other people's text is not theirs to take.
_SUBSTRING_FROM = 8
# One bare lower-case word: never replaced as free text (see ``_replace``).
_CODE = re.compile(r"[a-z0-9_]+")


log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erasure did (ids and counts only: it names nobody)."""

    person_id: UUID
    position: int | None
    sealed_events: int
    aggregates: int
    files_removed: int
    rows_scrubbed: int
    seconds: float
    replayed: bool = False


class Eraser:
    """Erases people: the command, then their key, files and read-model rows."""

    def __init__(
        self,
        *,
        commands: CommandService,
        keyring: Keyring,
        db: Database,
        events_table: str,
        blobs: BlobStore | None = None,
        wait_for: Callable[[int], object] | None = None,
    ) -> None:
        self.commands = commands
        self.keyring = keyring
        self.db = db
        self.events_table = events_table
        self.blobs = blobs
        # Waits until the read models have applied a position (so no batch in flight, opened
        # with the key before it went, writes a value back after the scrub).
        self.wait_for = wait_for

    def erase(
        self,
        person_id: UUID,
        *,
        reason: str,
        principal: Principal,
        basis: ErasureBasis = ErasureBasis.REQUEST,
        idempotency_key: str | None = None,
    ) -> Erasure:
        started = time.perf_counter()
        result = self.commands.execute(
            m.ErasePerson(staff_id=person_id, reason=reason, basis=basis),
            principal,
            idempotency_key=idempotency_key,
        )
        done = self.complete(person_id, position=result.position)
        return Erasure(
            person_id,
            result.position,
            done.sealed_events,
            done.aggregates,
            done.files_removed,
            done.rows_scrubbed,
            time.perf_counter() - started,
            replayed=result.replayed,
        )

    def complete(self, person_id: UUID, *, position: int | None = None) -> Erasure:
        """Everything after the event (safe to run again: a second run finds no key)."""
        started = time.perf_counter()
        person = str(person_id)
        # A process that has read the erasure event from the log stops opening their values;
        # until the key is deleted below, this one must open them once more to find them.
        self.keyring.forget(person)
        rows = self._sealed_under(person)
        replacements, files, items = self._values(person, rows)
        aggregates = {UUID(str(r[0])) for r in rows} | {person_id}
        removed = 0
        if self.blobs is not None:
            for evidence_id in files:
                self.blobs.delete(blob_key(evidence_id))
                removed += 1
        self.keyring.erase(person)
        for aggregate_id in aggregates:
            self.commands.states.forget(aggregate_id)
        if position is not None and self.wait_for is not None:
            self.wait_for(position)
        records = _records_about(person, rows)
        scrubbed = self._scrub(person_id, replacements, aggregates, records, frozenset(items))
        # The replaced values' old copies in the database's own files (decision 261).
        self.db.reclaim()
        return Erasure(
            person_id,
            position,
            len(rows),
            len(aggregates),
            removed,
            scrubbed,
            time.perf_counter() - started,
        )

    def finish_interrupted(self) -> list[UUID]:
        """Carry out erasures recorded but not finished: a process that stopped between the
        ``PersonErased`` event and deleting the key left the key (and their files and rows).
        Found from the audit log's erasure entries whose person still has a key; each is
        completed as ``erase`` would have (the retention pass runs this first)."""
        finished: list[UUID] = []
        after = 0
        while page := audit_events(
            self.db, event_type=PersonErased.__name__, after_position=after, limit=500
        ):
            for entry in page:
                if not self.keyring.is_erased(str(entry.aggregate_id)):
                    log.warning("finishing the erasure recorded at position %d", entry.position)
                    self.complete(entry.aggregate_id, position=entry.position)
                    finished.append(entry.aggregate_id)
            after = page[-1].position
        return finished

    # -- finding their values -------------------------------------------------------------------

    def _sealed_under(self, person: str) -> list[tuple[Any, ...]]:
        return sealed_events(self.db, self.events_table, person)

    def _values(
        self, person: str, rows: Sequence[tuple[Any, ...]]
    ) -> tuple[dict[str, str], list[UUID], set[str]]:
        """Their values (opened with their key) and the placeholders they become; the
        evidence files they own; and which values are items of a list."""
        out: dict[str, str] = {}
        files: list[UUID] = []
        items: set[str] = set()
        for originator_id, version, topic, state in rows:
            raw = orjson.loads(bytes(state))
            cls, fields = decode_state(topic, bytes(state), originator_id, version)
            owned = sealing.values_of(
                cls, fields, raw[sealing.SEALED_KEY]["s"], person, items=items
            )
            for value, placeholder in owned:
                out.setdefault(value, placeholder)
            if topic == "appraisals/EvidenceFileAttached":
                files.append(UUID(str(originator_id)))
            if topic in ("appraisals/StaffRegistered", "appraisals/StaffRenamed"):
                name = fields.get("name") or fields.get("new_name")
                if name:
                    out.setdefault(display_name(name, fields.get("preferred_name")), ERASED_PERSON)
        return out, files, items

    # -- scrubbing the read models ----------------------------------------------------------------

    def _scrub(
        self,
        person_id: UUID,
        replacements: dict[str, str],
        aggregates: set[UUID],
        records: set[UUID],
        items: frozenset[str] = frozenset(),
        *,
        thorough: bool = False,
    ) -> int:
        """Their values replaced in the rows about them, found by the id columns an index
        starts with: index lookups, however large the tables (decision 252). With
        ``thorough``, as the scrub was first written: every id column, indexed or not, and
        names also where a text column names their id, a scan of the table per text column
        (the reference the targeted scrub is tested against)."""
        # Their names go from every row naming them; their free text only from the rows about
        # their own records: a row about a colleague they appraised or observed holds the
        # colleague's words, which may be the same phrase (decision 262).
        names = {k: v for k, v in replacements.items() if v == ERASED_PERSON}
        texts = {k: v for k, v in replacements.items() if v != ERASED_PERSON}
        changed = 0
        with self.db.transaction() as tx:
            changed += self._resummarise(tx, aggregates)
            changed += self._directory(tx, person_id)
            if replacements:
                ids = sorted({person_id, *aggregates}, key=str)
                own = sorted(records, key=str)
                for table, (columns, id_columns, indexed) in _columns(tx).items():
                    if table.startswith(_KEEP) or table.startswith(_TARGETED):
                        continue
                    linking = id_columns if thorough else indexed
                    if not linking and not thorough:
                        continue  # no indexed id column: no row of it is found as theirs
                    for column, json in columns:
                        for values, link in (
                            (names, _Link(linking, ids, person_id, search=thorough)),
                            (texts, _Link(linking, own, person_id, names=False)),
                        ):
                            if values:
                                changed += _replace(tx, table, column, json, values, link, items)
        return changed

    def _resummarise(self, tx: Tx, aggregates: Iterable[UUID]) -> int:
        """The audit log's rows of the person's aggregates, summarised again (the sealed
        values now read as placeholders)."""
        # The log keeps ids as PostgreSQL uuids, or as 32 hex digits in SQLite.
        pg = tx.dialect == "postgresql"
        ids = sorted(str(a) if pg else a.hex for a in aggregates)
        if not ids:
            return 0
        where, params = tx.in_list("originator_id", "id" if pg else "text", ids)
        position = "notification_id" if tx.dialect == "postgresql" else "rowid"
        oid = "originator_id::text" if tx.dialect == "postgresql" else "originator_id"
        rows = tx.query(
            f"SELECT {position}, {oid}, originator_version, topic, state "
            f"FROM {self.events_table} WHERE {where}",
            params,
            binary=True,
        )
        summaries = [(summarise(decode(r)), r[0]) for r in rows]
        changed = 0
        for table in _tables_like(tx, "rm_audit_log_v"):
            if table.startswith("rm_audit_log_scope"):
                continue
            tx.executemany(f"UPDATE {table} SET summary = ? WHERE position = ?", summaries)
            changed += len(summaries)
        return changed

    def _directory(self, tx: Tx, person_id: UUID) -> int:
        """Their directory entry as a rebuild now derives it, and their search words."""
        staff = tx.param("id", person_id)
        changed = 0
        placeholder_words = sorted(set(words(f"{ERASED_PERSON} {ERASED_PERSON}")))
        for table in _tables_like(tx, "rm_directory_people_v"):
            changed += tx.execute(
                f"UPDATE {table} SET name = ?, display_name = ?, email = ?, sort_key = ?, "
                "preferred_name = CASE WHEN preferred_name IS NULL THEN NULL ELSE ? END "
                "WHERE staff_id = ?",
                [
                    ERASED_PERSON,
                    ERASED_PERSON,
                    ERASED_PERSON,
                    f"{ERASED_PERSON.lower()}\x1f{person_id}",
                    ERASED_PERSON,
                    staff,
                ],
            )
        for table in _tables_like(tx, "rm_directory_search_v"):
            tx.execute(f"DELETE FROM {table} WHERE staff_id = ?", [staff])
            tx.executemany(
                f"INSERT INTO {table} (entry_id, word, staff_id) VALUES (?, ?, ?)",
                [(f"{person_id}:{w}", w, staff) for w in placeholder_words],
            )
        return changed


def sealed_events(db: Database, events_table: str, person: str) -> list[tuple[Any, ...]]:
    """The stored events with a value sealed under ``person``'s key (``originator_id,
    originator_version, topic, state``): those the ``personal_seals`` read model lists up to
    its position, and those a scan of the log after that position finds (all of the log when
    the read model has no live generation), so a read model that lags, or is being rebuilt
    from scratch, never makes an erasure miss one."""
    mark = f'["{person}","'.encode()
    pg = db.dialect == "postgresql"
    contains = "position(?::bytea in state) > 0" if pg else "instr(state, ?) > 0"
    position = "notification_id" if pg else "rowid"
    columns = "originator_id, originator_version, topic, state"
    rows: list[tuple[Any, ...]] = []
    # PostgreSQL: the read model's registry row is read FOR SHARE (a write transaction).
    with db.transaction(write=pg) as tx:
        upto, positions = sealed_positions(tx, person)
        for chunk in chunks(positions, SQLITE_CHUNK):
            where, params = tx.in_list(position, "int", chunk)
            rows += tx.query(
                f"SELECT {columns} FROM {events_table} WHERE {where} AND {contains}",
                [*params, mark],
                binary=True,
            )
        rows += tx.query(
            f"SELECT {columns} FROM {events_table} WHERE {position} > ? AND {contains}",
            [upto, mark],
            binary=True,
        )
    # The mark also matches a plain list of ids that starts with theirs: only the events
    # with a seal of theirs are theirs (as the read model records them).
    return [r for r in rows if person in owners(bytes(r[3]))]


def _tables_like(tx: Tx, prefix: str) -> list[str]:
    """The base tables whose names start with ``prefix`` (every generation of a read model)."""
    if tx.dialect == "postgresql":
        rows = tx.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' AND table_name LIKE ?",
            [prefix.replace("_", "\\_") + "%"],
        )
    else:
        rows = tx.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'",
            [prefix.replace("_", "\\_") + "%"],
        )
    return [r[0] for r in rows]


# The id columns naming whom a row is about (not a participant such as an appraiser).
_ABOUT = ("staff_id", "person_id")


def _records_about(person: str, rows: Sequence[tuple[Any, ...]]) -> set[UUID]:
    """The aggregates whose sealed events are about the person (their reviews, objectives,
    CPD, evidence, observations of them), not those naming them inside another's record,
    nor their staff record (rows about others name it too: as appraiser, as observer)."""
    about = {
        UUID(str(r[0]))
        for r in rows
        if orjson.loads(bytes(r[3]))[sealing.SEALED_KEY].get("s") == person
    }
    return about - {UUID(person)}


@dataclass(frozen=True, slots=True)
class _Link:
    """Which rows are about the person. ``names``: an id column holding them or one of
    their aggregates, or a text column naming their id (JSON lists of people). Otherwise
    (their free text): an id column holding one of their own records, or a column saying
    whom the row is about (``_ABOUT``) holding them."""

    id_columns: list[str]
    ids: list[UUID]
    person: UUID
    names: bool = True
    # Names also where a text column holds their id (a scan of the table: ``thorough`` only).
    search: bool = True

    def sql(self, tx: Tx, column: str) -> tuple[str, list[Any]]:
        parts, params = [], []
        for c in self.id_columns:
            ids = self.ids if self.names or c not in _ABOUT else [*self.ids, self.person]
            if not ids:
                continue
            where, values = tx.in_list(c, "id", [tx.param("id", i) for i in ids])
            parts.append(where)
            params += values
        if self.names and self.search:
            contains = "strpos({c}, ?) > 0" if tx.dialect == "postgresql" else "instr({c}, ?) > 0"
            parts.append(contains.format(c=column))
            params.append(str(self.person))
        return "(" + " OR ".join(parts or ["1 = 0"]) + ")", params


def _columns(tx: Tx) -> dict[str, tuple[list[tuple[str, bool]], list[str], list[str]]]:
    """Every base table with text columns: its text and JSON columns (``(column,
    is_json)``), its id columns, and those of its id columns an index starts with."""
    out: dict[str, tuple[list[tuple[str, bool]], list[str], list[str]]] = {}
    if tx.dialect == "postgresql":
        rows = tx.query(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name WHERE c.table_schema = current_schema() "
            "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position"
        )
        for table, column, type_ in rows:
            texts, ids, _ = out.setdefault(table, ([], [], []))
            if type_ in ("text", "character varying", "jsonb", "json"):
                texts.append((column, type_ in ("jsonb", "json")))
            elif type_ == "uuid":
                ids.append(column)
        leading = tx.query(
            "SELECT DISTINCT t.relname, a.attname FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema() "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]"
        )
        first = {(str(t), str(c)) for t, c in leading}
    else:
        names = [r[0] for r in tx.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
        first = set()
        for table in names:
            texts, ids, _ = out.setdefault(table, ([], [], []))
            for _, column, type_, *_ in tx.query(f'PRAGMA table_info("{table}")'):
                if (str(column).endswith("_id") or column == "id") and column != "entry_id":
                    ids.append(column)
                elif str(type_).upper() in ("TEXT", "", "JSON", "VARCHAR"):
                    texts.append((column, False))
            # The primary key's index is among them (``sqlite_autoindex_...``).
            for index in tx.query(f'PRAGMA index_list("{table}")'):
                info = tx.query(f'PRAGMA index_info("{index[1]}")')
                first |= {(table, str(r[2])) for r in info if r[0] == 0}
    for table, (_, ids, indexed) in out.items():
        indexed += [c for c in ids if (table, c) in first]
    return {t: v for t, v in sorted(out.items()) if v[0]}


def _replace(
    tx: Tx,
    table: str,
    column: str,
    json: bool,
    replacements: dict[str, str],
    link: _Link,
    items: frozenset[str] = frozenset(),
) -> int:
    """Replace the values in one column: whole values always, inside longer text only for
    values long enough to be theirs (a full name, an email, a sentence).

    Free text that is one bare lower-case word (``met``, ``withdrawn``) is left: it names
    nobody, and it is the shape of the read models' own codes (statuses, outcomes, metrics),
    which a whole-value match would overwrite in the rows about them. For the same reason
    only names are also matched lower-cased (sort keys and search words keep them so): a
    reason "Withdrawn" must not turn their withdrawn objectives' status into a placeholder
    (decision 265)."""
    pairs: list[tuple[str, str]] = []
    for old, new in replacements.items():
        name = new == ERASED_PERSON
        if not name and _CODE.fullmatch(old):
            continue
        pairs.append((old, new))
        if name and old.lower() != old:
            pairs.append((old.lower(), new.lower()))
        escaped = orjson.dumps(old).decode()[1:-1]
        if escaped != old:
            pairs.append((escaped, new))
    if not pairs:
        return 0
    pairs.sort(key=lambda p: -len(p[0]))
    long_ = [p for p in pairs if len(p[0]) >= _SUBSTRING_FROM]
    whole = dict(pairs)
    pg = tx.dialect == "postgresql"
    col = f"{column}::text" if pg and json else column
    contains = "strpos({c}, ?) > 0" if pg else "instr({c}, ?) > 0"
    where = [f"{col} IN ({','.join('?' * len(whole))})"]
    where += [contains.format(c=col) for _ in long_]
    linked, link_params = link.sql(tx, col)
    found = tx.query(
        f"SELECT DISTINCT {col} FROM {table} WHERE ({' OR '.join(where)}) AND {linked}",
        [*whole, *(old for old, _ in long_), *link_params],
    )
    # The new value is a function of the old one alone: rows holding the same value are
    # updated together.
    updates = []
    for (old,) in found:
        value: str = whole.get(old) or old
        if old not in whole:
            value = _without(value, items)
            for before, after in long_:
                value = value.replace(before, after)
        if value != old:
            updates.append((value, old))
    if not updates:
        return 0
    cast = "::jsonb" if pg and json else ""
    changed = 0
    for new, old in updates:
        changed += tx.execute(
            f"UPDATE {table} SET {column} = ?{cast} WHERE {col} = ? AND {linked}",
            [new, old, *link_params],
        )
    return changed


def _without(text: str, items: frozenset[str]) -> str:
    """A JSON list holding items of one of their lists, without those items: an erased list
    reads as empty, so a rebuild shows it so (success criteria, development needs)."""
    if not items or not text.startswith("["):
        return text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(value, list) or not any(isinstance(v, str) and v in items for v in value):
        return text
    return orjson.dumps([v for v in value if not (isinstance(v, str) and v in items)]).decode()
