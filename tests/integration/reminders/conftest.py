"""Reminders against a real SMTP server (aiosmtpd, started here) and the real PostgreSQL."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from appraisals.wiring import Container, build
from commands import messages as m
from config.settings import Settings
from events.values import StaffCategory
from reminders.sink import MemorySink
from testkit.scenario import Org, build_org
from tests.conftest import create_database, drop_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimClock:
    """The injected clock: simulated days, moved by the test."""

    def __init__(self, day: date) -> None:
        self.now = datetime.combine(day, time(8), UTC)

    def __call__(self) -> datetime:
        return self.now

    def day(self, day: date, hour: int = 8) -> datetime:
        self.now = datetime.combine(day, time(hour), UTC)
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


class SmtpServer:
    """An aiosmtpd server on a free port that can be taken down and brought back."""

    def __init__(self) -> None:
        self.sink = MemorySink()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.sink.messages

    def take(self) -> list[EmailMessage]:
        out = list(self.sink.messages)
        self.sink.messages.clear()
        return out


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class World:
    """A trust with its people, a container per worker, the clock and the mail server."""

    url: str
    clock: SimClock
    smtp: SmtpServer
    org: Org
    container: Container
    headteacher_id: uuid.UUID
    manager_id: uuid.UUID
    containers: list[Container] = field(default_factory=list)

    def settings(self, **overrides: Any) -> Settings:
        return settings_for(self.url, self.smtp.port, **overrides)

    def worker(self, **overrides: Any) -> Container:
        """Another process's container on the same database (a second worker)."""
        c = build(self.settings(**overrides), clock=self.clock, run_projections=False)
        self.containers.append(c)
        return c

    def catch_up(self) -> None:
        self.container.projections.catch_up()

    def run(self, day: date, container: Container | None = None) -> list[EmailMessage]:
        self.clock.day(day)
        self.catch_up()
        (container or self.container).reminders.run_once()
        return self.smtp.take()

    def execute(self, command: m.Command, principal: Any) -> None:
        self.container.commands.execute(command, principal)
        self.catch_up()


def settings_for(url: str, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_timeout": 5.0,
        "public_url": "https://appraisals.oak.example",
        "reminders_backoff_seconds": 60.0,
        "reminders_max_attempts": 3,
        "pool_size": 4,
    }
    values.update(overrides)
    return Settings(**values)


def make_world(url: str, smtp: SmtpServer, start: date) -> World:
    clock = SimClock(start)
    container = build(settings_for(url, smtp.port), clock=clock, run_projections=False)
    org = build_org(container.commands)
    svc, admin = container.commands, org.admin
    head = svc.execute(
        m.RegisterStaff(
            trust_id=org.trust_id,
            name="Hana Head",
            email="hana@oak.example",
            job_title="Headteacher",
            category=StaffCategory.HEADTEACHER,
            school_id=org.school_id,
            start_date=date(2018, 9, 1),
        ),
        admin,
    ).aggregate_id
    manager = svc.execute(
        m.RegisterStaff(
            trust_id=org.trust_id,
            name="Lee Manager",
            email="lee@oak.example",
            job_title="Deputy Head",
            school_id=org.school_id,
            start_date=date(2018, 9, 1),
        ),
        admin,
    ).aggregate_id
    svc.execute(
        m.ChangeLineManager(
            staff_id=org.appraisee_id, line_manager_id=manager, reason="Line management set"
        ),
        admin,
    )
    world = World(url, clock, smtp, org, container, head, manager)
    world.catch_up()
    return world


@pytest.fixture
def world(smtp: SmtpServer) -> Iterator[World]:
    url = create_database("appraisals_reminders")
    w = make_world(url, smtp, date(2025, 10, 1))
    try:
        yield w
    finally:
        for c in w.containers:
            c.close()
        w.container.close()
        drop_database(url)


def recipients(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(msg["To"]) for msg in messages)


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    text: str = part.get_content()
    return text


def html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    text: str = part.get_content()
    return text


Runner = Callable[[date], list[EmailMessage]]
