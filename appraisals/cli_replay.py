"""The ``appraisals replay`` and ``appraisals audit`` commands (registered in ``cli.py``).

replay: an aggregate or a cycle summary as it stood at a moment, analysts' own projections.
audit: seal and verify the tamper-evident chain, export the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from appraisals.settings import Settings, get_settings

if TYPE_CHECKING:
    from projections.db import Database

replay_app = typer.Typer(help="State as of any moment, and analysts' own projections.")
audit_app = typer.Typer(help="The tamper-evident log: seal, verify, export.")
console = Console(stderr=True)


def _settings() -> Settings:
    return get_settings()


@contextmanager
def _database() -> Iterator[Database]:
    """The store's database (its event tables created if it is new)."""
    from appraisals.wiring import build_store
    from projections.db import connect

    settings = _settings()
    build_store(settings).close()
    db = connect(settings.database_url)
    try:
        yield db
    finally:
        db.close()


def _progress(what: str) -> Progress:
    return Progress(
        TextColumn(f"[progress.description]{what}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("position {task.completed:,.0f} of {task.total:,.0f}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


# ------------------------------------------------------------------------------- audit


@audit_app.command("seal")
def audit_seal() -> None:
    """Extend the chain over every event stored since the last signed checkpoint."""
    from replay.chain import seal

    key = _settings().audit_key.get_secret_value().encode()
    with _database() as db, _progress("sealing") as bar:
        task = bar.add_task("seal", total=1)
        sealed = seal(db, key, progress=lambda at, head: bar.update(task, completed=at, total=head))
    if sealed is None:
        console.print("another sealer is at work; nothing done")
        raise typer.Exit(1)
    typer.echo(f"sealed through position {sealed.position} ({sealed.added:,} events added)")


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Recompute every aggregate's chain and the global chain; exit 1 unless intact."""
    import orjson

    from replay.verify import verify

    key = _settings().audit_key.get_secret_value().encode()
    with _database() as db, _progress("verifying") as bar:
        task = bar.add_task("verify", total=1)
        result = verify(
            db, key, progress=lambda at, upper: bar.update(task, completed=at, total=upper)
        )
    if as_json:
        report = {
            "intact": result.intact,
            "intact_up_to": result.intact_up_to,
            "head": result.head,
            "sealed_through": result.sealed,
            "events": result.events,
            "checkpoints": result.checkpoints,
            "seconds": round(result.seconds, 3),
            "findings": result.findings[:20],
        }
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(result.describe())
        for finding in result.findings[1:10]:
            typer.echo(
                f"  also: position {finding.position} ({finding.aggregate_id} "
                f"v{finding.version}): {finding.problem} — {finding.detail}"
            )
        console.print(f"{result.events:,} events in {result.seconds:.1f} s")
    if not result.intact:
        raise typer.Exit(1)


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 moment") from None
