"""Group commit (commands/group_commit.py): what queues together is written together, and
each submitter gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from commands.group_commit import GroupCommit


class Writer:
    """Writes batches; the first write waits until released, so the others queue behind it."""

    def __init__(self, hold_first: bool = True) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        if not hold_first:
            self.release.set()

    def __call__(self, items: Sequence[int]) -> list[int | Exception]:
        self.batches.append(list(items))
        self.started.set()
        self.release.wait(timeout=10)
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


def run(group: GroupCommit[int, int], item: int, outcomes: dict[int, object]) -> None:
    try:
        outcomes[item] = group.submit(item)
    except Exception as e:
        outcomes[item] = e


def test_appends_that_queue_while_one_is_written_are_written_together() -> None:
    writer = Writer()
    group: GroupCommit[int, int] = GroupCommit(writer)
    outcomes: dict[int, object] = {}
    first = threading.Thread(target=run, args=(group, 0, outcomes))
    first.start()
    assert writer.started.wait(timeout=10)
    queued = [threading.Thread(target=run, args=(group, i, outcomes)) for i in range(1, 9)]
    for t in queued:
        t.start()
    while sum(len(b) for b in writer.batches) < 1 or len(group._queue) < 8:
        threading.Event().wait(0.01)
    writer.release.set()
    for t in [first, *queued]:
        t.join(timeout=10)
    assert writer.batches == [[0], list(range(1, 9))]
    # Each submitter gets its own outcome: the odd ones failed alone.
    assert {i: o for i, o in outcomes.items() if not isinstance(o, Exception)} == {
        i: i * 10 for i in range(0, 9, 2)
    }
    assert all(str(outcomes[i]) == f"odd {i}" for i in range(1, 9, 2))


def test_a_failure_of_the_whole_write_is_every_members_and_the_next_batch_still_runs() -> None:
    calls: list[list[int]] = []
    release = threading.Event()

    def write(items: Sequence[int]) -> list[int | Exception]:
        calls.append(list(items))
        release.wait(timeout=10)
        if len(calls) == 2:
            raise ConnectionError("lost")
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(write)
    outcomes: dict[int, object] = {}
    threads = [threading.Thread(target=run, args=(group, 0, outcomes))]
    threads[0].start()
    while not calls:
        threading.Event().wait(0.01)
    threads += [threading.Thread(target=run, args=(group, i, outcomes)) for i in (1, 2)]
    for t in threads[1:]:
        t.start()
    while len(group._queue) < 2:
        threading.Event().wait(0.01)
    release.set()
    for t in threads:
        t.join(timeout=10)
    assert outcomes[0] == 0
    assert isinstance(outcomes[1], ConnectionError) and outcomes[1] is outcomes[2]
    # Nothing is left waiting: the next submitter writes at once.
    assert group.submit(7) == 7


def test_one_submitter_alone_writes_its_own_append() -> None:
    writer = Writer(hold_first=False)
    group: GroupCommit[int, int] = GroupCommit(writer)
    assert group.submit(4) == 40
    with pytest.raises(ValueError, match="odd 3"):
        group.submit(3)
    assert writer.batches == [[4], [3]]
