"""Strict parsing of what a request carries besides its body: headers, cursors, moments,
positions, and the query parameters a route does not declare.

The dependencies here are ``async def``: they only parse (no I/O), and FastAPI runs a plain
``def`` dependency in the thread pool, a hand-off per dependency per request.

Everything here fails as a 400/422 problem naming the value, never as a 500: digits are ASCII
digits (``"²".isdigit()`` is true, ``int("²")`` fails), moments have a zone (a naive one is
read as UTC) and a year the calendar can step past, numbers fit in 63 bits.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import AfterValidator, Field

from api.problems import BadCursor, BadHeader, UnknownParameters

# The largest log position or version a client may name (PostgreSQL bigint).
MAX_POSITION = 2**63 - 1
# Moments and dates a client may ask about: wide enough for any appraisal, narrow enough that
# stepping a day or a year past them never overflows.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)

_ETAG = re.compile(r'(?:W/)?"?([0-9]{1,18})"?', re.ASCII)
_KEY = re.compile(r"[\x21-\x7e]{1,200}", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The version you last saw, as its ETag (`"3"`); 412 if stale'),
    ] = None,
) -> int | None:
    if if_match is None:
        return None
    match = _ETAG.fullmatch(if_match.strip())
    if match is None:
        raise BadHeader("If-Match", 'If-Match must be an ETag like "3"')
    return int(match.group(1))


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string of 1-200 visible ASCII characters (e.g. a UUID); "
            "a retry with it records nothing new",
        ),
    ] = None,
) -> str | None:
    if key is None:
        return None
    if _KEY.fullmatch(key) is None:
        raise BadHeader("Idempotency-Key", "Idempotency-Key must be 1-200 visible ASCII characters")
    return key


ExpectedVersion = Annotated[int | None, Depends(expected_version)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def _aware(moment: datetime | None) -> datetime | None:
    """A moment without a zone is read as UTC, as the event store's timestamps are; one
    outside the years a client may ask about is refused."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment.astimezone(UTC).date() <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return moment


def _in_range(day: date | None) -> date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return day


Moment = Annotated[datetime | None, AfterValidator(_aware)]
Day = Annotated[date | None, AfterValidator(_in_range)]
Position = Annotated[int, Field(ge=1, le=MAX_POSITION)]


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        if len(cursor) > 200:
            raise ValueError
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True).decode(
            "ascii"
        )
    except (ValueError, UnicodeError, binascii.Error):
        raise BadCursor("the cursor is not one this API issued") from None


def position_cursor(cursor: str | None) -> int:
    value = decode_cursor(cursor)
    if value is None:
        return 0
    if _DIGITS.fullmatch(value) is None:
        raise BadCursor("the cursor is not one this API issued")
    return int(value)


def moment_cursor(cursor: str | None) -> tuple[datetime | None, int]:
    """A cursor of a list in time order: the moment and log position of the last item
    (``<microseconds since 1970>.<position>``); a position alone is also taken (a page of
    the same list in log order), as ``(None, position)``."""
    value = decode_cursor(cursor)
    if value is None:
        return None, 0
    micros, dot, position = value.partition(".")
    if not dot:
        return None, position_cursor(cursor)
    if not (_DIGITS.fullmatch(micros) and _DIGITS.fullmatch(position)):
        raise BadCursor("the cursor is not one this API issued")
    try:
        moment = _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        raise BadCursor("the cursor is not one this API issued") from None
    return moment, int(position)


def encode_moment_cursor(moment: datetime, position: int) -> str:
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return encode_cursor(f"{micros}.{position}")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def declared_query_names(route: APIRoute) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(route, "_declared_query", None)
    if cached is None:
        cached = frozenset(_query_names(route.dependant))
        route._declared_query = cached  # type: ignore[attr-defined]
    return cached


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """An app-wide dependency: a query parameter the route does not declare is a 422 naming
    it (a mistyped filter must not silently return everything)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = sorted(set(request.query_params) - declared_query_names(route))
    if unknown:
        raise UnknownParameters(unknown)
