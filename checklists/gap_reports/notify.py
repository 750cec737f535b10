"""What happens when an edition is done: its subscribers are e-mailed the briefing, exactly
once, through the reminders' ledger and delivery."""

from __future__ import annotations

import logging

from django.utils import timezone

from checklists.gap_reports.models import GapReport

logger = logging.getLogger(__name__)


def edition_ready(report: GapReport) -> None:
    """Called once per edition, after the transaction that marked it done has committed (a
    second call arms nothing new)."""
    from checklists.gap_reports.subscriptions import arm_edition_notices
    from config.reminders.tasks import enqueue_deliveries

    pending = arm_edition_notices(report)
    logger.info(
        "Gap report %s is ready: %s; %d subscribers to e-mail.", report.pk, report, len(pending)
    )
    if pending:
        enqueue_deliveries(pending, as_of=timezone.localdate())
