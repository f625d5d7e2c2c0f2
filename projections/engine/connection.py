"""Open the database a settings URL names: the one place that knows both dialects."""

from __future__ import annotations

from projections.engine.db import Database
from projections.engine.db_postgres import PostgresDatabase
from projections.engine.db_sqlite import SQLiteDatabase


def connect(url: str, *, pool_size: int = 8) -> Database:
    """The database named by a settings URL: ``sqlite:///path`` or ``postgresql://...``."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, pool_size=pool_size)
    if url.startswith("sqlite://"):
        return SQLiteDatabase(url)
    raise ValueError(f"unsupported database URL {url!r}")
