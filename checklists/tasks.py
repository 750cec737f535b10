"""Celery adapters for gap reports: take primary keys and dates, call a service."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from checklists.models import GapReport

logger = logging.getLogger(__name__)

#: A gap report's generation and the making of its files: redelivered if the worker dies,
#: within the gap report time limits.
_LONG_GAP_REPORT_WORK: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": settings.ACCORD_GAP_REPORT_SOFT_TIME_LIMIT,
    "time_limit": settings.ACCORD_GAP_REPORT_TIME_LIMIT,
}


@shared_task(
    name="checklists.tasks.generate_gap_report",
    **_LONG_GAP_REPORT_WORK,
)
def generate_gap_report(report_id: int) -> str:
    """Idempotent: an edition that is not queued (done, failed, or claimed) is left alone."""
    from checklists.services.gap_reports import gap_report_generate

    report = GapReport.objects.filter(pk=report_id).first()
    if report is None:
        return "missing"
    return gap_report_generate(report=report).status


@shared_task(name="checklists.tasks.weekly_gap_report")
def weekly_gap_report(as_of: str | None = None) -> int:
    """Weekly: the portfolio edition of this ISO week; running it twice yields one edition."""
    from checklists.services.gap_reports import gap_report_scheduled

    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return gap_report_scheduled(as_of=day).pk


@shared_task(name="checklists.tasks.gap_report_sweep")
def gap_report_sweep(as_of: str | None = None) -> dict[str, list[int]]:
    """Every few minutes: crashed editions are marked failed; queued ones whose message was
    lost are sent again."""
    from checklists.services.gap_reports import gap_reports_fail_stale, gap_reports_lost_in_queue

    now = datetime.fromisoformat(as_of) if as_of else timezone.now()
    failed = gap_reports_fail_stale(now=now)
    requeued = gap_reports_lost_in_queue(now=now)
    for pk in requeued:
        transaction.on_commit(partial(generate_gap_report.delay, pk))
    if failed or requeued:
        logger.warning("Gap report sweep: failed %s, sent again %s.", failed, requeued)
    return {"failed": failed, "requeued": requeued}


@shared_task(
    name="checklists.tasks.store_gap_report_file",
    **_LONG_GAP_REPORT_WORK,
)
def store_gap_report_file(report_id: int, kind: str) -> int | None:
    """After an edition is done: its full-view PDF or XLSX, rendered once and stored (the
    stored file's size, or None if it could not be made). Running it again renders nothing."""
    from checklists.gap_reports.files import gap_report_file_store

    report = GapReport.objects.filter(pk=report_id).select_related("partner").first()
    if report is None:
        return None
    stored = gap_report_file_store(report=report, kind=kind)
    return stored.size if stored else None
