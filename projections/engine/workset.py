"""A batch's working set: the read-model rows one transaction reads, changes and writes back.

Handlers never issue SQL per event. Rows are loaded in bulk (by primary key, or by an indexed
column), changed in memory as events are applied in order, and written back once per batch:
so a batch of 1,000 events costs a handful of statements, and any batch size gives the same
result as applying the events one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from projections.engine.db import Table, Tx, working

Row = dict[str, Any]


class Rows:
    """The rows of one keyed table touched by a batch (single-column primary key)."""

    def __init__(
        self,
        tx: Tx,
        table: Table,
        name: str,
        index_on: Sequence[str] = (),
        *,
        sole_writer: bool = False,
    ) -> None:
        if len(table.key) != 1:
            raise ValueError(f"{table.name}: a working set needs a one-column key")
        self._tx = tx
        self.table = table
        self._name = name
        self._key = table.key[0]
        # Text and integers come back as they are; only these columns need converting.
        self._convert = [(c.name, c.type) for c in table.columns if c.type not in ("text", "int")]
        self._cols = table.column_names
        # A row's values in column order, as a tuple (itemgetter of one item gives no tuple).
        self._values: Any = itemgetter(*self._cols) if len(self._cols) > 1 else _one(self._cols)
        self._cache: dict[Any, Row | None] = {}
        self._dirty: set[Any] = set()
        self._index: dict[str, dict[Any, set[Any]]] = {c: {} for c in index_on}
        self._indexed: dict[tuple[str, Any], Any] = {}
        self._loaded_by: set[tuple[str, Any]] = set()
        # Keys a load found no stored row for, while this batch is the table's only writer (a
        # rebuild's bulk phase): their rows are inserted outright, not upserted.
        self._sole_writer = sole_writer
        self._absent: set[Any] = set()

    def _decode(self, stored: Sequence[Any]) -> Row:
        row = dict(zip(self._cols, stored, strict=True))
        for c, t in self._convert:
            if row[c] is not None:
                row[c] = working(t, row[c])
        return row

    def _remember(self, key: Any, row: Row | None) -> None:
        self._cache[key] = row
        if not self._index:
            return
        for column, index in self._index.items():
            old = self._indexed.pop((column, key), None)
            if old is not None:
                index[old].discard(key)
            value = None if row is None else row[column]
            if value is not None:
                index.setdefault(value, set()).add(key)
                self._indexed[(column, key)] = value

    def load(self, keys: Iterable[Any]) -> None:
        """Bring the stored rows of ``keys`` into the working set in one query."""
        missing = list({k for k in keys if k is not None and k not in self._cache})
        if not missing:
            return
        for stored in self._tx.select_in(self.table, self._name, self._key, missing):
            row = self._decode(stored)
            self._remember(row[self._key], row)
        for key in missing:
            if key not in self._cache:
                self._cache[key] = None
                if self._sole_writer:
                    self._absent.add(key)

    def load_where(self, column: str, values: Iterable[Any]) -> None:
        """Bring every stored row whose ``column`` is one of ``values`` into the working set."""
        todo = list({v for v in values if v is not None and (column, v) not in self._loaded_by})
        if not todo:
            return
        for stored in self._tx.select_in(self.table, self._name, column, todo):
            row = self._decode(stored)
            if row[self._key] not in self._cache:  # a row changed in this batch is newer
                self._remember(row[self._key], row)
        self._loaded_by.update((column, v) for v in todo)

    def get(self, key: Any) -> Row | None:
        if key not in self._cache:
            self.load([key])
        return self._cache[key]

    def loaded(self) -> list[Row]:
        """Every row in the working set (loaded or changed in this batch)."""
        return [row for row in self._cache.values() if row is not None]

    def find(self, column: str, value: Any) -> list[Row]:
        """Rows whose indexed ``column`` equals ``value``, stored or changed in this batch."""
        self.load_where(column, [value])
        keys = sorted(self._index[column].get(value, ()))
        return [r for k in keys if (r := self._cache[k]) is not None]

    def put(self, row: Row) -> None:
        """Add or replace a row (also after changing it in place)."""
        key = row[self._key]
        if self._index:
            self._remember(key, row)
        else:  # the common case, without the call (handlers put rows per event)
            self._cache[key] = row
        self._dirty.add(key)

    def delete(self, key: Any) -> None:
        self._remember(key, None)
        self._dirty.add(key)

    def flush(self) -> None:
        if not self._dirty:
            return
        keys = sorted(self._dirty)
        cache, values = self._cache, self._values
        gone = [k for k in keys if cache[k] is None]
        if gone:
            self._tx.delete_in(self.table, self._name, self._key, gone)
        absent = self._absent
        if absent:
            # Rows no stored row stands for go in as they are (COPY straight into the table);
            # once written they are stored like any other.
            new = [values(row) for k in keys if k in absent and (row := cache[k]) is not None]
            rows = [values(row) for k in keys if k not in absent and (row := cache[k]) is not None]
            absent.difference_update(keys)
            if new:
                self._tx.insert(self.table, self._name, new)
        else:
            rows = [values(row) for k in keys if (row := cache[k]) is not None]
        if rows:
            self._tx.upsert(self.table, self._name, rows)
        self._dirty.clear()


def _one(columns: Sequence[str]) -> Any:
    (column,) = columns
    return lambda row: (row[column],)


class Appender:
    """Rows a batch only adds (one per event or per change), written with one bulk insert."""

    def __init__(self, tx: Tx, table: Table, name: str) -> None:
        self._tx = tx
        self.table = table
        self._name = name
        self._rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self._rows.append(values)

    def flush(self) -> None:
        if self._rows:
            self._tx.insert(self.table, self._name, self._rows)
            self._rows = []


class Batch:
    """One transaction of one projection generation: its working sets, by table."""

    def __init__(self, tx: Tx, generation: int, *, bulk: bool = False) -> None:
        self.tx = tx
        self.generation = generation
        self.bulk = bulk
        self._parts: dict[str, Rows | Appender] = {}
        self._rows: dict[str, Rows] = {}
        self._appenders: dict[str, Appender] = {}

    def name(self, table: Table) -> str:
        return table.physical(self.generation)

    def rows(self, table: Table, index_on: Sequence[str] = ()) -> Rows:
        # Called per event by handlers: one dict lookup when the part exists.
        part = self._rows.get(table.name)
        if part is None:
            if table.name in self._parts:
                raise TypeError(f"{table.name} is appended to in this batch, not keyed")
            part = self._rows[table.name] = Rows(
                self.tx, table, self.name(table), index_on, sole_writer=self.bulk
            )
            self._parts[table.name] = part
        return part

    def appender(self, table: Table) -> Appender:
        part = self._appenders.get(table.name)
        if part is None:
            if table.name in self._parts:
                raise TypeError(f"{table.name} is keyed in this batch, not appended to")
            part = self._appenders[table.name] = Appender(self.tx, table, self.name(table))
            self._parts[table.name] = part
        return part

    def flush(self) -> None:
        for part in self._parts.values():
            part.flush()
