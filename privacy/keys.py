"""Every person's data key, wrapped by the master key, in its own table (``privacy_keys``).

A data key is made the first time something about a person is sealed, and never leaves
this table unwrapped. Erasing a person deletes their wrapped key (the row stays, marked
erased, so nothing is ever sealed under a new key for them again): every value sealed under
it, in every stored event and every copy or backup of the log, can no longer be opened.

Unwrapped keys are kept in memory (one AES-GCM object per person), so sealing and opening
cost one AEAD operation each. A process forgets a person's key when it erases them, or when
it reads their ``PersonErased`` event from the log (projection workers).

The master key is checked when the keyring starts: a key that does not open this database's
check value refuses to start, naming the setting.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from config.settings import UnsafeSettings
from privacy.crypto import AESGCM, InvalidTag, master_cipher, new_data_key, open_, seal
from projections.engine.db import Database

KEYS_TABLE = "privacy_keys"
_PRELOAD_AFTER = 32
_ABSENT_FOR = 5.0
# How long a process may go on opening a key another process has erased: every so often a
# reader asks which people are erased (one query) and drops their cached keys.
_ERASURES_EVERY = 5.0
_CHECK = b"appraisals privacy master key check"
_CHECK_AAD = b"appraisals-master-check"


class WrongMasterKey(UnsafeSettings):
    """The configured master key does not open this database's keys."""


def _key_aad(person: str) -> bytes:
    return b"appraisals-data-key|" + person.encode()


