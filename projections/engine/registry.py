"""Generations of read models: versioned tables, the live pointer and the stable views.

Each projection's tables exist per generation (``rm_objective_current_v3``). The registry row
of a generation is its tracking record (the log position it has applied) and its state:
``live`` (the one queries read) or ``building`` (a rebuild in progress beside it). Queries
read the stable views (``rm_objective_current``); switching re-points the registry and the
views in one transaction, so readers see the old generation or the new one, never a mix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import blake2b

from projections.engine.core import REGISTRY as REGISTRY
from projections.engine.core import Projection
from projections.engine.db import _DDL, Table, Tx

# What each projection's last rebuild cost, and decoding each event topic in it (a topic's
# row is named by the topic), to balance the lanes of the next one.
COSTS = "rm_rebuild_costs"
LIVE = "live"
BUILDING = "building"
_MAX_IDENT = 63


@dataclass(frozen=True, slots=True)
class Generation:
    name: str
    generation: int
    schema_version: int
    state: str
    position: int
    indexed: bool


def ensure_registry(tx: Tx) -> None:
    tx.lock(REGISTRY)
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {REGISTRY} ("
        "name TEXT NOT NULL, generation INTEGER NOT NULL, schema_version INTEGER NOT NULL, "
        "state TEXT NOT NULL, position BIGINT NOT NULL DEFAULT 0, "
        "indexed INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (name, generation))"
    )
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {COSTS} (name TEXT PRIMARY KEY, "
        "positions BIGINT NOT NULL, seconds DOUBLE PRECISION NOT NULL)"
    )


def record_costs(tx: Tx, costs: Mapping[str, tuple[int, float]]) -> None:
    """Remember what rebuilding each projection took: ``name -> (log positions, seconds)``
    (its batches and its deferred work, indexes and ANALYZE in its lane). A record is only
    updated by one measured over at least as many positions (a resumed rebuild's short tail,
    mostly index builds, says little of a full one), to the mean of the two costs per
    position: one rebuild on a busy machine does not swing the next one's split."""
    for name, (positions, seconds) in sorted(costs.items()):
        if positions > 0:
            tx.execute(
                f"INSERT INTO {COSTS} (name, positions, seconds) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET positions = EXCLUDED.positions, "
                f"seconds = (EXCLUDED.seconds / EXCLUDED.positions + {COSTS}.seconds / "
                f"{COSTS}.positions) / 2 * EXCLUDED.positions "
                f"WHERE EXCLUDED.positions >= {COSTS}.positions",
                [name, positions, seconds],
            )


def costs(tx: Tx) -> dict[str, float]:
    """Seconds per log position of each projection's (and topic's) last recorded rebuild."""
    rows = tx.query(f"SELECT name, positions, seconds FROM {COSTS}")
    return {str(r[0]): float(r[2]) / int(r[1]) for r in rows if int(r[1]) > 0}


def generations(tx: Tx, name: str | None = None) -> list[Generation]:
    sql = f"SELECT name, generation, schema_version, state, position, indexed FROM {REGISTRY}"
    params: list[str] = []
    if name is not None:
        sql += " WHERE name = ?"
        params.append(name)
    rows = tx.query(sql + " ORDER BY name, generation", params)
    return [Generation(r[0], int(r[1]), int(r[2]), r[3], int(r[4]), bool(r[5])) for r in rows]


def live(tx: Tx, name: str) -> Generation | None:
    return next((g for g in generations(tx, name) if g.state == LIVE), None)


def index_name(physical: str, columns: tuple[str, ...]) -> str:
    name = f"{physical}__{'_'.join(columns)}"
    if len(name) > _MAX_IDENT:
        digest = blake2b(name.encode(), digest_size=4).hexdigest()
        name = f"{name[: _MAX_IDENT - 9]}_{digest}"
    return name


def create_table(tx: Tx, table: Table, generation: int, *, indexed: bool) -> None:
    types = _DDL[tx.dialect]
    physical = table.physical(generation)
    columns = ", ".join(
        f"{c.name} {types[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in table.columns
    )
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {physical} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
    )
    if indexed:
        create_indexes(tx, table, generation)


