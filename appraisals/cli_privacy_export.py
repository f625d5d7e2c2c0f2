"""``appraisals privacy export``: a subject access export from the command line.

Run by the installation's operator (the platform administrator the other CLI commands act
as), it writes the export to a file (or standard output) and records
``SubjectAccessExported`` like the admin endpoint does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Literal
from uuid import UUID

import typer
from rich.console import Console

from appraisals.cli_access import OPERATOR
from appraisals.wiring import build
from config.settings import get_settings
from privacy.export import UnknownPerson
from privacy.subject_access_service import produce

privacy_export_app = typer.Typer(help="Privacy: subject access export.")
console = Console(stderr=True)
Format = Literal["json", "html", "pdf", "zip"]


def export(
    person: Annotated[UUID, typer.Option(help="The person's staff id")],
    format: Annotated[
        str, typer.Option(help="json, html, pdf, or zip (all three and their files)")
    ] = "json",
    out: Annotated[
        Path | None, typer.Option(help="Where to write it (default: standard output)")
    ] = None,
) -> None:
    """Everything held about a person, redacted of others' private data; recorded as an event."""
    if format not in ("json", "html", "pdf", "zip"):
        console.print(f"[red]unknown format {format!r}: json, html, pdf or zip[/red]")
        raise typer.Exit(2)
    fmt: Format = format  # type: ignore[assignment]
    container = build(get_settings(), run_projections=False)
    try:
        started = time.perf_counter()
        # Names and rows come from the read models: bring them up to the log's head first.
        container.projections.catch_up()
        blobs = container.evidence.blobs if container.evidence is not None else None
        try:
            produced = produce(
                container.projections.db, container.commands, OPERATOR, person, fmt, blobs=blobs
            )
        except UnknownPerson:
            console.print(f"[red]no staff record has the id {person}[/red]")
            raise typer.Exit(1) from None
        if out is None:
            sys.stdout.buffer.write(produced.content)
            sys.stdout.buffer.flush()
        else:
            out.write_bytes(produced.content)
        e = produced.export
        console.print(
            f"{e.person_name}: {len(e.events)} events, {e.row_count} read-model rows, "
            f"{len(e.files)} files, up to log position {e.up_to_position} "
            f"({time.perf_counter() - started:.1f} s); recorded at log position "
            f"{produced.position}"
        )
    finally:
        container.close()


privacy_export_app.command("export")(export)
