"""What the as-of queries share: the ``as_of`` parameter and "not replayable yet" answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Query

from api.params import Moment
from api.problems import NotReady
from replay.summaries import NotReady as NotReplayable

T = TypeVar("T")


AsOfMoment = Annotated[
    Moment,
    Query(
        description="As it stood at this moment (ISO 8601): the same read model replayed up "
        "to the log position of that moment",
        examples=["2026-03-01T00:00:00Z"],
    ),
]


def replayed(replay: Callable[[], T]) -> T:
    """Run a replay; a live index that has not reached the moment yet is a 503."""
    try:
        return replay()
    except NotReplayable as e:
        raise NotReady(f"{e}; retry shortly") from None
