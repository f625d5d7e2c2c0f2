"""Group commit: the appends that threads of one process make at the same moment, written by
one of them in one transaction.

Every append to the event store takes the log's table lock and holds it until its commit is
on disk (positions are issued in commit order, so a reader never passes a gap that fills in
later). One append at a time therefore pays one lock hand-over and one WAL flush each, and
under concurrency the appends queue for the lock (decision 240). Here the first thread to
arrive writes; threads that arrive while it writes wait, and the first of them then writes
all that queued, in one call, and wakes the others with their own outcome. Each append's
outcome is its own: one that conflicts fails alone (the batch's server function isolates
each append in a savepoint), and only a failure of the whole call (lock timeout, lost
connection) is every member's, each retrying on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Slot(Generic[Item, Result]):
    __slots__ = ("done", "failure", "item", "lead", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = threading.Event()
        self.lead = False
        self.result: Result | None = None
        self.failure: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """``submit`` from any thread; ``write`` gets the items that queued together and returns,
    in their order, each one's result or the exception to raise in its thread."""

    def __init__(self, write: Callable[[Sequence[Item]], Sequence[Result | Exception]]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._queue: list[_Slot[Item, Result]] = []
        self._writing = False

    def submit(self, item: Item) -> Result:
        slot: _Slot[Item, Result] = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            lead = not self._writing
            self._writing = True
        if not lead:
            slot.done.wait()
            if not slot.lead:
                return _outcome(slot)
        self._write_queued()
        return _outcome(slot)

    def _write_queued(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            outcomes = self._write([s.item for s in batch])
            if len(outcomes) != len(batch):  # pragma: no cover - a writer's bug
                raise AssertionError("a group commit wrote a different number of items")
            for s, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    s.failure = outcome
                else:
                    s.result = outcome
        except BaseException as e:  # the whole call failed: every member's failure
            for s in batch:
                s.failure = e
            raise
        finally:
            with self._lock:
                if self._queue:  # those who queued meanwhile: the first of them writes next
                    successor = self._queue[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._writing = False
            for s in batch:
                s.done.set()


def _outcome(slot: _Slot[Item, Result]) -> Result:
    if slot.failure is not None:
        raise slot.failure
    return slot.result  # type: ignore[return-value]
