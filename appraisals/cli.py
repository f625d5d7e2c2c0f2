"""The ``appraisals`` command line: serve, demo, token, worker, projections, replay, audit."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID, uuid4, uuid5

import structlog
import typer
from rich.console import Console

from appraisals.cli_access import roles_app, sessions_app, tokens_app
from appraisals.cli_import import import_app
from appraisals.cli_privacy import privacy_app
from appraisals.cli_reminders import mail_sink, reminders_app
from appraisals.cli_replay import audit_app, replay_app
from commands.principal import Principal
from config.settings import Settings, get_settings
from events.base import Role

if TYPE_CHECKING:
    from appraisals.demo.summary import DemoSummary
    from commands.store import EventStoreApp
    from projections.engine.service import Projections

log = structlog.get_logger("appraisals.cli")
app = typer.Typer(
    help="appraisal-ledger: event-sourced staff appraisal for school trusts.",
    pretty_exceptions_enable=False,
)
console = Console()
# Set by --debug: expected errors then show their traceback too.
_debug = False


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"appraisals {version('appraisal-ledger')}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for errors (not just one line)")
    ] = False,
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version"),
    ] = False,
) -> None:
    global _debug
    _debug = debug


def _settings() -> Settings:
    return get_settings()


def _expected_errors() -> tuple[type[BaseException], ...]:
    """What an operator can cause and fix (bad settings, a database or Redis down, a domain
    rule): one line and exit 1. Anything else is a bug and keeps its traceback."""
    import psycopg
    import psycopg_pool
    import pydantic
    import redis
    from eventsourcing.persistence import PersistenceError

    from aggregates.errors import DomainError
    from config.settings import UnsafeSettings

    return (
        UnsafeSettings,
        ValueError,
        OSError,
        psycopg.Error,
        psycopg_pool.PoolTimeout,
        PersistenceError,
        redis.RedisError,
        pydantic.ValidationError,
        DomainError,
    )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def main() -> None:
    """The ``appraisals`` entry point (also ``python -m appraisals``)."""
    try:
        app()
    except _expected_errors() as error:
        if _debug:
            raise
        typer.echo(f"appraisals: error: {_one_line(error)} (--debug for details)", err=True)
        raise SystemExit(1) from None


# How long a web worker of `serve --workers N` may leave uvicorn's health ping unanswered.
WORKER_HEALTHCHECK_SECONDS = 120


class _Stop:
    """SIGTERM/SIGINT handlers in place before uvicorn installs its own: uvicorn re-raises
    the signal after its shutdown, and with these the process carries on to close the
    container and exit 0 instead of dying before cleanup."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        self.signals.append(signum)

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Web processes; the read models, audit sealing and reminders run in one"
            " background process beside them (or in `appraisals worker` with Redis)",
        ),
    ] = 1,
    demo_if_empty: Annotated[
        bool, typer.Option("--demo-if-empty", help="Load the demo trust when the store is empty")
    ] = False,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs). SIGTERM or SIGINT stops it cleanly."""
    import uvicorn

    from api.security.protocol import limited_protocol
    from appraisals.app import create_app
    from appraisals.wiring import build, build_store
    from config.logs import configure_logging
    from config.settings import UnsafeSettings, check_production, redact_url

    settings = _settings()
    try:
        check_production(settings, host)
    except UnsafeSettings as e:
        typer.echo(f"refusing to start: {e}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    store_name = redact_url(settings.database_url)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,  # config.logs: one JSON format
        "access_log": False,  # the app logs one access line per request
        "proxy_headers": False,  # the app honours forwarded headers from trusted proxies only
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "h11_max_incomplete_event_size": settings.max_header_bytes
        + settings.max_request_line_bytes,
    }
    # Without Redis the background work (read models, audit sealing, scheduled reminders)
    # runs in one process of its own beside the web processes: `appraisals projections run`,
    # started and stopped here. With Redis it runs in `appraisals worker` processes.
    background = not settings.redis_url
    stop = _Stop()
    if workers > 1:
        # Each process builds and closes its own container (appraisals.app's lifespan). The protocol
        # goes by name (processes are spawned); its limits are the defaults of api/security.
        # Opened here first, so a store or key the processes cannot open (a wrong privacy
        # master key, an unreachable database) stops `serve` at once with the reason, rather
        # than every web process and the background process failing in turn.
        store = build_store(settings)
        try:
            if demo_if_empty and not store.recorder.max_notification_id():
                _run_demo(store, schools=8, staff=400, seed=0)
        finally:
            store.close()
        log.info("serving", url=f"http://{host}:{port}", workers=workers, store=store_name)
        stop.install()
        helper = _Background(host, port) if background else None
        try:
            failed = _run_processes(
                uvicorn.Config(
                    "appraisals.app:create_web_app" if background else "appraisals.app:create_app",
                    factory=True,
                    workers=workers,
                    http="api.security.protocol:LimitedHttpToolsProtocol",
                    # uvicorn kills a worker that does not answer its health ping in this time
                    # and starts another: its default (5 s) is shorter than a worker's start-up
                    # on a loaded machine (imports, pools, schema checks), which then never ends.
                    timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                    **common,
                )
            )
        finally:
            if helper is not None:
                helper.stop()
        if failed:
            log.error("a web process failed to start; stopped", processes=failed)
            raise typer.Exit(1)
        log.info("stopped", signals=[signal.Signals(s).name for s in stop.signals])
        return
    container = build(settings, run_projections=not background)
    stop.install()
    protocol = limited_protocol(
        max_request_line_bytes=settings.max_request_line_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    helper = None
    try:
        if demo_if_empty and not container.store.recorder.max_notification_id():
            console.print("[bold]Empty store: loading the demo trust…[/bold]")
            _run_demo(container.store, schools=8, staff=400, seed=0)
        helper = _Background(host, port) if background else None
        container.start()  # with Redis: the reminder ticker and the wake-ups' broker
        log.info("serving", url=f"http://{host}:{port}", docs="/docs", store=store_name)
        uvicorn.run(create_app(container=container), http=protocol, **common)
    finally:
        if helper is not None:
            helper.stop()
        container.close()
    log.info("stopped", signals=[signal.Signals(s).name for s in stop.signals])


def _run_processes(config: Any) -> int:
    """Run ``config.workers`` web processes under uvicorn's supervisor until it stops; how many
    of them failed to start (uvicorn then stops them all, and `serve` must not exit 0)."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors.multiprocess import Multiprocess

    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    return sum(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)


