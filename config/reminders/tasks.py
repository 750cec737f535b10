"""Celery adapters of the reminder engine: they take ids and an as-of date and call delivery.

Celery on Redis delivers at least once and loses queued messages when Redis dies without
persistence, so nothing here decides correctness: the ledger and its claims do. Every task is
safe to run twice or in two workers at once; the sweeper sends again what a lost message or a
dead worker left pending.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from config.reminders import delivery
from config.reminders.models import Reminder
from config.reminders.scan import scan

logger = logging.getLogger(__name__)

# A chunk of 20 e-mails at the SMTP timeout (20 s) stays under the hard limit rarely; rows a
# killed task did not reach were never claimed, and the sweeper sends them.
_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 240,
    "time_limit": 300,
}


def _day(as_of: str | None) -> date:
    return date.fromisoformat(as_of) if as_of else timezone.localdate()


def enqueue_deliveries(reminder_ids: list[int], *, as_of: date) -> None:
    """Fan out after the commit, in chunks of ids."""
    for chunk in delivery.chunks(reminder_ids):
        transaction.on_commit(partial(deliver_reminders.delay, chunk, as_of.isoformat()))


def enqueue_digests(user_ids: list[int], *, as_of: date) -> None:
    for user_id in user_ids:
        transaction.on_commit(partial(deliver_digest.delay, user_id, as_of.isoformat()))


def enqueue_retried(reminder_ids: list[int]) -> None:
    """What an administrator sent back to pending goes out now, not at the next sweep."""
    rows = Reminder.objects.filter(pk__in=reminder_ids, status=Reminder.Status.PENDING)
    today = timezone.localdate()
    enqueue_deliveries(list(rows.filter(digest=False).values_list("pk", flat=True)), as_of=today)
    enqueue_digests(
        sorted(set(rows.filter(digest=True).values_list("recipient_id", flat=True))), as_of=today
    )


@shared_task(name="config.reminders.scan", **_TASK_OPTIONS)
def scan_reminders(as_of: str | None = None) -> dict[str, int]:
    """Several times a day: arm what is due, then fan out the immediate e-mails."""
    day = _day(as_of)
    result = scan(as_of=day)
    due = list(delivery.deliverable(now=timezone.now()).values_list("pk", flat=True))
    enqueue_deliveries(due, as_of=day)
    logger.info("%s %d immediate reminders to deliver.", result, len(due))
    return {"armed": result.armed, "cancelled": result.cancelled, "to_deliver": len(due)}


@shared_task(name="config.reminders.deliver", **_TASK_OPTIONS)
def deliver_reminders(reminder_ids: list[int], as_of: str) -> dict[str, int]:
    result = delivery.deliver_reminders(reminder_ids=reminder_ids, as_of=_day(as_of))
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}


@shared_task(name="config.reminders.digest", **_TASK_OPTIONS)
def send_digests(as_of: str | None = None) -> int:
    """Daily: every digest reader's due rows become one e-mail each."""
    day = _day(as_of)
    readers = delivery.digest_release(now=timezone.now())
    enqueue_digests(readers, as_of=day)
    return len(readers)


@shared_task(name="config.reminders.deliver_digest", **_TASK_OPTIONS)
def deliver_digest(user_id: int, as_of: str) -> dict[str, int]:
    result = delivery.deliver_digest(user_id=user_id, as_of=_day(as_of))
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}


@shared_task(name="config.reminders.sweep", **_TASK_OPTIONS)
def sweep_reminders(as_of: str | None = None) -> dict[str, int]:
    """Every few minutes: pending rows nobody holds and due for an attempt (lost message, dead
    worker, back-off over) are sent again; `as_of` is the moment (ISO) to sweep for."""
    now = datetime.fromisoformat(as_of) if as_of else timezone.now()
    immediate, readers = delivery.reminders_lost(now=now)
    day = timezone.localdate(now)
    enqueue_deliveries(immediate, as_of=day)
    enqueue_digests(readers, as_of=day)
    if immediate or readers:
        logger.warning(
            "Reminder sweep: %d reminders and %d digests sent again.", len(immediate), len(readers)
        )
    return {"reminders": len(immediate), "digests": len(readers)}
