"""The console mail backend of the embedded setup, readable by a person.

Django's console backend prints the raw MIME message: quoted-printable bodies and encoded
headers, unreadable as soon as a name has an accent. This one prints the decoded headers and
plain-text body, and says which alternatives (the HTML body) the message also carries.
"""

from __future__ import annotations

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
        self.stream.write("-" * 79 + "\n")