class _Background:
    """`appraisals projections run` as a child of `serve`, started once the web side answers
    on its port (or after a minute), so the two do not start up at once on a busy machine;
    restarted if it dies (with back-off), stopped (SIGTERM, then waited for) when `serve` stops."""

    def __init__(self, host: str, port: int) -> None:
        import os
        import sys
        import threading

        self._argv = [sys.executable, "-m", "appraisals", "projections", "run"]
        self._argv += ["--parent", str(os.getpid())]
        self._address = ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host, port)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.process: Any = None
        self._thread = threading.Thread(target=self._supervise, name="background", daemon=True)
        self._thread.start()

    def _spawn(self) -> Any:
        import subprocess

        # Its own process group: a Ctrl-C at the terminal reaches `serve`, which stops it.
        return subprocess.Popen(self._argv, start_new_session=True)

    def _web_is_up(self) -> bool:
        import socket

        try:
            with socket.create_connection(self._address, timeout=1):
                return True
        except OSError:
            return False

    def _start_after_web(self) -> None:
        import time

        deadline = time.monotonic() + 60
        while not self._stopping.is_set() and time.monotonic() < deadline:
            if self._web_is_up():
                break
            self._stopping.wait(0.2)
        with self._lock:
            if not self._stopping.is_set():
                self.process = self._spawn()

    def _supervise(self) -> None:
        self._start_after_web()
        pause = 1.0
        while not self._stopping.wait(pause):
            with self._lock:
                code = self.process.poll() if self.process is not None else None
                if code is None or self._stopping.is_set():
                    pause = 1.0
                    continue
                log.error("background process exited; restarting it", returncode=code)
                self.process = self._spawn()
            pause = min(pause * 2, 30.0)

    def stop(self, timeout: float = 60.0) -> None:
        import subprocess

        self._stopping.set()
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _run_demo(store: EventStoreApp, *, schools: int, staff: int, seed: int) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from appraisals import demo
    from appraisals.wiring import build_blob_store

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
            blobs=build_blob_store(_settings()),
            today=datetime.now(UTC),
        )
    console.print(summary.describe())
    _refresh_statistics()
    _print_tokens(summary)


def _refresh_statistics() -> None:
    """On PostgreSQL, bring the read models up to the demo's bulk load and refresh their
    statistics (ANALYZE), so the first queries are planned on what the tables now hold."""
    settings = _settings()
    if not settings.is_postgres:
        return
    from projections.catalogue import read_models

    service = read_models(settings.database_url)
    try:
        service.catch_up()
        service.analyze()
    finally:
        service.close()


