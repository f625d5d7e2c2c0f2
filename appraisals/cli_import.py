"""``appraisals import``: onboard a trust's staff from an MIS export; start reviews in bulk."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated
from uuid import UUID, uuid5

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aggregates.errors import DomainError
from commands.principal import Principal
from config.settings import get_settings
from events.base import Role

import_app = typer.Typer(help="Onboard a trust from its MIS: staff exports, reviews in bulk.")
console = Console()


def _admin(trust_id: UUID) -> Principal:
    # The CLI acts as the trust's administrator (a fixed id per trust, as the demo's tokens).
    return Principal(uuid5(trust_id, "import"), Role.ADMIN, trust_id=trust_id)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@import_app.command("staff")
def import_staff(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV export")],
    trust: Annotated[UUID, typer.Option(help="The trust to sync")],
    mapping: Annotated[str, typer.Option(help="A shipped mapping name or a mapping file")] = (
        "generic"
    ),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; record nothing")] = (
        False
    ),
    confirm_leavers: Annotated[
        bool,
        typer.Option("--confirm-leavers", help="Record people missing from the export as leaving"),
    ] = False,
) -> None:
    """Sync staff from an MIS export: add, change, and (confirmed) leave; all or nothing."""
    from appraisals.wiring import build
    from onboarding.mapping import MappingError, load_mapping
    from onboarding.staff_import import plan_sync, record

    try:
        layout = load_mapping(mapping)
    except MappingError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    container = build(get_settings(), run_projections=False)
    try:
        container.projections.catch_up()
        with file.open(encoding="utf-8-sig", newline="") as f:
            plan = plan_sync(container.projections.db, trust, f, layout, today=date.today())
        console.print(
            f"{plan.rows:,} rows: {len(plan.add):,} to add, {len(plan.change):,} to change, "
            f"{len(plan.leave):,} missing from the export, {len(plan.rejected):,} rejected"
        )
        for r in plan.rejected:
            console.print(f"  line {r.line}: {r.reason}", markup=False)
        if dry_run:
            for title, lines in (("add", plan.add), ("change", plan.change), ("leave", plan.leave)):
                for line in lines:
                    console.print(f"  {title}: {line}", markup=False)
        if not plan.ok:
            console.print("[red]Nothing recorded: fix the rejected rows and run again.[/red]")
            raise typer.Exit(1)
        if dry_run:
            return
        if plan.leave and not confirm_leavers:
            console.print(
                f"{len(plan.leave):,} people are missing from the export: not marked as leaving "
                "(run again with --confirm-leavers to record it)"
            )
        todo = plan.to_record(confirm_leavers=confirm_leavers)
        if not todo:
            console.print("Nothing to record: the ledger already matches the export.")
            return
        with _progress() as bar:
            task = bar.add_task("recording", total=len(todo))
            record(
                container.commands,
                _admin(trust),
                plan,
                confirm_leavers=confirm_leavers,
                progress=lambda n: bar.update(task, completed=n),
            )
        console.print(f"Recorded {len(todo):,} changes in one transaction.")
    except DomainError as e:
        console.print(f"[red]Nothing recorded: {e}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()


@import_app.command("reviews")
def start_reviews(
    trust: Annotated[UUID, typer.Option(help="The trust")],
    cycle: Annotated[UUID, typer.Option(help="The cycle to start reviews in")],
    yes: Annotated[bool, typer.Option("--yes", help="Start them (otherwise: the plan only)")] = (
        False
    ),
) -> None:
    """Start a review for every current member of staff without one, appraised by their line
    manager: prints the plan, and starts them with --yes (all or nothing)."""
    from appraisals.wiring import build
    from onboarding.staff_import import plan_reviews

    container = build(get_settings(), run_projections=False)
    try:
        container.projections.catch_up()
        plan = plan_reviews(container.projections.db, trust, cycle)
        console.print(f"{len(plan.start):,} reviews to start, {len(plan.skipped):,} people skipped")
        for appraisee, appraiser in plan.start[:50]:
            console.print(f"  {appraisee}, appraised by {appraiser}", markup=False)
        if len(plan.start) > 50:
            console.print(f"  … and {len(plan.start) - 50:,} more")
        for line in plan.skipped:
            console.print(f"  skipped: {line}", markup=False)
        if not yes or not plan.commands:
            if plan.commands:
                console.print("Run again with --yes to start them.")
            return
        with _progress() as bar:
            task = bar.add_task("starting reviews", total=len(plan.commands))
            container.commands.execute_all(
                plan.commands, _admin(trust), progress=lambda n: bar.update(task, completed=n)
            )
        console.print(f"Started {len(plan.commands):,} reviews.")
    except DomainError as e:
        console.print(f"[red]Nothing recorded: {e}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()
