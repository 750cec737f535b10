from __future__ import annotations

import socket
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from config.models import WorkerHeartbeat

# The reminder engine's tasks live with its code; importing them here lets autodiscovery
# (which reads config.tasks) register them.
from config.reminders import tasks as reminder_tasks  # noqa: F401


@shared_task(name="config.tasks.record_heartbeat")
def record_heartbeat(as_of: str | None = None) -> str:
    """Record that a worker is alive; `as_of` is when beat (or the caller) scheduled it."""
    scheduled = datetime.fromisoformat(as_of) if as_of else timezone.now()
    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"beat_at": scheduled, "seen_at": timezone.now()}
    )
    return hostname