def _print_tokens(summary: DemoSummary) -> None:
    """Ready-made bearer tokens for the demo's people (and an auditor and an analyst)."""
    from api.auth import mint_token

    settings = _settings()
    people = [(s.label, s.principal) for s in summary.samples]
    # The CEO chairs the demo trust's pay committee.
    people.append(
        (
            "pay committee",
            Principal(
                summary.trust_leader.principal.id, Role.PAY_COMMITTEE, trust_id=summary.trust_id
            ),
        )
    )
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
    people: Annotated[
        bool,
        typer.Option(
            "--people",
            help="Reprint the loaded demo's people and fresh tokens (same --schools/--staff)",
        ),
    ] = False,
) -> None:
    """Build a realistic trust through the command layer, reading as today (deterministic
    for a seed and a day)."""
    from aggregates.errors import Conflict
    from appraisals import demo
    from appraisals.wiring import build_store

    store = build_store(_settings())
    try:
        year = demo.loaded_year(store, seed)
        if people:
            if year is None:
                console.print(f"No demo trust of seed {seed} in this store: run `appraisals demo`.")
                raise typer.Exit(1)
            summary = demo.generate(
                store,
                schools=schools,
                staff=staff,
                seed=seed,
                first_year=year,
                write=False,
                today=None,
            )
            console.print(summary.describe_people())
            _print_tokens(summary)
            return
        if year is not None:
            # One line on stderr and exit 1 (``main``), as every expected error.
            raise Conflict(
                f"the store already holds the demo trust of seed {seed}: use an empty store "
                "or another seed (`appraisals demo --people` reprints its people and tokens)"
            )
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
    ttl_minutes: Annotated[
        int,
        typer.Option(min=1, help="Lifetime of the token (at most APPRAISALS_JWT_MAX_TTL_MINUTES)"),
    ] = 480,
) -> None:
    """Mint a bearer token for trying the API (development only)."""
    from api.auth import mint_token

    settings = _settings()
    if settings.env == "production":
        raise typer.BadParameter(
            "development tokens are off in production: make a personal API token "
            "(appraisals tokens create, or the dashboard's account page)"
        )
    if ttl_minutes > settings.jwt_max_ttl_minutes:
        typer.echo(f"--ttl-minutes is at most {settings.jwt_max_ttl_minutes}", err=True)
        raise typer.Exit(2)
    principal = Principal(
        id=staff or uuid4(), role=role, trust_id=trust, school_ids=frozenset(school or ())
    )
    typer.echo(
        mint_token(
            principal,
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            ttl=timedelta(minutes=ttl_minutes),
            max_ttl=timedelta(minutes=settings.jwt_max_ttl_minutes),
        )
    )


@app.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, help="Worker threads")] = 2,
    tick: Annotated[float, typer.Option(help="Seconds between catch-up ticks")] = 5.0,
) -> None:
    """Run a projections worker (dramatiq on Redis); start as many as you like."""
    from config.logs import configure_logging
    from projections.catalogue import all_projections
    from projections.engine.workers import run_worker

    settings = _settings()
    if not settings.redis_url:
        console.print("[red]APPRAISALS_REDIS_URL is not set: projections run in `serve`[/red]")
        raise typer.Exit(2)
    configure_logging(settings.log_level)
    # Sealed personal data opens here as in the web processes (the same master key): without
    # the keyring the read models would hold placeholders in place of names and words.
    from appraisals.wiring import install_privacy

    install_privacy(settings)
    stop_reminders = _reminder_worker(settings) if settings.reminders_schedule else None
    try:
        run_worker(
            settings.database_url,
            settings.redis_url,
            settings.redis_namespace,
            projections=all_projections(),
            threads=threads,
            tick_seconds=tick,
        )
    finally:
        if stop_reminders is not None:
            stop_reminders()


def _reminder_worker(settings: Settings) -> Callable[[], None]:
    """Reminders as dramatiq periodic work in this worker (APPRAISALS_REMINDERS_SCHEDULE)."""
    from appraisals.wiring import build
    from reminders.scheduler import make_broker, run_reminder_worker

    assert settings.redis_url is not None
    container = build(settings, run_projections=False)
    broker = make_broker(settings.redis_url, settings.redis_namespace)
    stop = run_reminder_worker(
        broker,
        container.reminders.run_once,
        container.reminders.send_chases,
        settings.redis_namespace,
        interval=settings.reminders_interval_seconds,
    )

    def close() -> None:
        stop()
        broker.close()
        container.close()

    return close


