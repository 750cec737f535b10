"""What happens when an edition is done: its full-view PDF and XLSX are made and stored, and
its subscribers are e-mailed the briefing, exactly once, through the reminders' ledger and
delivery."""

from __future__ import annotations

import logging

from django.utils import timezone

from checklists.gap_reports.models import GapReport, GapReportFile

logger = logging.getLogger(__name__)


def edition_ready(report: GapReport) -> None:
    """Called once per edition, after the transaction that marked it done has committed (a
    second call arms nothing new)."""
    from checklists.gap_reports.subscriptions import arm_edition_notices
    from checklists.tasks import store_gap_report_file
    from config.reminders.tasks import enqueue_deliveries

    pending = arm_edition_notices(report)  # in the ledger first: the sweeper sends them
    # The full view's files before the e-mails: a full-view subscriber's e-mail attaches the
    # stored PDF when it is made by then (else its own rendering).
    for kind in GapReportFile.Kind.values:
        store_gap_report_file.delay(report.pk, kind)
    logger.info(
        "Gap report %s is ready: %s; %d subscribers to e-mail.", report.pk, report, len(pending)
    )
    if pending:
        enqueue_deliveries(pending, as_of=timezone.localdate())