def create_indexes(tx: Tx, table: Table, generation: int) -> None:
    physical = table.physical(generation)
    for columns in table.indexes:
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(physical, columns)} "
            f"ON {physical} ({', '.join(columns)})"
        )


def create_generation(tx: Tx, projection: Projection, *, state: str, indexed: bool) -> int:
    """Tables and a registry row for the projection's next generation; its number."""
    existing = [g.generation for g in generations(tx, projection.name)]
    generation = max(existing, default=0) + 1
    for table in projection.tables:
        create_table(tx, table, generation, indexed=indexed)
    tx.execute(
        f"INSERT INTO {REGISTRY} (name, generation, schema_version, state, position, indexed) "
        "VALUES (?, ?, ?, ?, 0, ?)",
        [projection.name, generation, projection.schema_version, state, int(indexed)],
    )
    if state == LIVE:
        point_views(tx, projection, generation)
    return generation


def mark_indexed(tx: Tx, projection: Projection, generation: int) -> None:
    for table in projection.tables:
        create_indexes(tx, table, generation)
    tx.execute(
        f"UPDATE {REGISTRY} SET indexed = 1 WHERE name = ? AND generation = ?",
        [projection.name, generation],
    )


def analyze(tx: Tx, projection: Projection, generation: int) -> None:
    """Refresh the planner's statistics of a generation's tables (PostgreSQL): after a bulk
    load, until autovacuum gets round to it, the planner would guess at the tables' sizes and
    values and may walk a table where an index holds the page. SQLite's planner prefers an
    index on an equality without statistics: nothing to refresh there."""
    if tx.dialect == "postgresql":
        for table in projection.tables:
            tx.execute(f"ANALYZE {table.physical(generation)}")


def point_views(tx: Tx, projection: Projection, generation: int) -> None:
    for table in projection.tables:
        if table.public:
            tx.execute(f"DROP VIEW IF EXISTS {table.view}")
            tx.execute(f"CREATE VIEW {table.view} AS SELECT * FROM {table.physical(generation)}")


def physical_columns(tx: Tx, physical: str) -> set[str]:
    if tx.dialect == "postgresql":
        rows = tx.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            [physical],
        )
        return {str(r[0]) for r in rows}
    return {str(r[1]) for r in tx.query(f"PRAGMA table_info({physical})")}


def point_compatible_views(tx: Tx, projection: Projection, generation: int) -> None:
    """Views over an older generation with every column the code reads; the columns the
    generation lacks read as NULL until a rebuild of the new schema is switched in."""
    types = _DDL[tx.dialect]
    for table in projection.tables:
        if not table.public:
            continue
        physical = table.physical(generation)
        have = physical_columns(tx, physical)
        columns = ", ".join(
            c.name if c.name in have else f"CAST(NULL AS {types[c.type]}) AS {c.name}"
            for c in table.columns
        )
        tx.execute(f"DROP VIEW IF EXISTS {table.view}")
        tx.execute(f"CREATE VIEW {table.view} AS SELECT {columns} FROM {physical}")


def switch(tx: Tx, projection: Projection, generation: int) -> list[int]:
    """Make ``generation`` live; the generations it replaces (to drop afterwards)."""
    tx.lock(REGISTRY)
    old = [g.generation for g in generations(tx, projection.name) if g.state == LIVE]
    tx.execute(
        f"UPDATE {REGISTRY} SET state = ? WHERE name = ? AND state = ?",
        ["retired", projection.name, LIVE],
    )
    tx.execute(
        f"UPDATE {REGISTRY} SET state = ?, schema_version = ? WHERE name = ? AND generation = ?",
        [LIVE, projection.schema_version, projection.name, generation],
    )
    point_views(tx, projection, generation)
    return old


def drop_generation(tx: Tx, projection: Projection, generation: int) -> None:
    tx.lock(REGISTRY)
    for table in projection.tables:
        tx.execute(f"DROP TABLE IF EXISTS {table.physical(generation)}")
    tx.execute(
        f"DELETE FROM {REGISTRY} WHERE name = ? AND generation = ?",
        [projection.name, generation],
    )


def lock_key(name: str, generation: int) -> str:
    """The advisory lock a projection generation is advanced (or built) under."""
    return f"appraisals:projection:{name}:v{generation}"
