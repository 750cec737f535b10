"""Generate a gap report edition now, in this process, and print it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists.gap_reports.models import DEFAULT_HORIZON_DAYS, GapReport, GapReportRow
from checklists.gap_reports.selectors import CHANGE_KINDS
from checklists.services.gap_reports import gap_report_generate, gap_report_request


class Command(BaseCommand):
    help = "Generate a gap report (portfolio, one partner or one region) as of a date, now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, help="The report date, YYYY-MM-DD.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--partner", help="A partner's id: a partner edition.")
        target.add_argument("--region", help="A region code, e.g. caribbean: a region edition.")
        parser.add_argument("--horizon", type=int, default=DEFAULT_HORIZON_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = date.fromisoformat(options["as_of"])
        except ValueError:
            raise CommandError(f"--as-of: not a date (YYYY-MM-DD): {options['as_of']}") from None
        scope = (
            GapReport.Scope.PARTNER
            if options["partner"]
            else GapReport.Scope.REGION
            if options["region"]
            else GapReport.Scope.PORTFOLIO
        )
        try:
            # by=None: the command acts as the schedule does, for the whole register.
            report = gap_report_request(
                by=None,
                scope=scope,
                partner=options["partner"],
                region=options["region"] or "",
                as_of=as_of,
                horizon_days=options["horizon"],
            )
        except ValidationError as error:
            names = {"as_of": "--as-of", "horizon_days": "--horizon"}
            raise CommandError(
                "; ".join(
                    f"{names.get(name, '--' + name)}: {' '.join(messages)}"
                    for name, messages in error.message_dict.items()
                )
            ) from None
        report = gap_report_generate(report=report)
        self._print(report)

    def _print(self, report: GapReport) -> None:
        self.stdout.write(f"Gap report {report.pk}: {report} — {report.get_status_display()}")
        if report.status != GapReport.Status.DONE:
            self.stdout.write(f"  {report.reason}")
            return
        totals = report.totals
        for section, label in GapReportRow.Section.choices:
            if section in totals:
                self.stdout.write(f"  {label}: {totals[section]} open gaps")
        average = totals.get("average_score")
        self.stdout.write(
            f"  Blocking planned work: {totals.get('blocking', 0)}; average score: "
            f"{average if average is not None else '—'}"
        )
        rows = report.rows.all()
        changes = {
            kind: rows.filter(section=GapReportRow.Section.CHANGES, kind=kind).count()
            for kind in CHANGE_KINDS
        }
        self.stdout.write(
            "  Changed since the previous edition: "
            + (
                ", ".join(f"{n} {kind}" for kind, n in changes.items())
                if report.previous_id
                else "no previous edition"
            )
        )
        top = rows.filter(is_gap=True).exclude(section=GapReportRow.Section.CHANGES)
        for row in top.order_by("importance")[:10]:
            self.stdout.write(
                f"  - [{row.section}] {row.data.get('partner_name') or 'All partners'}: "
                f"{row.data.get('detail') or row.data.get('requirement') or row.key}"
            )
