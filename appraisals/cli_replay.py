"""The ``appraisals replay`` and ``appraisals audit`` commands (registered in ``cli.py``).

replay: an aggregate or a cycle summary as it stood at a moment, analysts' own projections.
audit: seal and verify the tamper-evident chain, export the audit log.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from appraisals.cli_proof import pack_command, verify_pack_command
from config.settings import Settings, get_settings

if TYPE_CHECKING:
    from projections.engine.db import Database

replay_app = typer.Typer(help="State as of any moment, and analysts' own projections.")
audit_app = typer.Typer(help="The tamper-evident log: seal, verify, export.")
console = Console(stderr=True)


def _settings() -> Settings:
    return get_settings()


@contextmanager
def _database() -> Iterator[Database]:
    """The store's database (its event tables created if it is new)."""
    from appraisals.wiring import build_store
    from projections.engine.connection import connect

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
    """Extend the chain over every event stored since the last signed checkpoint, and anchor
    every checkpoint the configured anchor sink lacks."""
    from replay.audit_keys import signing_key
    from replay.chain import seal

    settings = _settings()
    key = signing_key(settings)
    with _database() as db:
        with _progress("sealing") as bar:
            task = bar.add_task("seal", total=1)
            sealed = seal(
                db, key, progress=lambda at, head: bar.update(task, completed=at, total=head)
            )
        if sealed is None:
            console.print("another sealer is at work; nothing done")
            raise typer.Exit(1)
        typer.echo(f"sealed through position {sealed.position} ({sealed.added:,} events added)")
        _anchor(db, settings)


