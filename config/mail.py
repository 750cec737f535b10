"""The console mail backend of the embedded setup, readable by a person.

Django's console backend prints the raw MIME message: quoted-printable bodies and encoded
headers, unreadable as soon as a name has an accent. This one prints the decoded headers and
plain-text body, and says which alternatives (the HTML body) the message also carries.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

_HEADERS = ("Subject", "From", "To", "Date", "Message-ID")


class ReadableConsoleBackend(DjangoConsoleBackend):
    def write_message(self, message: EmailMessage) -> None:
        mime = message.message()
        for name in _HEADERS:
            if mime[name]:
                self.stream.write(f"{name}: {mime[name]}\n")
        self.stream.write("\n")
        self.stream.write(message.body.rstrip() + "\n")
        for alternative in getattr(message, "alternatives", ()):
            self.stream.write(
                f"\n[also sent as {alternative.mimetype}, {len(alternative.content)} characters]\n"
            )
        for attachment in message.attachments:
            if isinstance(attachment, tuple):
                filename, content, mimetype = attachment
                self.stream.write(f"[attached: {filename}, {mimetype}, {len(content):,} bytes]\n")
        self.stream.write("-" * 79 + "\n")


@register(Tags.mail, deploy=True)
def check_not_the_console_in_production(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Django's deploy check knows its own console backend, not this one."""
    backend = settings.MAILERS.get("default", {}).get("BACKEND")
    if backend != f"{__name__}.ReadableConsoleBackend":
        return []
    return [
        Error(
            f"Your MAILERS setting uses a development-only email backend in the 'default'"
            f" entry ({backend}).",
            hint="Set ACCORD_SMTP_HOST: reminders and reports are printed, not sent.",
            id="accord.E001",
        )
    ]
