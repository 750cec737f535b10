from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from config.bounds import MAX_DATE, MIN_DATE
from config.display import long_day
from config.reminders.delivery import deliver_due
from config.reminders.scan import scan


class Command(BaseCommand):
    help = (
        "Arm the reminders due on a day and send them now (immediate e-mails, then each digest "
        "reader's digest), without a worker. Safe to run again: nothing is sent twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="The day to remind for (YYYY-MM-DD); default today.")

    def handle(self, *args: Any, as_of: str | None, **options: Any) -> None:
        day = _day(as_of)
        scanned = scan(as_of=day)
        self.stdout.write(
            f"Reminders for {long_day(day)}: {scanned.armed} armed,"
            f" {scanned.cancelled} cancelled (date changed or rule off)."
        )
        sent = deliver_due(as_of=day)
        self.stdout.write(
            f"{sent.sent} sent in {sent.messages} e-mails, {sent.retrying} to retry later,"
            f" {sent.failed} failed, {sent.cancelled} cancelled before sending."
        )
        for error in sent.errors:
            self.stderr.write(f"Not sent: {error}")


def _day(as_of: str | None) -> date:
    if not as_of:
        return timezone.localdate()
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise CommandError(f"--as-of: “{as_of}” is not a date (use YYYY-MM-DD).") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise CommandError(
            f"--as-of: {as_of} is out of range; enter a date between "
            f"{long_day(MIN_DATE)} and {long_day(MAX_DATE)}."
        )
    return day
