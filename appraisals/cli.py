"""The ``appraisals`` command line: serve, demo, token, worker, projections, replay, audit."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated
from uuid import UUID, uuid4

import typer
from rich.console import Console

from appraisals.settings import Settings, get_settings
from commands.principal import Principal
from events.base import Role

app = typer.Typer(help="appraisal-ledger: event-sourced staff appraisal for school trusts.")
console = Console()


def _settings() -> Settings:
    return get_settings()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    demo_if_empty: Annotated[
        bool, typer.Option("--demo-if-empty", help="Load the demo trust when the store is empty")
    ] = False,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api.app import create_app
    from appraisals.wiring import build

    settings = _settings()
    logging.basicConfig(level=settings.log_level)
    container = build(settings)
    if demo_if_empty and not container.store.recorder.max_notification_id():
        console.print("[bold]Empty store: loading the demo trust…[/bold]")
        _run_demo(container.store, schools=8, staff=400, seed=0)
    console.print(f"Serving on http://{host}:{port} (docs at /docs), store {settings.database_url}")
    try:
        uvicorn.run(create_app(container=container), host=host, port=port, log_level="info")
    finally:
        container.close()


def _run_demo(store: object, *, schools: int, staff: int, seed: int) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from appraisals import demo

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} events"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("demo", total=None)
        summary = demo.generate(
            store,  # type: ignore[arg-type]
            schools=schools,
            staff=staff,
            seed=seed,
            progress=lambda n: progress.update(task, completed=n),
        )
    console.print(summary.describe())


@app.command("demo")
def demo_command(
    schools: Annotated[int, typer.Option(min=1, help="Number of schools")] = 8,
    staff: Annotated[int, typer.Option(min=10, help="Number of staff across the trust")] = 400,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same trust")] = 0,
) -> None:
    """Build a realistic trust through the command layer (deterministic for a seed)."""
    from appraisals.wiring import build_store

    store = build_store(_settings())
    try:
        _run_demo(store, schools=schools, staff=staff, seed=seed)
    finally:
        store.close()


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="staff, school_leader, trust_leader, auditor, ...")],
    staff: Annotated[
        UUID | None, typer.Option(help="Subject: the staff id (default: a new id)")
    ] = None,
    trust: Annotated[UUID | None, typer.Option(help="The trust (omit for platform admin)")] = None,
    school: Annotated[
        list[UUID] | None, typer.Option(help="A school the leader leads (repeatable)")
    ] = None,
    ttl_minutes: Annotated[int, typer.Option(min=1, help="Lifetime of the token")] = 480,
) -> None:
    """Mint a bearer token for trying the API."""
    from api.auth import mint_token

    settings = _settings()
    principal = Principal(
        id=staff or uuid4(), role=role, trust_id=trust, school_ids=frozenset(school or ())
    )
    typer.echo(
        mint_token(
            principal,
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            ttl=timedelta(minutes=ttl_minutes),
        )
    )


if __name__ == "__main__":  # pragma: no cover
    app()
