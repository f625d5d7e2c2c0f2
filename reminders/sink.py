"""A development mail sink: an aiosmtpd handler keeping each mail (as .eml files, or in memory).

``appraisals mail-sink`` serves it on 127.0.0.1:1025, the SMTP settings' development default;
the tests start it too, as the real SMTP server reminders are checked against.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any


class MemorySink:
    """Keeps every message received; ``fail_next`` makes the server refuse some (tests)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: ARG002 - aiosmtpd's hook
        with self._lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 Requested action aborted: local error in processing"
            content = envelope.original_content or envelope.content
            message = message_from_bytes(content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.received(message)
        return "250 Message accepted for delivery"

    def received(self, message: EmailMessage) -> None:
        """Called for each message kept (a hook for subclasses)."""


class FileSink(MemorySink):
    """Writes each mail to ``directory`` as a numbered .eml file."""

    def __init__(self, directory: Path, on_mail: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.directory = directory
        self.on_mail = on_mail
        directory.mkdir(parents=True, exist_ok=True)
        self._count = len(list(directory.glob("*.eml")))

    def received(self, message: EmailMessage) -> None:
        self._count += 1
        path = self.directory / f"{self._count:06d}.eml"
        path.write_bytes(message.as_bytes())
        if self.on_mail is not None:
            self.on_mail(f"{path.name}  to {message['To']}  {message['Subject']}")
