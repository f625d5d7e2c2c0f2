"""Anchors: the audit chain's signed checkpoints, copied where the database's administrators
cannot rewrite them (an append-only file on another volume, an S3 bucket with object lock, an
HTTP endpoint of the trust's choosing).

A sink only stores and returns anchor records (one JSON object each, written by
``replay.anchoring``); it knows nothing of events or keys. Every record is appended, never
replaced: a verifier reads them all (``appraisals audit verify --anchors SOURCE``) and trusts
only those whose Ed25519 signature holds, so a sink need not be trusted for integrity, only
for keeping what it was given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson


class AnchorSinkError(OSError):
    """The sink could not be written or read (a one-line message naming the sink)."""


@dataclass(frozen=True, slots=True)
class AnchorLine:
    """One anchor record as read back, and where it was found (for messages)."""

    where: str
    record: dict[str, Any] | None
    # Set when the bytes there are not an anchor record at all.
    error: str | None = None


class AnchorSink(Protocol):
    """Where anchors go. ``append`` must be durable before it returns."""

    name: str

    def append(self, record: dict[str, Any]) -> None: ...

    def read(self) -> list[AnchorLine]: ...

    def latest(self) -> dict[str, Any] | None:
        """The last record appended (None when there is none)."""
        ...


def encode(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def decode(where: str, data: bytes) -> AnchorLine:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        return AnchorLine(where, None, f"not JSON ({e})")
    if not isinstance(value, dict):
        return AnchorLine(where, None, "not a JSON object")
    return AnchorLine(where, value)


class FileAnchorSink:
    """One JSON line per anchor, appended with ``O_APPEND`` and fsync'd (file and directory).

    Put it on another volume than the database, owned by the service's user, and make it
    append-only where the file system allows (``chattr +a``, a WORM mount): the service never
    needs to rewrite it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(self.path)

    def append(self, record: dict[str, Any]) -> None:
        line = encode(record) + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                # One write(2) of one line with O_APPEND: concurrent appenders never interleave.
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                directory = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
        except OSError as e:
            raise AnchorSinkError(f"cannot append to the anchor file {self.path}: {e}") from None

    def read(self) -> list[AnchorLine]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise AnchorSinkError(f"cannot read the anchor file {self.path}: {e}") from None
        return [
            decode(f"{self.path} line {n}", line)
            for n, line in enumerate(data.split(b"\n"), start=1)
            if line.strip()
        ]

    def latest(self) -> dict[str, Any] | None:
        try:
            with self.path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - 8192))
                tail = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise AnchorSinkError(f"cannot read the anchor file {self.path}: {e}") from None
        lines = [line for line in tail.split(b"\n") if line.strip()]
        if not lines:
            return None
        return decode(self.name, lines[-1]).record


__all__ = ["AnchorLine", "AnchorSink", "AnchorSinkError", "FileAnchorSink", "decode", "encode"]
