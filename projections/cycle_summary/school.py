"""school_cycle_summary: per school and cycle, staff, objectives, meetings, outcomes, overdue.

People who move school mid-cycle count where they were when each thing happened (see
``cycle_facts``); overdue counts are worked out on read from the pending counts and deadlines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from projections.cycle_summary.facts import (
    CYCLE_COLUMNS,
    METRIC_COLUMNS,
    CycleFacts,
    Group,
    fact_tables,
)
from projections.cycle_summary.views import SchoolCycleSummaryView
from projections.engine.common import as_model, select
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch

SUBJECTS, FACTS, PRIORITIES = fact_tables("school_cycle_summary")
SUMMARY = Table(
    "school_cycle_summary",
    (
        Column("school_id", "id", False),
        Column("cycle_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_name", "text"),
        *CYCLE_COLUMNS,
        *METRIC_COLUMNS,
    ),
    key=("school_id", "cycle_id"),
    indexes=(("trust_id", "cycle_id"),),
)


def school_rows(
    projection: CycleFacts, batch: Batch, groups: Sequence[Group], table: Table
) -> tuple[list[list[Any]], list[Group]]:
    """Summary rows of the groups that have facts, and the groups left without any."""
    counts = projection.counts(batch, groups, by_trust=False)
    rows: list[list[Any]] = []
    empty: list[Group] = []
    for trust_id, cycle_id, school_id in groups:
        found = counts.get((school_id, cycle_id))
        if not found:
            empty.append((trust_id, cycle_id, school_id))
            continue
        values = {
            "school_id": school_id,
            "cycle_id": cycle_id,
            "trust_id": trust_id,
            "school_name": projection.school_name(batch, school_id),
            **projection.cycle_values(batch, cycle_id),
            **projection.metric_values(batch, trust_id, school_id, found),
        }
        rows.append([values[c] for c in table.column_names])
    return rows, empty


class SchoolCycleSummary(CycleFacts):
    name = "school_cycle_summary"
    # 2: review milestones from the shared fold; reinstating and revising un-agree.
    # 3: objectives from the shared objective fold; handlers read typed events.
    schema_version = 3
    rebuild_cost = 3
    subjects, facts, priorities = SUBJECTS, FACTS, PRIORITIES
    tables = (SUMMARY, SUBJECTS, FACTS, PRIORITIES)

    def summarise(self, batch: Batch, groups: Sequence[Group]) -> None:
        rows, empty = school_rows(self, batch, groups, SUMMARY)
        tx, name = batch.tx, batch.name(SUMMARY)
        # A group whose facts all moved away has no row, as if it had never had one.
        for _, cycle_id, school_id in empty:
            tx.execute(
                f"DELETE FROM {name} WHERE school_id = ? AND cycle_id = ?",
                [tx.param("id", school_id), tx.param("id", cycle_id)],
            )
        tx.upsert(SUMMARY, name, rows)


def school_summary(db: Database, school_id: UUID, cycle_id: UUID) -> SchoolCycleSummaryView | None:
    rows = select(
        db, SUMMARY, "school_id = ? AND cycle_id = ?", [("id", school_id), ("id", cycle_id)]
    )
    return as_model(SchoolCycleSummaryView, rows)[0] if rows else None


def school_summaries(db: Database, trust_id: UUID, cycle_id: UUID) -> list[SchoolCycleSummaryView]:
    """Every school of a trust in a cycle."""
    rows = select(
        db,
        SUMMARY,
        "trust_id = ? AND cycle_id = ?",
        [("id", trust_id), ("id", cycle_id)],
        "ORDER BY school_name, school_id",
    )
    return as_model(SchoolCycleSummaryView, rows)
