"""The composition root: builds the event store, the command service and the projections.

Nothing here runs at import time; ``build(settings)`` is called by the CLI, the API factory
and tests, each with the settings they want. Without Redis, projections run in an in-process
runner thread woken after each commit; with ``APPRAISALS_REDIS_URL`` the command side
enqueues a dramatiq wake-up after each commit and ``appraisals worker`` processes advance the
read models.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

import psycopg
from cryptography.exceptions import InvalidTag

from api.identity.service import Identity, build_identity
from api.security import RateLimits, Revocations, Security, SecurityLog
from blobstore import FilesystemBlobStore
from commands.evidence_files import BlobStore, EvidenceFiles
from commands.service import CommandService, system_clock
from commands.states import StateCache
from commands.store import EventStoreApp
from config.settings import Settings, sqlite_path
from events.codec import install_keyring
from privacy import keys as privacy_keys
from privacy.erasure import Eraser
from privacy.keys import Keyring
from projections.catalogue import read_models
from projections.engine.connection import connect
from projections.engine.db import Database
from projections.engine.db_postgres import libpq_conninfo, libpq_params
from projections.engine.replica import ReadReplica
from projections.engine.service import Projections
from reminders.compose import Branding
from reminders.ledger import Ledger
from reminders.mailer import SmtpConfig, SmtpMailer
from reminders.people import ReadModelPeople
from reminders.service import ReminderService


class Notifier(Protocol):
    def notify(self) -> bool: ...


@dataclass
class Container:
    """Everything a running process needs, built once from settings."""

    settings: Settings
    store: EventStoreApp
    commands: CommandService
    projections: Projections
    security: Security
    reminders: ReminderService
    evidence: EvidenceFiles | None = None
    notifier: Notifier | None = None
    # Asks the scheduler to send the chases just recorded (None: the next pass sends them).
    wake_chases: Callable[[], object] | None = None
    # Sessions, personal tokens and the OpenID providers (api/identity).
    identity: Identity | None = None
    # A streaming replica that read-model queries may use (APPRAISALS_READ_DATABASE_URL).
    replica: ReadReplica | None = None
    # Erasure of people's personal data (privacy/erasure.py).
    eraser: Eraser | None = None
    on_start: list[Callable[[], None]] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    closed: bool = False

    def start(self) -> None:
        """Start background work (the in-process projection runner, if any)."""
        for start in self.on_start:
            start()
        self.on_start.clear()

    def read_db(self, min_position: int | None = None) -> Database:
        """The read models for one query: the replica's when it has what the caller asked
        for (``min_position``: the caller's own write), else the primary's."""
        if self.replica is None:
            return self.projections.db
        return self.replica.for_request(min_position)

    def close(self) -> None:
        """Stop the background threads, then close the pools (SQLite checkpoints its WAL as
        its last connection closes). Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        for close in reversed(self.closers):
            close()
        self.closers.clear()
        if self.replica is not None:
            self.replica.close()
        self.projections.close()
        self.projections.db.close()
        self.store.close()


# One advisory lock serialises schema creation: processes starting together (web workers,
# projection workers) would otherwise race on CREATE ... and fail with "tuple concurrently
# updated".
_SCHEMA_LOCK = 0x4150505241495341  # "APPRAISA"


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Hold the schema lock (PostgreSQL) while creating tables; a no-op on SQLite."""
    if not settings.is_postgres:
        yield
        return
    from projections.engine.db_postgres import libpq_conninfo

    with psycopg.connect(libpq_conninfo(settings.database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def build_store(settings: Settings, *, own_keys: bool = True) -> EventStoreApp:
    """The event store; ``own_keys=False`` keeps the keyring already installed (a scratch
    store whose events are copied into the one that keyring belongs to: the demo's)."""
    with schema_lock(settings):
        store = EventStoreApp(env=eventsourcing_env(settings))
    if not own_keys:
        return store
    try:
        install_privacy(settings)
    except BaseException:
        store.close()
        raise
    return store


# The keyring of this process: (database URL, master key) and the keyring built for them;
# and how many open containers use each keyring.
_keyring: tuple[tuple[str, str], Keyring] | None = None
_keyring_users: list[Keyring] = []


class _OpenKeyrings:
    """The keyrings of every container open in this process, as one. A service process has
    one container (and its keyring is installed alone); a process serving two stores at once
    (the browser tests serve two sites) would otherwise open one store's seals with the other
    store's keys and read placeholders. Seals go to the newest container's keyring; opening
    tries each, newest first."""

    def __init__(self, rings: list[Keyring]) -> None:
        self.rings = list(rings)

    def seal(self, person: str, aad: bytes, plaintext: bytes) -> str:
        return self.rings[-1].seal(person, aad, plaintext)

    def open(self, person: str, aad: bytes, sealed: str) -> bytes | None:
        for ring in reversed(self.rings):
            try:
                opened = ring.open(person, aad, sealed)
            except InvalidTag:  # the same id in another store, under that store's key
                continue
            if opened is not None:
                return opened
        return None

    def forget(self, person: str, *, erased: bool = False) -> None:
        for ring in self.rings:
            ring.forget(person, erased=erased)

    def forget_erased(self) -> None:
        for ring in self.rings:
            ring.forget_erased()


def _install_open_keyrings() -> None:
    users = list(dict.fromkeys(_keyring_users))  # one keyring per database and master key
    if not users:
        install_keyring(None)
    elif len(users) == 1:
        install_keyring(users[0])
    else:
        install_keyring(_OpenKeyrings(users))


def _close_keyring(keyring: Keyring | None = None) -> None:
    """Close the process's keyring (``keyring``: only if it is that one). Its connection is
    the last one a process holds on an SQLite store: left to the interpreter's exit, the
    store's write-ahead log is sometimes not folded back and stays beside it."""
    global _keyring
    if _keyring is not None and (keyring is None or _keyring[1] is keyring):
        _keyring[1].db.close()
        _keyring = None


atexit.register(_close_keyring)


def install_privacy(settings: Settings) -> Keyring:
    """The keyring sealing personal data in events (privacy/keys.py), installed for this
    process; ``WrongMasterKey`` if the master key does not open the database's keys."""
    global _keyring
    secret = settings.privacy_master_key.get_secret_value()
    wanted = (settings.database_url, secret)
    if _keyring is not None and _keyring[0] == wanted and _keyring[1].opened_with(secret):
        with schema_lock(settings):
            _keyring[1].ensure()
        install_keyring(_keyring[1])
        return _keyring[1]
    db = connect(settings.database_url, pool_size=1)
    try:
        with schema_lock(settings):
            keyring = privacy_keys.install(db, secret)
    except BaseException:
        db.close()
        raise
    if _keyring is not None and _keyring[1] not in _keyring_users:
        # (One an open container still uses is closed with that container.)
        _keyring[1].db.close()
    _keyring = (wanted, keyring)
    return keyring


def build_reminders(
    settings: Settings, db: Database, clock: Callable[[], datetime]
) -> ReminderService:
    """The reminder service: read models in, ledger, SMTP out."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    mailer = SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout,
            verify=settings.smtp_verify_certificate,
        )
    )
    brand = Branding(
        sender=settings.mail_from,
        public_url=settings.public_url or "http://127.0.0.1:8000",
        unsubscribe_secret=settings.unsubscribe_secret.get_secret_value(),
    )
    ledger = Ledger(
        db,
        max_attempts=settings.reminders_max_attempts,
        backoff_seconds=settings.reminders_backoff_seconds,
    )
    return ReminderService(
        db,
        ReadModelPeople(db),
        mailer,
        brand,
        clock=clock,
        timezone=settings.reminders_timezone,
        ledger=ledger,
    )


def build_blob_store(settings: Settings) -> BlobStore:
    """Where evidence files' bytes live: a local directory, or an S3-compatible bucket."""
    if settings.blob_store == "s3":
        from blobstore.s3 import S3BlobStore

        if not settings.s3_bucket:
            raise ValueError("APPRAISALS_BLOB_STORE=s3 needs APPRAISALS_S3_BUCKET")
        secret = settings.s3_secret_access_key
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            prefix=settings.s3_prefix,
        )
    return FilesystemBlobStore(settings.blob_dir)


def build_security(settings: Settings, projections: Projections) -> Security:
    """The security log and revocations live beside the read models, never in the event store."""
    return Security(
        log=SecurityLog(projections.db),
        revocations=Revocations(projections.db),
        limits=RateLimits(
            sign_in=settings.sign_in_rate_limit,
            failed_auth=settings.failed_auth_rate_limit,
            chase=settings.chase_rate_limit,
            redis_url=settings.redis_url,
            namespace=settings.redis_namespace,
        ),
    )


def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = system_clock,
    new_id: Callable[[], UUID] = uuid4,
    run_projections: bool = True,
) -> Container:
    """Wire a process. ``run_projections=False`` builds no runner (CLI tools, benchmarks)."""
    store = build_store(settings)
    states = StateCache(
        store, maxsize=settings.state_cache_size, context_ttl=settings.context_cache_ttl
    )
    projections = read_models(connect(settings.database_url, pool_size=settings.pool_size))
    security = build_security(settings, projections)
    with schema_lock(settings):
        projections.ensure()
        security.ensure()
    reminders = build_reminders(settings, projections.db, clock)
    with schema_lock(settings):
        reminders.ensure()
    service = CommandService(
        store,
        clock=clock,
        new_id=new_id,
        states=states,
        retry_deadline=settings.command_retry_seconds,
    )
    container = Container(settings, store, service, projections, security, reminders)
    if settings.read_database_url:
        container.replica = ReadReplica(
            projections.db,
            settings.read_database_url,
            pool_size=settings.pool_size,
            max_lag_seconds=settings.read_replica_max_lag_seconds,
            wait_seconds=settings.read_replica_wait_seconds,
            retry_seconds=settings.read_replica_retry_seconds,
        )
    blobs = build_blob_store(settings)
    container.evidence = EvidenceFiles(service, blobs, max_bytes=settings.evidence_max_bytes)

    def read_models_reach(position: int) -> None:
        # Apply the log here too (locks keep workers and this from applying a batch twice),
        # then wait for any batch a worker has in flight.
        projections.catch_up()
        projections.wait_for(position, timeout=30)

    keyring = install_privacy(settings)
    _keyring_users.append(keyring)
    _install_open_keyrings()

    def uninstall_keyring() -> None:
        # A closed container's keyring is not left to seal what another store writes: the
        # keyrings of the containers still open are used, or none.
        _keyring_users.remove(keyring)
        _install_open_keyrings()
        if keyring not in _keyring_users:
            if _keyring is not None and _keyring[1] is keyring:
                _close_keyring(keyring)
            else:  # replaced as the process's keyring while this container was open
                keyring.db.close()

    container.closers.append(uninstall_keyring)
    container.eraser = Eraser(
        commands=service,
        keyring=keyring,
        db=projections.db,
        events_table=projections.engine.log.table,
        blobs=blobs,
        wait_for=read_models_reach,
    )
    with schema_lock(settings):
        container.identity = build_identity(settings, projections.db)
    if not run_projections:
        return container
    from replay.anchoring import Anchorer
    from replay.audit_anchors import anchor_sink
    from replay.audit_keys import public_keys, signing_key
    from replay.sealer import ChainSealer

    # The audit chain is sealed as the log grows (replay/chain.py), in this process, and each
    # checkpoint anchored outside the database (replay/anchoring.py).
    key = signing_key(settings)
    sink = anchor_sink(settings)
    sealer = ChainSealer(
        projections.db,
        key,
        interval=settings.audit_seal_seconds,
        anchorer=None if sink is None else Anchorer(sink, public_keys(settings)),
    )
    container.on_start.append(sealer.start)
    container.closers.append(sealer.stop)
    if settings.redis_url:
        from projections.engine.workers import RedisWakeup

        wakeup = RedisWakeup(settings.redis_url, settings.redis_namespace, projections.names)
        container.notifier = wakeup
        container.closers.append(wakeup.broker.close)
    else:
        from projections.engine.runner import InProcessRunner

        runner = InProcessRunner(projections, poll_interval=settings.projection_poll_seconds)
        container.notifier = runner
        container.on_start.append(runner.start)
        container.closers.append(runner.stop)
    notifier = container.notifier
    _schedule_reminders(container)
    _schedule_retention(container, clock)

    def wake(_position: int) -> None:
        notifier.notify()
        sealer.notify()

    service.on_committed = wake
    return container


