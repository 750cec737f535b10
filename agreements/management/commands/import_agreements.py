from __future__ import annotations

import json as _json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agreements.services.imports import ImportFileError, agreement_register_import


class Command(BaseCommand):
    help = "Import an agreement register (CSV or XLSX, one row per party). See README.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--as-user", required=True, help="The administrator recorded.")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--stop-on-error", action="store_true")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(
        self,
        *args: Any,
        file: str,
        as_user: str,
        dry_run: bool,
        stop_on_error: bool,
        json: bool,
        **options: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        user = get_user_model().objects.filter(username=as_user, is_staff=True).first()
        if user is None:
            raise CommandError(f"--as-user: “{as_user}” is not an administrator.")
        try:
            report = agreement_register_import(
                content=path.read_bytes(),
                filename=path.name,
                by=user,
                dry_run=dry_run,
                stop_on_error=stop_on_error,
            )
        except ImportFileError as error:
            raise CommandError(error.message) from None
        summary = report.as_dict()
        if json:
            self.stdout.write(_json.dumps(summary, indent=2, default=str))
            return
        counts = summary["counts"]
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{summary['rows']} rows: {verb} {counts['create'] + counts['created']} agreements, "
            f"{counts['skipped']} already in the register, {counts['invalid']} with errors."
        )
        for error in summary["errors"]:
            self.stdout.write(f"  row {error['row']}, {error['column']}: {error['message']}")
        if stop_on_error and summary["errors"] and not dry_run:
            self.stdout.write("Nothing was written (--stop-on-error).")
