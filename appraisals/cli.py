"""The ``appraisals`` command line: serve, demo, token, worker, projections, replay, audit."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated
from uuid import UUID, uuid4, uuid5

import typer
from rich.console import Console

from appraisals.cli_access import roles_app, sessions_app, tokens_app
from appraisals.cli_replay import audit_app, replay_app
from appraisals.settings import Settings, get_settings
from commands.principal import Principal
from events.base import Role

if TYPE_CHECKING:
    from appraisals.demo.summary import DemoSummary
    from commands.store import EventStoreApp
    from projections.service import Projections

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
    container.start()  # the in-process projection runner (unless Redis workers do it)
    console.print(f"Serving on http://{host}:{port} (docs at /docs), store {settings.database_url}")
    try:
        uvicorn.run(create_app(container=container), host=host, port=port, log_level="info")
    finally:
        container.close()


def _run_demo(store: EventStoreApp, *, schools: int, staff: int, seed: int) -> None:
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
            store,
            schools=schools,
            staff=staff,
            seed=seed,
            progress=lambda n: progress.update(task, completed=n),
        )
    console.print(summary.describe())
    _print_tokens(summary)


def _print_tokens(summary: DemoSummary) -> None:
    """Ready-made bearer tokens for the demo's people (and an auditor and an analyst)."""
    from api.auth import mint_token

    settings = _settings()
    people = [(s.label, s.principal) for s in summary.samples]
    for role in (Role.AUDITOR, Role.ANALYST):
        # Read-only roles need no staff record: a fixed id per trust keeps tokens stable.
        who = uuid5(summary.trust_id, role.value)
        people.append((role.value, Principal(who, role, trust_id=summary.trust_id)))
    console.print(
        "Sign in at http://127.0.0.1:8000/ as any of the demo's people with one click "
        "(development only), or paste one of these bearer tokens (8 hours; mint more "
        "with `appraisals token`):"
    )
    for label, principal in people:
        token = mint_token(
            principal,
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
        )
        console.print(f"  {label}: {token}", soft_wrap=True)


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
    """Mint a bearer token for trying the API (development only)."""
    from api.auth import mint_token

    settings = _settings()
    if settings.env == "production":
        raise typer.BadParameter(
            "development tokens are off in production: make a personal API token "
            "(appraisals tokens create, or the dashboard's account page)"
        )
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


@app.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, help="Worker threads")] = 2,
    tick: Annotated[float, typer.Option(help="Seconds between catch-up ticks")] = 5.0,
) -> None:
    """Run a projections worker (dramatiq on Redis); start as many as you like."""
    from projections.workers import run_worker

    settings = _settings()
    if not settings.redis_url:
        console.print("[red]APPRAISALS_REDIS_URL is not set: projections run in `serve`[/red]")
        raise typer.Exit(2)
    logging.basicConfig(level=settings.log_level)
    run_worker(
        settings.database_url,
        settings.redis_url,
        settings.redis_namespace,
        threads=threads,
        tick_seconds=tick,
    )


projections_app = typer.Typer(help="Read models: status, blue/green rebuild, checksum.")
app.add_typer(projections_app, name="projections")
app.add_typer(replay_app, name="replay")
app.add_typer(audit_app, name="audit")
app.add_typer(roles_app, name="roles")
app.add_typer(tokens_app, name="tokens")
app.add_typer(sessions_app, name="sessions")


def _projections() -> Projections:
    from appraisals.wiring import build_store
    from projections.service import Projections

    build_store(_settings()).close()  # creates the event store's tables on a new database
    service = Projections(_settings().database_url)
    service.ensure()
    return service


@projections_app.command("status")
def projections_status() -> None:
    """Each projection's version, position, lag behind the head, and state."""
    from projections.progress import status_table

    service = _projections()
    try:
        console.print(status_table(service.status()))
    finally:
        service.close()


@projections_app.command("rebuild")
def projections_rebuild(
    names: Annotated[list[str] | None, typer.Argument(help="Projections (default: all)")] = None,
) -> None:
    """Rebuild beside the live version, catch up, switch atomically, drop the old one."""
    from projections.progress import rebuild_with_progress

    service = _projections()
    try:
        unknown = set(names or ()) - set(service.names)
        if unknown:
            console.print(f"[red]unknown projections: {', '.join(sorted(unknown))}[/red]")
            console.print(f"known: {', '.join(service.names)}")
            raise typer.Exit(2)
        live = rebuild_with_progress(service, names or None, console=console)
        for name, version in live.items():
            console.print(f"{name}: live version {version}")
    finally:
        service.close()


@projections_app.command("checksum")
def projections_checksum(
    name: Annotated[str, typer.Argument(help="Projection name")],
) -> None:
    """A checksum of a read model's contents: equal read models give equal checksums."""
    service = _projections()
    try:
        if name not in service.names:
            console.print(
                f"[red]unknown projection {name}[/red]; known: {', '.join(service.names)}"
            )
            raise typer.Exit(2)
        service.catch_up([name])
        typer.echo(service.checksum(name))
    finally:
        service.close()


if __name__ == "__main__":  # pragma: no cover
    app()
