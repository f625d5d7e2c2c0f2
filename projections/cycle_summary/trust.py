"""trust_cycle_summary: per trust and cycle, its schools side by side and the trust's totals.

Totals count each person and objective once, even when they moved between the trust's
schools during the cycle and so appear in two schools' rows.
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
from projections.cycle_summary.school import school_rows
from projections.cycle_summary.views import SchoolCycleSummaryView, TrustCycleSummaryView
from projections.engine.common import as_model, select
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch

SUBJECTS, FACTS, PRIORITIES = fact_tables("trust_cycle_summary")
TOTALS = Table(
    "trust_cycle_summary",
    (
        Column("trust_id", "id", False),
        Column("cycle_id", "id", False),
        Column("schools_count", "int", False),
        *CYCLE_COLUMNS,
        *METRIC_COLUMNS,
    ),
    key=("trust_id", "cycle_id"),
)
SCHOOLS = Table(
    "trust_cycle_summary_schools",
    (
        Column("trust_id", "id", False),
        Column("cycle_id", "id", False),
        Column("school_id", "id", False),
        Column("school_name", "text"),
        *CYCLE_COLUMNS,
        *METRIC_COLUMNS,
    ),
    key=("trust_id", "cycle_id", "school_id"),
)


class TrustCycleSummary(CycleFacts):
    name = "trust_cycle_summary"
    # 2: review milestones from the shared fold; reinstating and revising un-agree.
    # 3: objectives from the shared objective fold; handlers read typed events.
    schema_version = 3
    rebuild_cost = 3
    subjects, facts, priorities = SUBJECTS, FACTS, PRIORITIES
    tables = (TOTALS, SCHOOLS, SUBJECTS, FACTS, PRIORITIES)

    def summarise(self, batch: Batch, groups: Sequence[Group]) -> None:
        tx = batch.tx
        rows, empty = school_rows(self, batch, groups, SCHOOLS)
        for trust_id, cycle_id, school_id in empty:
            tx.execute(
                f"DELETE FROM {batch.name(SCHOOLS)} "
                "WHERE trust_id = ? AND cycle_id = ? AND school_id = ?",
                [tx.param("id", trust_id), tx.param("id", cycle_id), tx.param("id", school_id)],
            )
        tx.upsert(SCHOOLS, batch.name(SCHOOLS), rows)

        trusts = sorted({(t, c) for t, c, _ in groups})
        counts = self.counts(batch, groups, by_trust=True)
        schools = self._school_counts(batch, groups)
        totals: list[list[Any]] = []
        for trust_id, cycle_id in trusts:
            found = counts.get((trust_id, cycle_id))
            if not found:
                tx.execute(
                    f"DELETE FROM {batch.name(TOTALS)} WHERE trust_id = ? AND cycle_id = ?",
                    [tx.param("id", trust_id), tx.param("id", cycle_id)],
                )
                continue
            values = {
                "trust_id": trust_id,
                "cycle_id": cycle_id,
                "schools_count": schools.get((trust_id, cycle_id), 0),
                **self.cycle_values(batch, cycle_id),
                **self.metric_values(batch, trust_id, None, found),
            }
            totals.append([values[c] for c in TOTALS.column_names])
        tx.upsert(TOTALS, batch.name(TOTALS), totals)

    def _school_counts(self, batch: Batch, groups: Sequence[Group]) -> dict[tuple[str, str], int]:
        tx = batch.tx
        trust_sql, trust_params = tx.in_list("trust_id", "id", sorted({g[0] for g in groups}))
        cycle_sql, cycle_params = tx.in_list("cycle_id", "id", sorted({g[1] for g in groups}))
        rows = tx.query(
            f"SELECT trust_id, cycle_id, COUNT(DISTINCT school_id) FROM {batch.name(FACTS)} "
            f"WHERE {trust_sql} AND {cycle_sql} GROUP BY trust_id, cycle_id",
            trust_params + cycle_params,
        )
        return {(str(t), str(c)): int(n) for t, c, n in rows}


def trust_summary(db: Database, trust_id: UUID, cycle_id: UUID) -> TrustCycleSummaryView | None:
    """A trust's totals for a cycle, with each of its schools side by side."""
    params = [("id", trust_id), ("id", cycle_id)]
    totals = select(db, TOTALS, "trust_id = ? AND cycle_id = ?", params)  # type: ignore[arg-type]
    if not totals:
        return None
    schools = select(
        db,
        SCHOOLS,
        "trust_id = ? AND cycle_id = ?",
        params,  # type: ignore[arg-type]
        "ORDER BY school_name, school_id",
    )
    return TrustCycleSummaryView(**totals[0], schools=as_model(SchoolCycleSummaryView, schools))
