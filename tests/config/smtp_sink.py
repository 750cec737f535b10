"""An SMTP server on 127.0.0.1 for reminder tests: answers the codes a test stages, then
accepts, and counts what it received by Message-ID."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    def __init__(self, replies: list[str] | None = None, delay: float = 0.0) -> None:
        self.replies = list(replies or [])  # answers to DATA before accepting, e.g. "451 …"
        self.delay = delay
        self.received: list[str] = []  # Message-IDs accepted, in order
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.replies:
            self.refused += 1
            return self.replies.pop(0)
        self.received.append(str(message_from_bytes(envelope.content)["Message-ID"]))
        return "250 OK"

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.received)

    def report(self, due: int) -> str:
        duplicates = sum(n - 1 for n in self.counts.values())
        return (
            f"due {due} / sent {len(self.counts)} / duplicates {duplicates}"
            f" / lost {max(due - len(self.counts), 0)}"
        )


@contextmanager
def smtp_sink(sink: Sink) -> Iterator[int]:
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def smtp_mailers(port: int) -> dict[str, dict[str, Any]]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 10},
        }
    }