def _schedule_reminders(container: Container) -> None:
    """Embedded mode runs the reminder scheduler here; Redis mode in `appraisals worker`."""
    settings = container.settings
    if not settings.reminders_schedule:
        return
    reminders = container.reminders
    if settings.redis_url:
        from reminders.scheduler import RedisTicker, make_broker

        broker = make_broker(settings.redis_url, settings.redis_namespace)
        ticker = RedisTicker(
            broker, settings.redis_namespace, interval=settings.reminders_interval_seconds
        )
        container.wake_chases = ticker.wake_chases
        container.closers.append(broker.close)
        return
    from reminders.scheduler import EmbeddedScheduler

    scheduler = EmbeddedScheduler(
        reminders.run_once, reminders.send_chases, interval=settings.reminders_interval_seconds
    )
    container.wake_chases = scheduler.wake_chases
    container.on_start.append(scheduler.start)
    container.closers.append(scheduler.stop)


def _schedule_retention(container: Container, clock: Callable[[], datetime]) -> None:
    """Leavers past their trust's retention period are erased on a timer in every process
    that runs the service (privacy/retention.py: each person is erased once)."""
    interval = container.settings.privacy_retention_interval_seconds
    eraser = container.eraser
    if not interval or eraser is None:
        return
    from datetime import timedelta

    from privacy.retention import RetentionScheduler, run

    db = container.projections.db
    scheduler = RetentionScheduler(
        lambda: run(eraser, db, today=clock().date()),
        interval=interval,
        # Not at once: a starting process has read models to catch up first.
        first_run=clock() + timedelta(seconds=min(interval, 60)),
    )
    container.on_start.append(scheduler.start)
    container.closers.append(scheduler.stop)


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The ``eventsourcing`` library's environment for the configured database."""
    url = settings.database_url
    if settings.is_postgres:
        params = libpq_params(url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            # The library takes these five separately; POSTGRES_CONNINFO (read by
            # commands/store.py) carries every other libpq parameter to the same pool.
            "POSTGRES_DBNAME": params["dbname"],
            "POSTGRES_HOST": params["host"],
            "POSTGRES_PORT": params.get("port", "5432"),
            "POSTGRES_USER": params["user"],
            "POSTGRES_PASSWORD": params.get("password", ""),
            "POSTGRES_CONNINFO": libpq_conninfo(url),
            "POSTGRES_POOL_SIZE": str(settings.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        }
    elif url.startswith("sqlite://"):
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sqlite_path(url)}
    else:
        raise ValueError(
            f"APPRAISALS_DATABASE_URL must start with sqlite:// or postgresql://, got {url!r}"
        )
    return env
