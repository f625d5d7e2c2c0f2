"""Anchors sent to an HTTP endpoint of the trust's choosing (a records service, a notary, a
second organisation's server), through ``requests``.

The protocol, small enough for any server: ``POST <url>`` with one anchor as a JSON object
(``Content-Type: application/json``, optionally ``Authorization: Bearer <token>``) is answered
with a 2xx once the anchor is stored durably; ``GET <url>`` answers every anchor stored, as
JSON lines (``application/x-ndjson``) or one JSON array. The endpoint must only ever append.
"""

from __future__ import annotations

from typing import Any

import orjson
import requests

from anchors import AnchorLine, AnchorSinkError, decode, encode


class HttpAnchorSink:
    """Anchors POSTed to one URL and read back with GET."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"the anchor endpoint must be an http(s) URL, not {url!r}")
        self.url = url
        self.name = url
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._latest: dict[str, Any] | None = None

    def append(self, record: dict[str, Any]) -> None:
        try:
            answer = requests.post(
                self.url,
                data=encode(record),
                headers={**self._headers, "Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as e:
            raise AnchorSinkError(f"cannot send the anchor to {self.url}: {e}") from None
        if not answer.ok:
            raise AnchorSinkError(
                f"the anchor endpoint {self.url} answered {answer.status_code} "
                f"{answer.reason}: {answer.text[:200]}"
            )
        self._latest = record

    def read(self) -> list[AnchorLine]:
        try:
            answer = requests.get(
                self.url,
                headers={**self._headers, "Accept": "application/x-ndjson, application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as e:
            raise AnchorSinkError(f"cannot read anchors from {self.url}: {e}") from None
        if not answer.ok:
            raise AnchorSinkError(f"the anchor endpoint {self.url} answered {answer.status_code}")
        body = answer.content.strip()
        if body.startswith(b"["):
            try:
                items = orjson.loads(body)
            except orjson.JSONDecodeError as e:
                raise AnchorSinkError(f"{self.url} answered malformed JSON: {e}") from None
            return [decode(f"{self.url} item {n}", encode(i)) for n, i in enumerate(items, 1)]
        return [
            decode(f"{self.url} line {n}", line)
            for n, line in enumerate(body.split(b"\n"), start=1)
            if line.strip()
        ]

    def latest(self) -> dict[str, Any] | None:
        if self._latest is None:
            lines = [line.record for line in self.read() if line.record is not None]
            self._latest = lines[-1] if lines else None
        return self._latest


__all__ = ["HttpAnchorSink"]
