"""The serving protocol's transport (api/security/protocol.py): what a connection writes in one
turn of the event loop leaves in one write, in order, and nothing is lost on close."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from api.security.protocol import CoalescingTransport

T = TypeVar("T")


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    """On a loop of its own, in a thread of its own: the browser tests' Playwright keeps an
    event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario).result()


class Recorded:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return {"peername": ("127.0.0.1", 5)}.get(name)


def test_a_head_and_body_written_in_one_turn_leave_as_one_write() -> None:
    async def scenario() -> Recorded:
        raw = Recorded()
        transport = CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert raw.writes == []
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        assert transport.get_extra_info("peername") == ("127.0.0.1", 5)
        return raw

    assert _run(scenario()).writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_closing_sends_what_is_pending_first_and_large_writes_go_at_once() -> None:
    async def scenario() -> Recorded:
        raw = Recorded()
        transport = CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        big = b"x" * CoalescingTransport.FLUSH_BYTES
        transport.write(b"head")
        transport.write(big)
        assert raw.writes == [b"head" + big]
        transport.write(b"last")
        transport.close()
        await asyncio.sleep(0)
        return raw

    raw = _run(scenario())
    assert raw.writes[1:] == [b"last"] and raw.closed
