"""Read models: a batched, exactly-once projection engine over the event store's log.

``Projections(database_url)`` is the entry point for wiring; the functions below are the
CLI's one-liners. Nothing here connects to anything at import time.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.service import (
    Progress,
    Projections,
    ProjectionStatus,
    RebuildProgress,
    all_projections,
)


def status(database_url: str) -> list[ProjectionStatus]:
    """Each projection's version, position, head, lag and state."""
    service = Projections(database_url)
    try:
        return service.status()
    finally:
        service.close()


def rebuild(
    database_url: str,
    names: str | Sequence[str] | None = None,
    progress_callback: Progress | None = None,
) -> dict[str, int]:
    """Rebuild projections blue/green (all when ``names`` is None); new live versions."""
    service = Projections(database_url)
    try:
        return service.rebuild(names, progress_callback)
    finally:
        service.close()


def checksum(database_url: str, name: str) -> str:
    """A digest of a projection's live rows (equal read models have equal checksums)."""
    service = Projections(database_url)
    try:
        return service.checksum(name)
    finally:
        service.close()


__all__ = [
    "ProjectionStatus",
    "Projections",
    "RebuildProgress",
    "all_projections",
    "checksum",
    "rebuild",
    "status",
]
