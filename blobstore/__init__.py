"""Where evidence files' bytes live: a small interface and its local filesystem backend.

The event log records a file's hash, size, type and name, never its bytes; the bytes are
kept here under a key (``evidence/<evidence id>``). ``blobstore.s3`` stores them in any
S3-compatible service instead. The composition root picks one from settings.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")


class BlobMissing(LookupError):
    """There are no bytes under this key (never stored, or deleted)."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """Keys are lower-case words and dashes in folders: nothing escapes the store's root."""
    if not _KEY.match(key) or len(key) > 200:
        raise ValueError(f"not a blob key: {key!r}")
    return key


class FilesystemBlobStore:
    """Files under one directory, written atomically (a temporary file renamed into place)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        del content_type  # the type is in the event; a file needs none
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


__all__ = ["BlobMissing", "BlobStore", "FilesystemBlobStore", "check_key"]
