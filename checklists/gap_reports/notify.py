"""What happens when an edition is done. Subscriptions (e-mailing the PDF, exactly once,
through the reminders' ledger) hook in here; until then an edition only logs that it is ready."""

from __future__ import annotations

import logging

from checklists.gap_reports.models import GapReport

logger = logging.getLogger(__name__)


def edition_ready(report: GapReport) -> None:
    """Called once per edition, after the transaction that marked it done has committed."""
    logger.info("Gap report %s is ready: %s.", report.pk, report)
