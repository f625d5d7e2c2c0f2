"""What the as-of queries share: the ``as_of`` parameter and "not replayable yet" answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Query
from pydantic import AfterValidator

from api.problems import NotReady
from replay.summaries import NotReady as NotReplayable

T = TypeVar("T")


def _aware(moment: datetime | None) -> datetime | None:
    """A moment without a zone is read as UTC, as the event store's timestamps are."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


AsOfMoment = Annotated[
    datetime | None,
    AfterValidator(_aware),
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
