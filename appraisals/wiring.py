"""The composition root: builds the event store, the command service and the projections.

Nothing here runs at import time; ``build(settings)`` is called by the CLI, the API factory
and tests, each with the settings they want.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from appraisals.settings import Settings, eventsourcing_env
from commands.service import CommandService, system_clock
from commands.states import StateCache
from commands.store import EventStoreApp


@dataclass
class Container:
    """Everything a running process needs, built once from settings."""

    settings: Settings
    store: EventStoreApp
    commands: CommandService
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.store.close()


def build_store(settings: Settings) -> EventStoreApp:
    return EventStoreApp(env=eventsourcing_env(settings))


def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = system_clock,
    new_id: Callable[[], UUID] = uuid4,
) -> Container:
    store = build_store(settings)
    states = StateCache(
        store, maxsize=settings.state_cache_size, context_ttl=settings.context_cache_ttl
    )
    service = CommandService(store, clock=clock, new_id=new_id, states=states)
    return Container(settings=settings, store=store, commands=service)