class Keyring:
    """Per-person data keys in ``privacy_keys`` (``events.sealing.Keyring``)."""

    def __init__(self, db: Database, master_secret: str) -> None:
        self.db = db
        self._master = master_cipher(master_secret)
        self._fingerprint = _fingerprint(master_secret)
        # person -> their cipher; None: erased (their seals read as placeholders).
        self._ciphers: dict[str, AESGCM | None] = {}
        self._lock = threading.Lock()
        # Keys read one by one so far: past a few, a reader (a rebuild, a replay) is reading
        # everyone's, and all keys are unwrapped at once instead of a query each.
        self._misses = 0
        self._preloaded = False
        # People with no key here, when last looked for (a reader asks again after a while:
        # another process may have made their key since).
        self._absent: dict[str, float] = {}
        self._erasures_checked = time.monotonic()

    def ensure(self) -> None:
        """Create the tables and check the master key (``WrongMasterKey`` if it is not the
        one this database's keys were wrapped with)."""
        with self.db.transaction() as tx:
            tx.lock("privacy_keys")
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (person_id TEXT PRIMARY KEY, "
                "wrapped TEXT, created_at TEXT NOT NULL, erased_at TEXT)"
            )
            tx.execute(
                "CREATE TABLE IF NOT EXISTS privacy_master (id INTEGER PRIMARY KEY, "
                "check_value TEXT NOT NULL, changed_at TEXT NOT NULL)"
            )
            rows = tx.query("SELECT check_value FROM privacy_master WHERE id = 1")
            if not rows:
                tx.execute(
                    "INSERT INTO privacy_master (id, check_value, changed_at) VALUES (1, ?, ?)",
                    [seal(self._master, _CHECK, _CHECK_AAD), _now()],
                )
                return
        try:
            opened = open_(self._master, rows[0][0], _CHECK_AAD)
        except (InvalidTag, ValueError):
            opened = b""
        if opened != _CHECK:
            raise WrongMasterKey(
                "APPRAISALS_PRIVACY_MASTER_KEY does not open the personal-data keys in this "
                "database: it is not the key they were wrapped with. Set the right key (or "
                "run `appraisals privacy rewrap` with the old one to change it)."
            )

    # -- events.sealing.Keyring -------------------------------------------------------------

    def seal(self, person: str, aad: bytes, plaintext: bytes) -> str:
        cipher = self._cipher(person, create=True)
        if cipher is None:
            # An erased person: whatever is written about them now is sealed under a key
            # nobody keeps, so it is erased as it is written.
            cipher = AESGCM(new_data_key())
        return seal(cipher, plaintext, aad)

    def open(self, person: str, aad: bytes, sealed: str) -> bytes | None:
        # A key already unwrapped, the erasures checked lately: the common case of a reader
        # opening record after record, without ``_cipher``'s call.
        cipher: AESGCM | None
        if time.monotonic() - self._erasures_checked <= _ERASURES_EVERY:
            try:
                cipher = self._ciphers[person]
            except KeyError:
                cipher = self._cipher(person, create=False)
        else:
            cipher = self._cipher(person, create=False)
        if cipher is None:
            return None
        return open_(cipher, sealed, aad)

    # -- erasure and operations -------------------------------------------------------------

    def erase(self, person: str) -> bool:
        """Delete the person's data key for good; False if it was already gone."""
        with self.db.transaction() as tx:
            changed = tx.execute(
                f"UPDATE {KEYS_TABLE} SET wrapped = NULL, erased_at = ? "
                "WHERE person_id = ? AND wrapped IS NOT NULL",
                [_now(), person],
            )
            if not changed:
                # Never sealed anything: the tombstone still stops a key being made later.
                changed = tx.execute(
                    f"INSERT INTO {KEYS_TABLE} (person_id, wrapped, created_at, erased_at) "
                    "VALUES (?, NULL, ?, ?) ON CONFLICT (person_id) DO NOTHING",
                    [person, _now(), _now()],
                )
        self.forget(person, erased=True)
        return bool(changed)

    def is_erased(self, person: str) -> bool:
        with self.db.transaction(write=False) as tx:
            rows = tx.query(f"SELECT erased_at FROM {KEYS_TABLE} WHERE person_id = ?", [person])
        return bool(rows) and rows[0][0] is not None

    def forget(self, person: str, *, erased: bool = False) -> None:
        """Drop the cached key (``erased``: remember that it is gone)."""
        with self._lock:
            if erased:
                self._ciphers[person] = None
            else:
                self._ciphers.pop(person, None)

    def rewrap(self, new_secret: str) -> int:
        """Wrap every data key with a new master key (one transaction); the count rewrapped.
        The old master key (this keyring's) must open them all."""
        new = master_cipher(new_secret)
        with self.db.transaction() as tx:
            tx.lock("privacy_keys")
            rows = tx.query(
                f"SELECT person_id, wrapped FROM {KEYS_TABLE} WHERE wrapped IS NOT NULL"
            )
            for person, wrapped in rows:
                key = open_(self._master, wrapped, _key_aad(person))
                tx.execute(
                    f"UPDATE {KEYS_TABLE} SET wrapped = ? WHERE person_id = ?",
                    [seal(new, key, _key_aad(person)), person],
                )
            tx.execute(
                "UPDATE privacy_master SET check_value = ?, changed_at = ? WHERE id = 1",
                [seal(new, _CHECK, _CHECK_AAD), _now()],
            )
        self._master = new
        self._fingerprint = _fingerprint(new_secret)
        return len(rows)

    def opened_with(self, master_secret: str) -> bool:
        """Whether this keyring's master key is ``master_secret``."""
        return self._fingerprint == _fingerprint(master_secret)

    def preload(self, people: Iterable[str] | None = None) -> int:
        """Unwrap keys into memory at once (a rebuild reads everyone's): all, or ``people``."""
        with self.db.transaction(write=False) as tx:
            rows = tx.query(f"SELECT person_id, wrapped FROM {KEYS_TABLE}")
        wanted = None if people is None else set(people)
        loaded = {
            person: self._unwrap(person, wrapped)
            for person, wrapped in rows
            if wanted is None or person in wanted
        }
        with self._lock:
            # A key forgotten as erased stays forgotten, whatever a stale read says.
            erased = {p for p, c in self._ciphers.items() if c is None}
            self._ciphers.update({p: c for p, c in loaded.items() if p not in erased})
        return len(loaded)

    # -- internals ----------------------------------------------------------------------------

    def _cipher(self, person: str, *, create: bool) -> AESGCM | None:
        if time.monotonic() - self._erasures_checked > _ERASURES_EVERY:
            self.forget_erased()
        try:
            return self._ciphers[person]
        except KeyError:
            pass
        if not create:
            looked = self._absent.get(person)
            if looked is not None and time.monotonic() - looked < _ABSENT_FOR:
                return None
        if not create and not self._preloaded:
            self._misses += 1
            if self._misses > _PRELOAD_AFTER:
                self._preloaded = True
                self.preload()
                if person in self._ciphers:
                    return self._ciphers[person]
        with self.db.transaction(write=create) as tx:
            rows = tx.query(f"SELECT wrapped FROM {KEYS_TABLE} WHERE person_id = ?", [person])
            if not rows and create:
                tx.execute(
                    f"INSERT INTO {KEYS_TABLE} (person_id, wrapped, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (person_id) DO NOTHING",
                    [person, seal(self._master, new_data_key(), _key_aad(person)), _now()],
                )
                rows = tx.query(f"SELECT wrapped FROM {KEYS_TABLE} WHERE person_id = ?", [person])
        cipher = self._unwrap(person, rows[0][0]) if rows else None
        if not rows and not create:
            self._absent[person] = time.monotonic()
        if rows or create:
            with self._lock:
                self._ciphers[person] = cipher
        return cipher

    def forget_erased(self) -> None:
        """Forget the cached keys of people erased since (by any process): the web processes
        and the background process each hold keys, and only the eraser's own is told."""
        self._erasures_checked = time.monotonic()
        with self.db.transaction(write=False) as tx:
            rows = tx.query(f"SELECT person_id FROM {KEYS_TABLE} WHERE erased_at IS NOT NULL")
        with self._lock:
            for (person,) in rows:
                self._ciphers[str(person)] = None

    def _unwrap(self, person: str, wrapped: str | None) -> AESGCM | None:
        if wrapped is None:
            return None
        return AESGCM(open_(self._master, wrapped, _key_aad(person)))


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(b"appraisals privacy master|" + secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


# What a child process (a rebuild lane) reads to open the same keys as its parent.
_CHILD_DATABASE = "APPRAISALS_PRIVACY_KEYRING_DATABASE"
_CHILD_SECRET = "APPRAISALS_PRIVACY_KEYRING_SECRET"
_CHILD_FACTORY = "privacy.keys:child_keyring"


def install(db: Database, master_secret: str) -> Keyring:
    """Build the keyring, check the master key, and make it the one events are sealed and
    opened with in this process and the child processes it starts."""
    from events.codec import install_keyring

    keyring = Keyring(db, master_secret)
    keyring.ensure()
    install_keyring(keyring)
    os.environ[_CHILD_DATABASE] = db.url
    os.environ[_CHILD_SECRET] = master_secret
    os.environ["APPRAISALS_KEYRING_FACTORY"] = _CHILD_FACTORY
    return keyring


def child_keyring() -> Keyring | None:
    """The parent's keyring, rebuilt in a child process from the environment it inherited."""
    from projections.engine.connection import connect

    url, secret = os.environ.get(_CHILD_DATABASE), os.environ.get(_CHILD_SECRET)
    if not url or not secret:
        return None
    keyring = Keyring(connect(url, pool_size=1), secret)
    keyring.preload()
    return keyring
