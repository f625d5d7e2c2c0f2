"""A key erased by one process stops opening in another that had it cached.

Each web process and the background process keep the keys they unwrapped; only the eraser's
own keyring is told. The others ask which people are erased every few seconds
(``privacy.keys._ERASURES_EVERY``) and drop those keys: two keyrings on one database stand for
two processes here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy import keys
from privacy.keys import Keyring
from projections.engine.connection import connect

pytestmark = pytest.mark.integration

SECRET = "test-privacy-master-key-0123456789abcdef01"


def test_a_key_erased_elsewhere_stops_opening_here_within_the_check_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = connect(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        web, eraser = Keyring(db, SECRET), Keyring(db, SECRET)
        web.ensure()
        sealed = web.seal("person-1", b"aad", b"Ms Example's note")
        other = web.seal("person-2", b"aad", b"someone else")
        assert eraser.open("person-1", b"aad", sealed) == b"Ms Example's note"
        assert web.open("person-1", b"aad", sealed) == b"Ms Example's note"  # cached here

        assert eraser.erase("person-1")
        assert eraser.open("person-1", b"aad", sealed) is None
        # Until its next check the other process still holds the key it had; at the check
        # it drops it, and only it.
        monkeypatch.setattr(keys, "_ERASURES_EVERY", 0.0)
        assert web.open("person-1", b"aad", sealed) is None
        assert web.open("person-2", b"aad", other) == b"someone else"
    finally:
        db.close()