def _anchor(db: Database, settings: Settings) -> None:
    from datetime import UTC
    from datetime import datetime as moment

    from anchors import AnchorSinkError
    from replay.anchoring import Anchorer
    from replay.audit_anchors import AnchorSettingsError, anchor_sink
    from replay.audit_keys import public_keys

    try:
        sink = anchor_sink(settings)
        if sink is None:
            console.print("anchoring is off (APPRAISALS_AUDIT_ANCHOR_SINK=none)")
            return
        written = Anchorer(sink, public_keys(settings)).anchor(db, moment.now(UTC))
    except (AnchorSinkError, AnchorSettingsError) as e:
        console.print(f"[red]could not anchor: {e}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"anchored {written} checkpoint(s) in {sink.name}")


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Write every signed checkpoint the configured anchor sink lacks (the server does this
    after each seal; use this after a sink outage, or to start anchoring an older log)."""
    settings = _settings()
    with _database() as db:
        _anchor(db, settings)


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="A PEM file of trusted public keys (repeatable); default: the service's keyring",
        ),
    ] = None,
    anchors: Annotated[
        str | None,
        typer.Option(
            "--anchors",
            metavar="SOURCE",
            help="Also compare with the checkpoints anchored outside the database: an anchor "
            "file, s3://bucket/prefix, an http(s):// URL, or 'configured' (the service's sink)",
        ),
    ] = None,
) -> None:
    """Recompute every aggregate's chain and the global chain; exit 1 unless intact.

    Needs no secret: checkpoints are checked with Ed25519 public keys only. With --anchors,
    truncation, a rollback and a rewritten seal show too (docs/audit.md)."""
    import orjson

    from anchors import AnchorSinkError
    from replay.audit_anchors import AnchorSettingsError, anchor_source
    from replay.audit_keys import public_keys
    from replay.keys import PublicKeys
    from replay.verify import verify

    settings = _settings()
    if public_key:
        key = PublicKeys([k for path in public_key for k in PublicKeys.read(path)])
    else:
        key = public_keys(settings)
    anchored = None
    sink = None
    if anchors is not None:
        try:
            sink = anchor_source(anchors, settings)
            anchored = sink.read()
        except (AnchorSinkError, AnchorSettingsError, ValueError) as e:
            console.print(f"[red]cannot read the anchors: {e}[/red]")
            raise typer.Exit(2) from None
    with _database() as db, _progress("verifying") as bar:
        task = bar.add_task("verify", total=1)
        result = verify(
            db,
            key,
            progress=lambda at, upper: bar.update(task, completed=at, total=upper),
            anchors=anchored,
            anchor_source=sink.name if sink is not None else "",
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
            "anchors": None
            if result.anchors is None
            else {
                "source": result.anchors.source,
                "anchors": result.anchors.anchors,
                "anchored_through": result.anchors.anchored_through,
                "confirmed_through": result.anchors.confirmed_through,
                "not_yet_anchored": result.anchors.not_yet_anchored,
            },
        }
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(result.describe())
        for finding in result.findings[1:10]:
            where = (
                f"position {finding.position} ({finding.aggregate_id} v{finding.version})"
                if finding.aggregate_id is not None
                else f"from position {finding.position}"
            )
            typer.echo(f"  also: {where}: {finding.problem} — {finding.detail}")
        console.print(f"{result.events:,} events in {result.seconds:.1f} s")
    if not result.intact:
        raise typer.Exit(1)


@audit_app.command("key")
def audit_key(
    as_json: Annotated[
        bool, typer.Option("--json", help="Every published key (current and retired) as JSON")
    ] = False,
) -> None:
    """Print the public key checkpoints are signed with (PEM); give it to auditors."""
    import orjson

    from replay.audit_keys import public_keys, signing_key

    settings = _settings()
    current = signing_key(settings)
    if as_json:
        keys = [
            {
                "key_id": k.key_id,
                "algorithm": "Ed25519",
                "public_key_pem": k.pem,
                "current": k.key_id == current.key_id,
            }
            for k in public_keys(settings)
        ]
        typer.echo(orjson.dumps(keys, option=orjson.OPT_INDENT_2).decode())
        return
    console.print(f"key id {current.key_id} (Ed25519)")
    typer.echo(current.public.pem, nl=False)


@audit_app.command("rotate-key")
def audit_rotate_key() -> None:
    """Sign new checkpoints with a new key; the old public key stays in the keyring."""
    from replay.audit_keys import rotate

    old, new = rotate(_settings())
    typer.echo(f"rotated: new checkpoints are signed by {new.key_id}; {old.key_id} is retired")
    typer.echo("restart the service processes to pick up the new key")


@audit_app.command("new-key")
def audit_new_key(
    out: Annotated[Path, typer.Option(help="Where to write the private key (mode 0600, new)")],
    keyring: Annotated[
        Path | None, typer.Option(help="A keyring file to append the public key to")
    ] = None,
) -> None:
    """Generate an Ed25519 signing key for production; prints its public key."""
    from replay.keys import SigningKey, add_to_keyring

    key = SigningKey.generate()
    key.write(out)
    if keyring is not None:
        add_to_keyring(keyring, key.public)
    console.print(f"wrote {out} (key id {key.key_id})")
    typer.echo(key.public.pem, nl=False)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


@audit_app.command("export")
def audit_export_command(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl")] = ExportFormat.CSV,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output)")
    ] = None,
    trust: Annotated[UUID | None, typer.Option(help="Only this trust's events")] = None,
    aggregate: Annotated[UUID | None, typer.Option(help="Only this aggregate's events")] = None,
    actor: Annotated[UUID | None, typer.Option(help="Only this actor's events")] = None,
    event_type: Annotated[
        str | None, typer.Option("--type", help="Only this event type, e.g. ObjectiveRevised")
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this moment (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option(help="Before this moment (ISO 8601)")] = None,
) -> None:
    """Export the audit log (every event with its actor), streamed in log order."""
    from projections.catalogue import read_models
    from replay.export import audit_export

    written: list[int] = []
    with _database() as db:
        read_models(db).catch_up(["audit_log"])
        chunks = audit_export(
            db,
            fmt.value,
            trust_id=trust,
            aggregate_id=aggregate,
            actor_id=actor,
            event_type=event_type,
            since=_when(since),
            until=_when(until),
            counted=written.append,
        )
        with open(out, "wb") if out is not None else _stdout_bytes() as sink:
            for chunk in chunks:
                sink.write(chunk)
    if out is not None:
        console.print(f"{sum(written):,} events written to {out}")


@contextmanager
def _stdout_bytes() -> Iterator[BinaryIO]:
    yield sys.stdout.buffer
    sys.stdout.flush()


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 moment") from None


# ------------------------------------------------------------------------------ replay


def _json(value: object) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


@replay_app.command("aggregate")
def replay_aggregate(
    aggregate_id: Annotated[UUID, typer.Argument(help="The aggregate's id")],
    version: Annotated[int | None, typer.Option(min=1, help="State after this version")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="State at this moment (ISO 8601)")
    ] = None,
) -> None:
    """An aggregate's state at a version or a moment, with the events that made it (JSON)."""
    from appraisals.wiring import build_store
    from replay.aggregates import UnknownAggregate, described
    from replay.aggregates import as_of as replay_as_of

    if version is not None and as_of is not None:
        raise typer.BadParameter("give --version or --as-of, not both")
    store = build_store(_settings())
    try:
        found = replay_as_of(store.recorder, aggregate_id, version=version, at=_when(as_of))
    except UnknownAggregate as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        store.close()
    typer.echo(
        _json(
            {
                "aggregate_id": str(aggregate_id),
                "kind": found.kind,
                "version": found.version,
                "as_of": as_of,
                "state": found.state,
                "events": [described(e) for e in found.history],
            }
        )
    )


@replay_app.command("summary")
def replay_summary(
    cycle: Annotated[UUID, typer.Option(help="The cycle")],
    as_of: Annotated[str, typer.Option("--as-of", help="The moment (ISO 8601)")],
    school: Annotated[UUID | None, typer.Option(help="A school's summary")] = None,
    trust: Annotated[UUID | None, typer.Option(help="A trust's summary")] = None,
) -> None:
    """A school's or trust's cycle summary as it stood at a moment (JSON), replayed from the
    log through the same projection as the live read model."""
    import time

    from projections.catalogue import read_models
    from replay.summaries import school_summary_as_of, trust_summary_as_of

    if (school is None) == (trust is None):
        raise typer.BadParameter("give --school or --trust")
    moment = _when(as_of)
    assert moment is not None
    with _database() as db:
        # The event index and the summary's facts must cover the moment: bring them current.
        read_models(db).catch_up(["event_index", "school_cycle_summary"])
        started = time.perf_counter()
        if school is not None:
            answer: Any = school_summary_as_of(db, school, cycle, at=moment)
        else:
            assert trust is not None
            answer = trust_summary_as_of(db, trust, cycle, at=moment)
    seconds = time.perf_counter() - started
    if answer.view is None:
        console.print(f"no summary at {as_of} (log position {answer.position})")
        raise typer.Exit(1)
    console.print(
        f"as of {as_of}: log position {answer.position}, {answer.replayed:,} events replayed "
        f"in {seconds:.2f} s"
    )
    typer.echo(
        _json(
            {
                "as_of": moment.isoformat(),
                "position": answer.position,
                "overdue": answer.view.overdue(moment.date()),
                "summary": answer.view,
            }
        )
    )


_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@replay_app.command("run")
def replay_run(
    spec: Annotated[str, typer.Argument(help="path/to/file.py:ClassName")],
    out: Annotated[Path | None, typer.Option(help="Write the rows to this CSV file")] = None,
    table: Annotated[
        str | None,
        typer.Option(help="Write the rows to table analyst_NAME in the database (replaced)"),
    ] = None,
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise/--no-pseudonymise",
            help="Pseudonymise people (default). --no-pseudonymise shows ids, names and free "
            "text: only for administrators with a reason",
        ),
    ] = True,
) -> None:
    """Run an analyst's projection over the whole history (rows to CSV, or to a table)."""
    import time

    from replay.custom import UnknownEventType, load, run
    from replay.pseudonyms import Pseudonymiser

    if out is not None and table is not None:
        raise typer.BadParameter("give --out or --table, not both")
    if table is not None and not _TABLE_NAME.match(table):
        raise typer.BadParameter("--table: lower-case letters, digits and _, up to 40")
    try:
        projection = load(spec)()
    except (OSError, ImportError, LookupError) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    settings = _settings()
    pseudonymiser = None
    if pseudonymise:
        pseudonymiser = Pseudonymiser(settings.pseudonym_key.get_secret_value().encode())
    else:
        console.print(
            "[yellow]--no-pseudonymise: the output names people (ids, names, free text); "
            "handle it as personal data[/yellow]"
        )
    started = time.perf_counter()
    with _database() as db:
        with _progress(f"{type(projection).__name__}") as bar:
            task = bar.add_task("run", total=1)
            try:
                outcome = run(
                    db,
                    projection,
                    pseudonymiser=pseudonymiser,
                    progress=lambda at, head: bar.update(task, completed=at, total=head),
                )
            except UnknownEventType as e:
                console.print(f"[red]{e}[/red]")
                raise typer.Exit(2) from None
        if table is not None:
            from replay.output import write_table

            name = write_table(db, f"analyst_{table}", outcome)
    seconds = time.perf_counter() - started
    rows = len(outcome.projection.rows)
    if table is not None:
        console.print(f"{rows:,} rows written to table {name}")
    else:
        from replay.output import write_csv

        if out is None:
            write_csv(sys.stdout, outcome)
        else:
            with out.open("w", newline="", encoding="utf-8") as f:
                write_csv(f, outcome)
            console.print(f"{rows:,} rows written to {out}")
    console.print(
        f"{outcome.events:,} events read up to position {outcome.head:,} in {seconds:.1f} s"
        + ("" if pseudonymise else " (not pseudonymised)")
    )


# Proof packs (appraisals/cli_proof.py): made here, checked anywhere without the database.
audit_app.command("pack")(pack_command)
audit_app.command("verify-pack")(verify_pack_command)
