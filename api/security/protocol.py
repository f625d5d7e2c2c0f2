"""uvicorn's HTTP protocols with request line and header limits decided while reading.

The stock servers read a whole request head before anything can look at it (a 128 MiB
``Authorization`` header was read in full). These protocols count the bytes of the head as they
arrive and answer 414 (request line) or 431 (header section) as soon as a limit is passed,
closing the connection without reading the rest.

``serve`` uses the httptools one (its parser is C: about a fifth of a command request's CPU
went to h11's pure-Python parsing and framing, see docs/benchmarks.md); the h11 one stays for
where httptools is not installed. The httptools one also sends what a connection writes in one
turn of the event loop as one write: a response's head and body leave in one send, not two
(the head's own send was ~14 % of a command's GIL samples in the web process).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

STATUS_TEXT = {414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class LimitedH11Protocol(H11Protocol):
    max_request_line_bytes = 8 * 1024
    max_header_bytes = 16 * 1024

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            refused = self._head_limit(data)
            if refused:
                self._refuse(refused)
                return
        super().data_received(data)

    def _head_limit(self, data: bytes) -> int | None:
        pending, _closed = self.conn.trailing_data
        return head_limit(pending + data, self.max_request_line_bytes, self.max_header_bytes)

    def _refuse(self, status: int) -> None:
        refuse(self.transport, status)


def head_limit(head: bytes, max_request_line_bytes: int, max_header_bytes: int) -> int | None:
    """414 or 431 if the request head read so far already passes a limit, else None."""
    line_end = head.find(b"\r\n")
    line = line_end if line_end >= 0 else len(head)
    if line > max_request_line_bytes:
        return 414
    head_end = head.find(b"\r\n\r\n")
    size = head_end if head_end >= 0 else len(head)
    if size - line > max_header_bytes:
        return 431
    return None


def refuse(transport: Any, status: int) -> None:
    """Answer 414 or 431 as a problem and close the connection."""
    body = b'{"status":%d,"title":"%s"}' % (status, STATUS_TEXT[status])
    transport.write(
        b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s"
        % (status, STATUS_TEXT[status], len(body), body)
    )
    transport.close()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """httptools' protocol with the same limits: the bytes of a request head are kept (at most
    the limits' worth) from the first byte of a request until its headers are complete."""

    max_request_line_bytes = 8 * 1024
    max_header_bytes = 16 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head: bytes | None = b""  # None: reading a body, not a head

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        if self._head is not None:
            head = self._head + data
            refused = head_limit(head, self.max_request_line_bytes, self.max_header_bytes)
            if refused:
                refuse(self.transport, refused)
                return
            self._head = head
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._head = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head = b""  # the next request's head starts with the next byte


def limited_protocol(
    *, max_request_line_bytes: int, max_header_bytes: int, parser: str = "httptools"
) -> type[Any]:
    """A protocol class for ``uvicorn.run(http=...)`` with these limits (httptools' parser
    when installed, else h11's)."""
    base: type[Any] = LimitedH11Protocol
    if parser == "httptools" and HttpToolsProtocol is not None:
        base = LimitedHttpToolsProtocol
    return type(
        base.__name__,
        (base,),
        {"max_request_line_bytes": max_request_line_bytes, "max_header_bytes": max_header_bytes},
    )


class CoalescingTransport:
    """A connection's transport whose writes in one turn of the event loop leave as one.

    uvicorn writes a response's head and its body separately; each write is a send on the
    socket. Here they are joined and written at the end of the turn (at once when they
    pass ``FLUSH_BYTES``, and before the connection closes); order is kept. Everything else
    is the transport's own."""

    FLUSH_BYTES = 64 * 1024

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._size = 0

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._size = len(data)
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)
            self._size += len(data)
        if self._size >= self.FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
