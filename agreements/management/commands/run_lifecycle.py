from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from agreements.services import agreement_lifecycle_run


class Command(BaseCommand):
    help = (
        "Run the daily agreement lifecycle step for a day: entry into force on the effective "
        "date, expiry, auto-renewal. Safe to run again for the same day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="The day to run for (YYYY-MM-DD); default today.")

    def handle(self, *args: Any, as_of: str | None, **options: Any) -> None:
        try:
            day = date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of: “{as_of}” is not a date (use YYYY-MM-DD).") from None
        run = agreement_lifecycle_run(as_of=day)
        for label, references in [
            ("entered into force", run.entered_into_force),
            ("renewed", run.renewed),
            ("expired", run.expired),
            ("not ready to enter into force (missing dates or parties)", run.not_ready),
        ]:
            self.stdout.write(f"{len(references)} {label}: {', '.join(references) or '—'}")
