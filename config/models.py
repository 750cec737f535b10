from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat-scheduled heartbeat; one row per worker host."""

    hostname = models.CharField(max_length=255, unique=True)
    beat_at = models.DateTimeField(help_text="When beat scheduled the heartbeat task.")
    seen_at = models.DateTimeField(help_text="When a worker ran it.")

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class SignInFailure(models.Model):
    """One failed sign-in: enough of them for a username from one address lock that pair out.
    Rows older than the lockout window are pruned as new ones arrive."""

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "address", "at"])]

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M:%S}"


# The reminder engine's models live with its code; importing them here registers them.
from config.reminders.models import Reminder, ReminderRule, ReminderSettings  # noqa: E402

__all__ = ["Reminder", "ReminderRule", "ReminderSettings", "SignInFailure", "WorkerHeartbeat"]
