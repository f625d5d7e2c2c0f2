"""uvicorn's h11 protocol with request line and header limits decided while reading.

The stock servers read a whole request head before anything can look at it (a 128 MiB
``Authorization`` header was read in full). This protocol counts the bytes of the head as they
arrive and answers 414 (request line) or 431 (header section) as soon as a limit is passed,
closing the connection without reading the rest.
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

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
        head = pending + data
        line_end = head.find(b"\r\n")
        line = line_end if line_end >= 0 else len(head)
        if line > self.max_request_line_bytes:
            return 414
        head_end = head.find(b"\r\n\r\n")
        size = head_end if head_end >= 0 else len(head)
        if size - line > self.max_header_bytes:
            return 431
        return None

    def _refuse(self, status: int) -> None:
        body = b'{"status":%d,"title":"%s"}' % (status, STATUS_TEXT[status])
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, STATUS_TEXT[status], len(body), body)
        )
        self.transport.close()


def limited_protocol(*, max_request_line_bytes: int, max_header_bytes: int) -> type[Any]:
    """A protocol class for ``uvicorn.run(http=...)`` with these limits."""
    return type(
        "LimitedH11Protocol",
        (LimitedH11Protocol,),
        {"max_request_line_bytes": max_request_line_bytes, "max_header_bytes": max_header_bytes},
    )
