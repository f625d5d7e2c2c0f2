"""Rich output for the CLI: a rebuild progress bar (events/s, ETA) and the status table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from projections.engine.service import Projections, ProjectionStatus, RebuildProgress


def rebuild_with_progress(
    projections: Projections, names: Sequence[str] | None = None, console: Console | None = None
) -> dict[str, int]:
    """Rebuild blue/green while drawing a progress bar; the new live generations."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:>10,.0f} events/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("rebuild", total=None, rate=0.0)

        def show(p: RebuildProgress) -> None:
            bar.update(
                task,
                description=f"{p.phase} {', '.join(p.names)}"[:60],
                total=max(p.head - p.start, 1),
                completed=p.processed,
                rate=p.events_per_second,
            )

        return projections.rebuild(names, show)


def status_table(rows: Sequence[ProjectionStatus]) -> Table:
    table = Table(title="Projections")
    for column in ("name", "version", "position", "head", "lag", "state"):
        table.add_column(
            column, justify="right" if column in ("position", "head", "lag") else "left"
        )
    for r in rows:
        style = "green" if r.state == "current" else "yellow"
        table.add_row(
            r.name,
            str(r.version),
            f"{r.position:,}",
            f"{r.head:,}",
            f"{r.lag:,}",
            f"[{style}]{r.state}",
        )
    return table
