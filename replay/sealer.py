"""Keeps the audit chain sealed as the log grows: a thread woken after commits and on a poll.

The web process runs one (``appraisals.wiring``); any number may run against one database: a
PostgreSQL advisory lock lets one seal at a time, and a checkpoint's unique ``previous`` keeps
two sealers from forking the chain on SQLite.
"""

from __future__ import annotations

import logging
import threading

from projections.engine.db import Database
from replay.chain import seal
from replay.keys import SigningKey

log = logging.getLogger(__name__)


class ChainSealer:
    """Seals new events in a background thread when notified (coalesced), and on a poll."""

    def __init__(
        self, db: Database, key: SigningKey, *, interval: float = 2.0, coalesce: float = 1.0
    ) -> None:
        self.db = db
        self._key = key
        self.interval = interval
        # A burst of commits is sealed under one checkpoint rather than one each.
        self.coalesce = coalesce
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self._thread.start()

    def notify(self) -> bool:
        """New events were committed (never blocks, never fails)."""
        self._wake.set()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def seal_now(self) -> None:
        try:
            seal(self.db, self._key)
        # A supervisor loop: a database outage is logged and retried on the next wake-up.
        except Exception:
            self.failures += 1
            log.exception("could not extend the audit chain; retrying")

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._wake.wait(self.interval) and self.coalesce > 0:
                self._stopping.wait(self.coalesce)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.seal_now()
