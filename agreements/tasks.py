"""Celery adapters: take primary keys and dates, call a service."""

from __future__ import annotations

import logging
from datetime import date, datetime

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agreements.models import Agreement, AgreementImport
from agreements.services.agreements import (
    LifecycleRun,
    agreement_lifecycle_step,
    agreements_due_for_lifecycle,
)

logger = logging.getLogger(__name__)


@shared_task(name="agreements.tasks.lifecycle_sweep")
def lifecycle_sweep(as_of: str | None = None) -> int:
    """Daily: find the agreements with a lifecycle step due and fan out one task each."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    pks = list(agreements_due_for_lifecycle(as_of=day).values_list("pk", flat=True))
    for pk in pks:
        transaction.on_commit(lambda pk=pk: lifecycle_step.delay(pk, day.isoformat()))
    logger.info("Lifecycle sweep for %s: %d agreements due.", day, len(pks))
    return len(pks)


@shared_task(name="agreements.tasks.lifecycle_step")
def lifecycle_step(agreement_id: int, as_of: str) -> dict[str, list[str]]:
    run = LifecycleRun(as_of=date.fromisoformat(as_of))
    agreement = Agreement.objects.filter(pk=agreement_id).first()
    if agreement is not None:
        agreement_lifecycle_step(agreement=agreement, as_of=run.as_of, run=run)
    return {
        "entered_into_force": run.entered_into_force,
        "renewed": run.renewed,
        "expired": run.expired,
        "not_ready": run.not_ready,
    }


@shared_task(
    name="agreements.tasks.run_agreement_import",
    soft_time_limit=settings.ACCORD_IMPORT_SOFT_TIME_LIMIT,
    time_limit=settings.ACCORD_IMPORT_TIME_LIMIT,
)
def run_agreement_import(import_id: int) -> str:
    from agreements.services.import_jobs import agreement_import_run

    job = AgreementImport.objects.filter(pk=import_id).first()
    if job is None:
        return "missing"
    return agreement_import_run(job=job).status


@shared_task(name="agreements.tasks.import_sweep")
def import_sweep(as_of: str | None = None) -> dict[str, list[int]]:
    """Every few minutes: imports whose worker stopped are marked failed; queued imports whose
    message was lost are sent again."""
    from agreements.services.import_jobs import (
        agreement_imports_fail_stale,
        agreement_imports_lost_in_queue,
    )

    now = datetime.fromisoformat(as_of) if as_of else timezone.now()
    failed = agreement_imports_fail_stale(now=now)
    requeued = agreement_imports_lost_in_queue(now=now)
    for pk in requeued:
        transaction.on_commit(lambda pk=pk: run_agreement_import.delay(pk))
    if failed or requeued:
        logger.warning("Import sweep: failed %s (worker stopped), sent again %s.", failed, requeued)
    return {"failed": failed, "requeued": requeued}