projections_app = typer.Typer(help="Read models: run, status, blue/green rebuild, checksum.")
app.add_typer(projections_app, name="projections")
app.add_typer(replay_app, name="replay")
app.add_typer(audit_app, name="audit")
app.add_typer(roles_app, name="roles")
app.add_typer(tokens_app, name="tokens")
app.add_typer(sessions_app, name="sessions")
app.add_typer(import_app, name="import")
app.add_typer(reminders_app, name="reminders")
app.add_typer(privacy_app, name="privacy")
app.command("mail-sink")(mail_sink)


def _projections() -> Projections:
    from appraisals.wiring import build_store
    from projections.catalogue import read_models

    build_store(_settings()).close()  # creates the event store's tables on a new database
    service = read_models(_settings().database_url)
    service.ensure()
    return service


@projections_app.command("run")
def projections_run(
    parent: Annotated[
        int | None,
        typer.Option(help="Stop when this process (the `serve` that started this) is gone"),
    ] = None,
) -> None:
    """Keep the read models current, seal the audit chain and send scheduled reminders, in
    this process, until SIGTERM or SIGINT. `serve` starts one beside its web processes when
    APPRAISALS_REDIS_URL is not set; with Redis, run `appraisals worker` instead."""
    import os
    import threading
    import time

    from appraisals.wiring import build
    from config.logs import configure_logging
    from projections.engine.runner import LogWatcher

    settings = _settings()
    if settings.redis_url:
        console.print("[red]APPRAISALS_REDIS_URL is set: run `appraisals worker`[/red]")
        raise typer.Exit(2)
    configure_logging(settings.log_level)
    stopping = threading.Event()

    def stop_now(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop_now)
    container = build(settings)
    wake = container.commands.on_committed
    assert wake is not None  # the runner's and the sealer's wake-up (appraisals/wiring.py)
    chases = container.wake_chases
    last_chase_wake = 0.0

    def moved(head: int) -> None:
        nonlocal last_chase_wake
        wake(head)
        # A chase asked for in a web process is sent soon, not at the next interval: the
        # scheduler is asked (at most once a second) whenever the log moved.
        now = time.monotonic()
        if chases is not None and now - last_chase_wake >= 1.0:
            last_chase_wake = now
            chases()

    # The commits happen in the web processes: notice them by the log's head.
    watcher = LogWatcher(container.projections.head, moved)
    try:
        container.start()
        watcher.start()
        log.info("background started", pid=os.getpid())
        while not stopping.wait(1.0):
            if parent is not None and os.getppid() != parent:
                log.warning("serve is gone; stopping", parent=parent)
                break
    finally:
        watcher.stop()
        container.close()
    log.info("background stopped")


@projections_app.command("status")
def projections_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """Each projection's version, position, lag behind the head, and state."""
    from dataclasses import asdict

    import orjson

    from projections.engine.progress import status_table

    service = _projections()
    try:
        rows = service.status()
        if as_json:
            typer.echo(orjson.dumps([asdict(r) for r in rows], option=orjson.OPT_INDENT_2))
        else:
            console.print(status_table(rows))
    finally:
        service.close()


@projections_app.command("rebuild")
def projections_rebuild(
    names: Annotated[list[str] | None, typer.Argument(help="Projections (default: all)")] = None,
) -> None:
    """Rebuild beside the live version, catch up, switch atomically, drop the old one."""
    from projections.engine.progress import rebuild_with_progress

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


@projections_app.command("verify")
def projections_verify(
    names: Annotated[
        list[str] | None, typer.Argument(help="Read models (default: every one the oracle knows)")
    ] = None,
    limit: Annotated[int, typer.Option(help="Mismatches to print at most")] = 50,
) -> None:
    """Fold every aggregate with its own evolve and compare each read model row, field by
    field: exit 1 on any mismatch."""
    from appraisals.wiring import build_store
    from replay.consistency import READ_MODELS, verify

    unknown = set(names or ()) - set(READ_MODELS)
    if unknown:
        console.print(f"[red]the oracle does not know: {', '.join(sorted(unknown))}[/red]")
        console.print(f"known: {', '.join(READ_MODELS)}")
        raise typer.Exit(2)
    service = _projections()
    store = build_store(_settings())
    try:
        head = int(store.recorder.max_notification_id() or 0)
        service.catch_up(names or None)
        mismatches = verify(store.recorder, service.db, names or None, upto=head)
    finally:
        store.close()
        service.close()
    checked = ", ".join(names or READ_MODELS)
    if not mismatches:
        console.print(f"[green]consistent[/green]: {checked} agree with the aggregates")
        return
    for m in mismatches[:limit]:
        typer.echo(str(m))
    console.print(f"[red]{len(mismatches)} mismatches[/red] in {checked}")
    raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
