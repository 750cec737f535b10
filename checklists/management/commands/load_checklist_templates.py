from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists.exceptions import ChecklistsError
from checklists.services import template_load

LIBRARY = Path(__file__).resolve().parents[2] / "library"


class Command(BaseCommand):
    help = (
        "Publish the checklist templates shipped in checklists/library/ (or the files given). "
        "Unchanged files are skipped; a changed file with a published version is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="YAML files (default: the shipped library)")

    def handle(self, *args: Any, paths: list[str], **options: Any) -> None:
        files = [Path(p) for p in paths] or sorted(LIBRARY.glob("*.yaml"))
        refused = 0
        limit = settings.ACCORD_IMPORT_MAX_BYTES
        for path in files:
            try:
                size = path.stat().st_size
                if size > limit:
                    # Refused before it is read: the same limit as an uploaded template.
                    raise ChecklistsError(
                        "The template file is too large.",
                        field_errors={
                            "file": [f"The file is {size:,} bytes; the limit is {limit:,} bytes."]
                        },
                    )
                result = template_load(content=path.read_bytes(), source_name=path.name)
            except OSError as error:
                refused += 1
                self.stderr.write(f"{path}: cannot be read: {error.strerror}")
                continue
            except ChecklistsError as error:
                refused += 1
                self.stderr.write(f"{path.name}: refused: {error.message}")
                for field, messages in error.field_errors.items():
                    for message in messages:
                        self.stderr.write(f"  {field}: {message}")
                continue
            template = result.template
            state = "published" if result.created else "unchanged, skipped"
            self.stdout.write(
                f"{path.name}: {template.urn} v{template.version} "
                f"({template.items.count()} items) {state}"
            )
        if refused:
            raise CommandError(f"{refused} template file(s) refused.")
