"""The background process's log watcher: wakes the work when the log's head moves, only then,
and keeps going (with back-off) when reading the head fails."""

from __future__ import annotations

import threading

from projections.engine.runner import LogWatcher


def test_wakes_once_per_move_of_the_head_and_survives_a_failing_read() -> None:
    heads: list[int | Exception] = [0, 0, 5, 5, RuntimeError("database away"), 5, 9]
    woken: list[int] = []
    done = threading.Event()

    def head() -> int:
        if not heads:
            done.set()
            return 9
        value = heads.pop(0)
        if isinstance(value, Exception):
            raise value
        return value

    watcher = LogWatcher(head, woken.append, interval=0.001, max_backoff=0.002)
    watcher.start()
    assert done.wait(30)
    watcher.stop()
    assert woken == [0, 5, 9]
