"""Sending mail over SMTP: host, port, STARTTLS or implicit TLS, credentials.

``Mailer`` is the small interface the scheduler uses; ``SmtpMailer`` speaks SMTP with the
standard library's ``smtplib`` (one connection per delivery run).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol

Security = Literal["none", "starttls", "tls"]


class MailError(Exception):
    """A message could not be handed to the mail server (retried later)."""


class Outbox(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class Mailer(Protocol):
    def connect(self) -> AbstractContextManager[Outbox]: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    # Verify the server's certificate (turn off only for a local test server).
    verify: bool = True


class _SmtpOutbox:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp

    def send(self, message: EmailMessage) -> None:
        try:
            refused = self.smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as e:
            raise MailError(f"{type(e).__name__}: {e}") from e
        if refused:
            raise MailError(f"recipients refused: {', '.join(sorted(refused))}")


class SmtpMailer:
    """Delivers through one SMTP server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @contextmanager
    def connect(self) -> Iterator[_SmtpOutbox]:
        c = self.config
        try:
            smtp: smtplib.SMTP
            if c.security == "tls":
                smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            with smtp:
                if c.security == "starttls":
                    smtp.starttls(context=self._context())
                if c.username:
                    smtp.login(c.username, c.password or "")
                yield _SmtpOutbox(smtp)
        except (smtplib.SMTPException, OSError) as e:
            raise MailError(f"{type(e).__name__}: {e}") from e
