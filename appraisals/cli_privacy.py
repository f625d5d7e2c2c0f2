"""``appraisals privacy``: erasure, retention and the master key, from the command line.

The ``privacy`` group is shared: subject access export (issue 18, item 1) adds its own
subcommand here. Erasure and retention run as this installation's operator (a platform
administrator, recorded as the actor); see docs/privacy.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from appraisals.cli_access import OPERATOR
from appraisals.cli_privacy_export import export
from appraisals.wiring import Container, build
from config.settings import get_settings
from events.staff import ErasureBasis

privacy_app = typer.Typer(
    help="Personal data: subject access export, erase a leaver, retention, the master key."
)
privacy_app.command("export")(export)
console = Console()


@contextmanager
def _container() -> Iterator[Container]:
    from config.logs import configure_logging

    settings = get_settings()
    # Its log lines (ids and counts, never a name) go where the service's do, at its level.
    configure_logging(settings.log_level)
    container = build(settings, run_projections=False)
    try:
        yield container
    finally:
        container.close()


@privacy_app.command("erase")
def erase(
    person: Annotated[UUID, typer.Option(help="The leaver's staff id")],
    reason: Annotated[str, typer.Option(help="Why (kept in the log; do not name them)")],
    basis: Annotated[ErasureBasis, typer.Option(help="request or retention")] = (
        ErasureBasis.REQUEST
    ),
) -> None:
    """Erase a leaver's personal data: their key, their files, their names and words in
    every read model. The log still verifies; counts are kept."""
    with _container() as c:
        assert c.eraser is not None
        done = c.eraser.erase(person, reason=reason, principal=OPERATOR, basis=basis)
        console.print(
            f"erased {done.person_id} at log position {done.position}: "
            f"{done.sealed_events} events sealed under their key, {done.files_removed} files "
            f"removed, {done.rows_scrubbed} read-model rows updated in {done.seconds:.2f}s"
        )


@privacy_app.command("retention")
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--run", help="List who is due (default), or erase them")
    ] = True,
    trust: Annotated[UUID | None, typer.Option(help="One trust (default: every trust)")] = None,
    on: Annotated[
        str | None, typer.Option(help="As of this day (YYYY-MM-DD; default today)")
    ] = None,
) -> None:
    """Leavers past their trust's retention period: who (by name) and from when; --run
    erases them as the scheduler would."""
    from privacy import retention as r

    today = date.fromisoformat(on) if on else r.today_utc()
    with _container() as c:
        c.projections.catch_up()
        due = r.plan(c.projections.db, c.commands, today=today, trust_id=trust)
        table = Table("person", "name", "left on", "erase on", "policy")
        for d in due:
            table.add_row(
                str(d.person_id), d.name, str(d.left_on), str(d.erase_on), f"{d.years} years"
            )
        console.print(table)
        if dry_run:
            console.print(f"{len(due)} due for erasure on {today} (dry run: nothing erased)")
            return
        assert c.eraser is not None
        done = r.run(c.eraser, c.projections.db, today=today, trust_id=trust)
        console.print(f"erased {len(done)} of {len(due)} due on {today}")


@privacy_app.command("rewrap")
def rewrap(
    new_key_env: Annotated[
        str,
        typer.Option(help="The environment variable holding the new master key"),
    ] = "APPRAISALS_PRIVACY_NEW_MASTER_KEY",
) -> None:
    """Wrap every person's data key with a new master key (run with the old one configured);
    then set APPRAISALS_PRIVACY_MASTER_KEY to the new one and restart."""
    new = os.environ.get(new_key_env, "")
    if not new:
        raise typer.BadParameter(f"set {new_key_env} to the new master key")
    with _container() as c:
        assert c.eraser is not None
        count = c.eraser.keyring.rewrap(new)
    console.print(
        f"rewrapped {count} keys: set APPRAISALS_PRIVACY_MASTER_KEY to the new key and restart"
    )
