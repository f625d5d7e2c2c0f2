"""The embedded runner: a thread that keeps the read models current in the web process.

The command side calls ``notify()`` after each commit; a short poll catches anything else
(another process writing to the same database, a notification lost to a crash). Read models
whose live generation an older schema built are rebuilt blue/green in a second thread.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from projections.engine.rebuild import RebuildRunning
from projections.engine.service import Projections

log = logging.getLogger(__name__)


class InProcessRunner:
    """Advances every projection in a background thread when notified, and on a poll."""

    def __init__(
        self, projections: Projections, *, poll_interval: float = 1.0, coalesce: float = 0.02
    ) -> None:
        self.projections = projections
        self.poll_interval = poll_interval
        # After a wake-up, wait this long so a burst of commits is applied as one batch
        # rather than one small transaction per projection per commit.
        self.coalesce = coalesce
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebuilder: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self.projections.ensure()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()
        self._rebuilder = start_outdated_rebuild(self.projections)

    def notify(self) -> bool:
        """New events were committed: wake the runner (never blocks, never fails)."""
        self._wake.set()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        # A rebuild of outdated projections checks no stop flag: its last batch finishes
        # before the pools close (the databases close a busy connection only when its
        # transaction ends, but the store's pool does not wait).
        if self._rebuilder is not None:
            self._rebuilder.join(timeout)
            self._rebuilder = None

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            if self._wake.wait(backoff) and self.coalesce > 0:
                self._stopping.wait(self.coalesce)
            self._wake.clear()
            if self._stopping.is_set():
                return
            backoff = self.poll_interval if self._advance_all() else min(backoff * 2, 30.0)

    def _advance_all(self) -> bool:
        """One pass over every projection; False if any failed (the next pass backs off)."""
        healthy = True
        for name in self.projections.names:
            if self._stopping.is_set():
                break
            try:
                # Short runs, so stop() is honoured between them even in a long catch-up.
                while not self._stopping.is_set():
                    if not self.projections.advance(name, max_batches=20):
                        break
            # The runner is a supervisor: one projection's failure (a database outage, a
            # bug meeting an unexpected event) is logged and retried without stopping others.
            except Exception:
                healthy = False
                self.failures += 1
                log.exception("projection %s failed; retrying with back-off", name)
        return healthy

    def __enter__(self) -> InProcessRunner:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_outdated_rebuild(projections: Projections) -> threading.Thread | None:
    """Rebuild outdated read models in a daemon thread (None when none is outdated)."""
    names = projections.outdated()
    if not names:
        return None

    def rebuild() -> None:
        log.warning("rebuilding outdated projections: %s", ", ".join(names))
        try:
            projections.rebuild(names)
        except RebuildRunning:
            log.info("another process is rebuilding %s", ", ".join(names))
            return
        # A supervisor: whatever failed (the database away, a lane), the live generations keep
        # answering and the next start tries again.
        except Exception:
            log.exception("rebuild of outdated projections %s failed", ", ".join(names))
            return
        log.warning("outdated projections rebuilt: %s", ", ".join(names))

    thread = threading.Thread(target=rebuild, name="projections-rebuild", daemon=True)
    thread.start()
    return thread
