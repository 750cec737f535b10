"""Reminder rules, the reminder ledger and each person's reminder settings."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from config.versioning import VersionedModel

MAX_LEAD_DAYS = 3650  # ten years
MAX_ESCALATION_DAYS = 3650
# Lead reminders still go out this many days after the date (a run that was missed, a date
# entered late); older overdue items are the escalation's business, never a burst of e-mails.
CATCH_UP_DAYS = 30
# An escalation still goes to the managers this long after its delay has passed (a rule
# switched on late, a date entered long after it passed): once, not for every day missed.
ESCALATION_CATCH_UP_DAYS = 365


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


# What a person changes on a reminder of theirs; the rest of the row is the system's ledger.
PERSON_FIELDS = ("acknowledged_at", "snoozed_until")


class PersonActionHistory(HistoricalRecords):  # type: ignore[misc]  # simple_history ships no types
    """The history of what people do to a ledger row (acknowledge, snooze), not of the ledger.

    The scan's and subscriptions' inserts, the delivery's claims and sends and every save that
    touches none of `PERSON_FIELDS` write no snapshot; deleting rows (a person removed, the
    bench resetting its ledger) stays one fast DELETE, with no snapshot per row."""

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            models.signals.post_delete.disconnect(self.post_delete, sender=sender)
            models.signals.pre_delete.disconnect(self.pre_delete, sender=sender)

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if created or (update_fields is not None and not set(update_fields) & {*PERSON_FIELDS}):
            return
        super().post_save(instance, created, using=using, **kwargs)


class ReminderRule(VersionedModel):
    """When and whom to remind about one deadline kind. One rule per kind; managers edit it."""

    kind = models.CharField(max_length=80, unique=True, help_text="The deadline kind.")
    enabled = models.BooleanField(default=True)
    lead_days = models.JSONField(
        default=list,
        help_text="Days before the date on which to remind, e.g. [90, 60, 30, 7, 0].",
    )
    recipients = models.JSONField(
        default=list,
        help_text="Who is reminded: owner, legal_reviewer, liaison_officers, managers.",
    )
    escalate = models.BooleanField(
        default=False, help_text="Remind managers once the date has passed by the delay below."
    )
    escalate_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days overdue before managers are reminded."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        from config.reminders.registry import get_kind

        kind = get_kind(self.kind)
        return kind.label if kind else self.kind


class Reminder(models.Model):
    """One reminder: a kind, a record, its due date, a threshold and a recipient — once.

    The unique constraint is what makes reminders exactly-once: the scan inserts rows and the
    database refuses a second copy; delivery claims a row with a conditional UPDATE before
    sending it. `lead_days` is the threshold crossed (days before the date); a negative value
    is an escalation that many days after it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=80)
    subject_id = models.PositiveBigIntegerField()
    due_on = models.DateField()
    lead_days = models.IntegerField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    digest = models.BooleanField(
        default=False, help_text="Goes out in the recipient's daily digest, not on its own."
    )
    armed_on = models.DateField(help_text="The scan day that armed it (the as-of date).")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A delivery holds the row until then."
    )
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    # Only what the person changes is kept (`PERSON_FIELDS`); the ledger's columns are not.
    history = PersonActionHistory(
        excluded_fields=[
            "kind",
            "subject_id",
            "due_on",
            "lead_days",
            "recipient",
            "status",
            "digest",
            "armed_on",
            "created_at",
            "attempts",
            "next_attempt_at",
            "claimed_until",
            "last_error",
            "sent_at",
            "message_id",
            "cancelled_reason",
        ]
    )

    class Meta:
        ordering = ["due_on", "kind", "subject_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_id", "due_on", "lead_days", "recipient"],
                name="reminder_once_per_threshold_and_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["kind", "due_on"]),
            models.Index(fields=["recipient", "status", "due_on"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.kind} #{self.subject_id} due {self.due_on} ({self.lead_days} d)"
            f" → user {self.recipient_id}"
        )

    @property
    def is_escalation(self) -> bool:
        return self.lead_days < 0


class ReminderSettings(models.Model):
    """One person's choices: immediate e-mails or a daily digest, muted kinds, the feed token."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "An e-mail for each reminder"
        DIGEST = "digest", "One daily digest"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_settings"
    )
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    muted_kinds = models.JSONField(default=list, blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Reminder settings of {self.user}"
