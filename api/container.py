"""What the API needs from a running process: the container protocol.

The composition root (``appraisals.wiring.Container``) builds one from settings; the API and
the dashboard read it from ``app.state.container`` and depend only on this protocol, so the
API knows nothing of how the pieces are built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from api.identity.service import Identity
from api.security import Security
from commands.evidence_files import EvidenceFiles
from commands.service import CommandService
from commands.store import EventStoreApp
from config.settings import Settings
from privacy.erasure import Eraser
from projections.engine.db import Database
from projections.engine.replica import ReadReplica
from projections.engine.service import Projections
from reminders.service import ReminderService


class Container(Protocol):
    """The pieces of one running process the routes use (read-only to them)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> EventStoreApp:
        """The event store: the write side, and the log that audit and replay read."""
        ...

    @property
    def commands(self) -> CommandService: ...

    @property
    def projections(self) -> Projections:
        """The read models: every query reads these."""
        ...

    @property
    def replica(self) -> ReadReplica | None:
        """The read replica, when ``APPRAISALS_READ_DATABASE_URL`` names one."""
        ...

    def read_db(self, min_position: int | None = None) -> Database:
        """The read models for one query: the replica's when it has what the caller asked
        for (``min_position``), else the primary's (``projections.db``)."""
        ...

    @property
    def security(self) -> Security: ...

    @property
    def reminders(self) -> ReminderService: ...

    @property
    def evidence(self) -> EvidenceFiles | None: ...

    @property
    def identity(self) -> Identity | None: ...

    @property
    def eraser(self) -> Eraser | None:
        """Erases people's personal data (privacy/erasure.py)."""
        ...

    @property
    def wake_chases(self) -> Callable[[], object] | None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...
