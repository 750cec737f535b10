"""Import jobs: queued from an upload, run once by a worker, always finished `done` or `failed`.

A job is claimed with a conditional update and keeps a heartbeat while it writes. A job whose
worker stopped (killed, out of memory, the machine gone) is found by the periodic sweep, or when
its status is read, and marked failed with what it wrote; the import task has its own soft and
hard time limits, so a live job is never older than ACCORD_IMPORT_TIME_LIMIT without a beat and
ACCORD_IMPORT_STALE_AFTER_SECONDS (above it) decides that a worker is gone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import AgreementImport
from agreements.selectors.agreements import can_import_agreements
from agreements.services.imports import ImportFileError, agreement_register_import

logger = logging.getLogger(__name__)


def _written_so_far(*, stop_on_error: bool, written: int) -> str:
    """What a stopped import left in the register, said plainly."""
    if stop_on_error:
        return "nothing was written (this import writes all or nothing)"
    if written == 0:
        return "nothing was written"
    return (
        f"{written} agreement{'s were' if written != 1 else ' was'} written before it stopped, "
        "each whole with its parties; import the same file again to write the rest (those "
        "already written are skipped)"
    )


def agreement_import_run(*, job: AgreementImport) -> AgreementImport:
    """Run a queued import job once: the claim is a conditional update that only one worker
    can win. The job always finishes `done` or `failed`, whatever goes wrong."""
    now = timezone.now()
    claimed = AgreementImport.objects.filter(
        pk=job.pk, status=AgreementImport.Status.QUEUED
    ).update(status=AgreementImport.Status.RUNNING, started_at=now, heartbeat_at=now)
    job.refresh_from_db()
    if claimed != 1:
        return job
    written = 0

    def beat(count: int) -> None:
        nonlocal written
        written = count
        AgreementImport.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now(), agreements_written=count
        )

    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        report = agreement_register_import(
            content=content,
            filename=job.original_name,
            by=job.created_by,
            dry_run=job.dry_run,
            stop_on_error=job.stop_on_error,
            on_written=beat,
        )
    except ImportFileError as error:
        job.status = AgreementImport.Status.FAILED
        job.error = error.message
        job.report = {
            "errors": [{"row": 1, "column": error.column or "file", "message": error.message}]
        }
    except SoftTimeLimitExceeded:
        job.status = AgreementImport.Status.FAILED
        left = _written_so_far(stop_on_error=job.stop_on_error, written=written)
        job.error = (
            f"The import took longer than {settings.ACCORD_IMPORT_SOFT_TIME_LIMIT:,} seconds "
            f"and was stopped; {left}."
        )
    except Exception as error:  # recorded on the job and logged with its traceback
        logger.exception("Import %s stopped on an unexpected error.", job.pk)
        job.status = AgreementImport.Status.FAILED
        job.error = (
            f"The import stopped on an unexpected error ({type(error).__name__}); "
            f"{_written_so_far(stop_on_error=job.stop_on_error, written=written)}. "
            "The details are in the worker's log."
        )
    else:
        job.status = AgreementImport.Status.DONE
        job.report = report.as_dict()
    if job.status == AgreementImport.Status.DONE:
        written = sum(1 for a in report.agreements if a.outcome == "created")
    job.agreements_written = written
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "report", "finished_at", "agreements_written"])
    return job


def _stale_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.ACCORD_IMPORT_STALE_AFTER_SECONDS)


def _fail_if_stale(job: AgreementImport, *, now: datetime) -> bool:
    """Mark a running job whose worker stopped as failed, saying what it wrote. The update is
    conditional: a job that shows a fresh sign of life meanwhile is left running."""
    cutoff = _stale_cutoff(now)
    last = job.heartbeat_at or job.started_at
    if job.status != AgreementImport.Status.RUNNING or last is None or last >= cutoff:
        return False
    written = 0 if job.stop_on_error else job.agreements_written
    reason = (
        "The worker stopped while importing (no sign of life since "
        f"{last:%Y-%m-%d %H:%M:%S %Z}); "
        f"{_written_so_far(stop_on_error=job.stop_on_error, written=written)}."
    )
    changed = (
        AgreementImport.objects.filter(pk=job.pk, status=AgreementImport.Status.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .update(status=AgreementImport.Status.FAILED, error=reason, finished_at=now)
    )
    return changed == 1


def agreement_imports_fail_stale(*, now: datetime) -> list[int]:
    """The sweep: every running import whose worker stopped is marked failed."""
    cutoff = _stale_cutoff(now)
    stale = AgreementImport.objects.filter(status=AgreementImport.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    return [job.pk for job in stale if _fail_if_stale(job, now=now)]


def agreement_imports_lost_in_queue(*, now: datetime) -> list[int]:
    """Queued imports older than the stale limit: their message may have been lost with the
    broker (the database, not the queue, is the record), so the sweep sends them again. A
    duplicate is harmless: only one worker can claim a job."""
    return list(
        AgreementImport.objects.filter(
            status=AgreementImport.Status.QUEUED, created_at__lt=_stale_cutoff(now)
        ).values_list("pk", flat=True)
    )


def agreement_import_status(
    *, job: AgreementImport, now: datetime | None = None
) -> AgreementImport:
    """A job as its status page and API show it: a stale claim is found when it is read."""
    if _fail_if_stale(job, now=now or timezone.now()):
        job.refresh_from_db()
    return job


def agreement_import_start(
    *, by: User, upload: Any, dry_run: bool, stop_on_error: bool
) -> AgreementImport:
    """Store the upload and queue the import; the caller answers 202 with the job's address."""
    from agreements.tasks import run_agreement_import  # tasks import services: import late

    if not can_import_agreements(by):
        raise PermissionDenied("Only administrators import agreement registers.")
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    if size > settings.ACCORD_IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": [
                    f"The file is {size:,} bytes; the limit is "
                    f"{settings.ACCORD_IMPORT_MAX_BYTES:,} bytes."
                ]
            }
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ValidationError({"file": ["Upload a .csv or .xlsx file."]})
    job = AgreementImport.objects.create(
        file=upload,
        original_name=PurePath(upload.name).name,
        dry_run=dry_run,
        stop_on_error=stop_on_error,
        created_by=by,
    )
    transaction.on_commit(lambda: run_agreement_import.delay(job.pk))
    return job
