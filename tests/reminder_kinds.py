"""Helpers for the tests of each app's deadline kinds: one rule on, who got what."""

from __future__ import annotations

from datetime import date

from config.reminders.models import Reminder, ReminderRule
from config.reminders.rules import ensure_default_rules
from config.reminders.selectors import due_items


def only_rule(code: str, **changes: object) -> ReminderRule:
    """Every other kind's rule off, this one with its defaults (and `changes`), no escalation."""
    ensure_default_rules()
    ReminderRule.objects.exclude(kind=code).update(enabled=False)
    rule = ReminderRule.objects.get(kind=code)
    rule.escalate = False
    rule.escalate_after_days = None
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def reminded(code: str) -> list[tuple[int, date, int, str, str]]:
    """(subject, due date, lead, recipient, status) of every ledger row of one kind."""
    return sorted(
        Reminder.objects.filter(kind=code).values_list(
            "subject_id", "due_on", "lead_days", "recipient__username", "status"
        )
    )


def sentences(code: str, user: object | None = None) -> list[str]:
    """What the desk, the e-mail and the feed say about each subject of one kind."""
    return [
        item.wording.sentence
        for item in due_items(user, start=None, end=None, kind_codes=[code])  # type: ignore[arg-type]
    ]
