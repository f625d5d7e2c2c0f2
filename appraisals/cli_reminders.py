"""The ``appraisals reminders`` commands and ``appraisals mail-sink`` (registered in ``cli.py``).

``plan`` prints what would be sent on a day, ``send`` records and sends it, ``status`` shows
the ledger (failures included), ``retry`` queues failed reminders again. ``--date`` runs on a
simulated day (the reminder clock is injected).
"""

from __future__ import annotations

import time as time_
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from config.settings import Settings, get_settings

if TYPE_CHECKING:
    from appraisals.wiring import Container

reminders_app = typer.Typer(help="Reminders and chasing: plan, send, status, retry.")
console = Console()

DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Run as on this day (YYYY-MM-DD), at 08:00 local time"),
]


def _settings() -> Settings:
    return get_settings()


def clock_for(day: str | None, zone: str) -> Callable[[], datetime]:
    """The reminder clock: now, or 08:00 on a simulated day in the trust's time zone."""
    if day is None:
        from commands.service import system_clock

        return system_clock
    try:
        when = datetime.combine(date.fromisoformat(day), time(8), ZoneInfo(zone))
    except ValueError as e:
        raise typer.BadParameter(f"--date must be YYYY-MM-DD: {e}") from e
    return lambda: when


@contextmanager
def _container(day: str | None) -> Iterator[Container]:
    from appraisals.wiring import build

    settings = _settings()
    container = build(
        settings,
        clock=clock_for(day, settings.reminders_timezone),
        run_projections=False,
    )
    try:
        # Plan from current read models: bring the two it reads up to the log's head.
        container.projections.catch_up(["review_status", "reminder_context"])
        yield container
    finally:
        container.close()


@reminders_app.command("plan")
def plan(day: DateOption = None) -> None:
    """Print what would be sent today (or on --date); records and sends nothing."""
    with _container(day) as c:
        planned = c.reminders.plan()
        table = Table(title=f"Reminders due on {c.reminders.today(c.reminders.clock())}")
        for column in ("to", "as", "about", "milestone", "step", "deadline", "goes", "state"):
            table.add_column(column)
        for p in sorted(planned, key=lambda p: (p.reminder.name, p.reminder.key)):
            r = p.reminder
            table.add_row(
                f"{r.name} <{r.email}>",
                ", ".join(r.roles),
                r.appraisee_name,
                r.milestone.value,
                r.step,
                r.deadline.isoformat(),
                "digest " + r.deliver_on.isoformat() if r.digest else "now",
                "recorded" if p.recorded else "new",
            )
        console.print(table)
        new = sum(1 for p in planned if not p.recorded)
        people = len({p.reminder.person_id for p in planned})
        console.print(f"{len(planned)} reminders for {people} people ({new} not yet recorded)")


@reminders_app.command("send")
def send(day: DateOption = None) -> None:
    """Record what is due today (or on --date) and send it; each reminder goes once, ever."""
    with _container(day) as c:
        report = c.reminders.run_once()
        console.print(
            f"{report.today}: {report.recorded} recorded, {report.sent} sent in {report.mails} "
            f"mails, {report.failed} failed (retried later), {report.cancelled} cancelled "
            f"(done meanwhile), {report.postponed} held for a quiet period"
        )
        for error in sorted(set(report.errors))[:5]:
            console.print(f"[red]{error}[/red]")
        if report.failed:
            raise typer.Exit(1)


@reminders_app.command("status")
def status() -> None:
    """How many reminders are pending, sent, cancelled and failed; the failures listed."""
    with _container(None) as c:
        counts = c.reminders.ledger.counts()
        console.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no reminders")
        failed = c.reminders.ledger.with_status("failed")
        if failed:
            table = Table(title="Failed reminders (appraisals reminders retry)")
            for column in ("to", "milestone", "step", "attempts", "error"):
                table.add_column(column)
            for d in failed:
                table.add_row(
                    f"{d.name} <{d.email}>",
                    d.milestone.value,
                    d.step,
                    str(d.attempts),
                    d.last_error or "",
                )
            console.print(table)


@reminders_app.command("retry")
def retry(day: DateOption = None) -> None:
    """Queue every failed reminder again (after fixing the mail server)."""
    with _container(day) as c:
        n = c.reminders.ledger.retry(c.reminders.clock())
        console.print(f"{n} failed reminders queued again")


def mail_sink(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (APPRAISALS_SMTP_PORT's default)")] = 1025,
    directory: Annotated[Path, typer.Option("--dir", help="Where mails are kept")] = Path(
        "var/mail"
    ),
) -> None:
    """A local SMTP sink for development: keeps every mail as a .eml file and prints a line."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError as e:  # pragma: no cover - the test extra installs it
        console.print("[red]the mail sink needs aiosmtpd: pip install aiosmtpd[/red]")
        raise typer.Exit(2) from e
    from reminders.sink import FileSink

    sink = FileSink(directory, on_mail=lambda line: console.print(line))
    controller = Controller(sink, hostname=host, port=port)
    controller.start()
    console.print(f"Mail sink on smtp://{host}:{port}, keeping mails in {directory}/ (Ctrl-C)")
    try:
        while True:
            time_.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
