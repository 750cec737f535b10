"""What a person does with their reminders: acknowledge, snooze, choose delivery, mute kinds,
reset the private calendar URL. Only the recipient acts on a reminder."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from config.display import day
from config.reminders.models import Reminder, ReminderSettings, new_feed_token
from config.reminders.registry import get_kind, kinds

MAX_SNOOZE_DAYS = 366


def can_act_on_reminder(user: User, reminder: Reminder) -> bool:
    return bool(user.is_authenticated and reminder.recipient_id == user.pk)


def _require_recipient(by: User, reminder: Reminder) -> None:
    if not can_act_on_reminder(by, reminder):
        raise PermissionDenied("Only the person reminded acts on a reminder.")


def reminder_acknowledge(*, by: User, reminder: Reminder) -> Reminder:
    """Done with it: the reminder leaves the open list (acknowledging twice changes nothing)."""
    _require_recipient(by, reminder)
    if reminder.acknowledged_at is None:
        reminder.acknowledged_at = timezone.now()
        _save_action(reminder, by=by, fields=["acknowledged_at"])
    return reminder


def clean_snooze_until(value: Any, *, today: date) -> date:
    """A day after today and at most a year ahead."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                {"until": [f"“{value[:20]}” is not a date; use YYYY-MM-DD."]}
            ) from None
    if not isinstance(value, date):
        raise ValidationError({"until": ["Give the day until which to snooze (YYYY-MM-DD)."]})
    if value <= today:
        raise ValidationError(
            {"until": [f"Snooze until a day after today ({day(today)}), not {day(value)}."]}
        )
    if value > today + timedelta(days=MAX_SNOOZE_DAYS):
        raise ValidationError({"until": ["Snooze for at most a year."]})
    return value


def reminder_snooze(*, by: User, reminder: Reminder, until: Any) -> Reminder:
    """Hide an open reminder until a day: it is open again on that day."""
    _require_recipient(by, reminder)
    until = clean_snooze_until(until, today=timezone.localdate())
    if reminder.snoozed_until != until:
        reminder.snoozed_until = until
        _save_action(reminder, by=by, fields=["snoozed_until"])
    return reminder


def _save_action(reminder: Reminder, *, by: User, fields: list[str]) -> None:
    """Save what the person did, with who did it in the reminder's history."""
    reminder._history_user = by  # type: ignore[attr-defined]  # read by simple_history
    with transaction.atomic():
        reminder.save(update_fields=fields)


def reminder_settings_for(user: User) -> ReminderSettings:
    """The person's settings, created with the defaults on first use."""
    found, _created = ReminderSettings.objects.get_or_create(user=user)
    return found


def clean_muted_kinds(values: Any) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [part.strip() for part in values.split(",") if part.strip()]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ValidationError({"muted_kinds": ["Give a list of deadline kinds."]})
    unknown = [v[:80] for v in values if get_kind(v) is None]
    if unknown:
        known = ", ".join(kind.code for kind in kinds())
        named = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise ValidationError(
            {"muted_kinds": [f"Unknown deadline kind {named}: choose from {known}."]}
        )
    return [kind.code for kind in kinds() if kind.code in values]


def reminder_settings_update(
    *, by: User, delivery: Any = None, muted_kinds: Any = None
) -> ReminderSettings:
    """Change one's own delivery (immediate or digest) and muted kinds; `None` keeps a value."""
    errors: dict[str, list[str]] = {}
    current = reminder_settings_for(by)
    if delivery is not None and delivery not in ReminderSettings.Delivery.values:
        choices = ", ".join(ReminderSettings.Delivery.values)
        errors["delivery"] = [f"Choose {choices}, not “{str(delivery)[:20]}”."]
    muted: list[str] | None = None
    if muted_kinds is not None:
        try:
            muted = clean_muted_kinds(muted_kinds)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if delivery is not None:
        current.delivery = delivery
    if muted is not None:
        current.muted_kinds = muted
    _save_settings(current, by=by, reason="")
    return current


def reminder_feed_reset(*, by: User) -> ReminderSettings:
    """A new private calendar URL; the old one answers 404 from now on."""
    current = reminder_settings_for(by)
    current.feed_token = new_feed_token()
    _save_settings(current, by=by, reason="Calendar URL reset.")
    return current


def _save_settings(record: ReminderSettings, *, by: User, reason: str) -> None:
    record._history_user = by  # type: ignore[attr-defined]  # read by simple_history
    record._change_reason = reason  # type: ignore[attr-defined]
    with transaction.atomic():
        record.save()
