"""Where analysts' rows go: a CSV file, or a table in the database (replaced on each run)."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from projections.engine.db import Database
from replay.custom import Run, table_rows

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def write_csv(out: TextIO, outcome: Run) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(outcome.columns)
    for row in table_rows(outcome):
        writer.writerow([_guarded(v) for v in row])


def _guarded(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def write_table(db: Database, name: str, outcome: Run) -> str:
    """Replace table ``name`` with the rows (columns typed from their values)."""
    rows = list(table_rows(outcome))
    types = [_column_type(db, [r[i] for r in rows]) for i in range(len(outcome.columns))]
    columns = ", ".join(f'"{c}" {t}' for c, t in zip(outcome.columns, types, strict=True))
    with db.transaction() as tx:
        tx.execute(f"DROP TABLE IF EXISTS {name}")
        tx.execute(f"CREATE TABLE {name} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in outcome.columns)
            tx.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return name


def _column_type(db: Database, values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    pg = db.dialect == "postgresql"
    if present and all(isinstance(v, bool) for v in present):
        return "boolean" if pg else "INTEGER"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "bigint" if pg else "INTEGER"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "double precision" if pg else "REAL"
    return "text" if pg else "TEXT"
