"""Reminder rules: the defaults each kind declares, and the one way a rule is changed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from config.reminders.models import MAX_ESCALATION_DAYS, MAX_LEAD_DAYS, ReminderRule
from config.reminders.registry import Recipient, get_kind, kinds
from config.roles import AnyUser, Role, has_role, is_administrator


def can_edit_reminder_rules(user: AnyUser) -> bool:
    return is_administrator(user) or has_role(user, Role.MANAGER)


def ensure_default_rules() -> list[ReminderRule]:
    """A rule for every registered kind, with the kind's defaults where none exists yet."""
    rules = list(ReminderRule.objects.all())
    existing = {rule.kind for rule in rules}
    missing = [
        ReminderRule(
            kind=kind.code,
            lead_days=list(kind.default_leads),
            recipients=[str(r) for r in kind.default_recipients],
            escalate=kind.default_escalation_days is not None,
            escalate_after_days=kind.default_escalation_days,
        )
        for kind in kinds()
        if kind.code not in existing
    ]
    if not missing:
        return rules
    try:
        with transaction.atomic():
            ReminderRule.objects.bulk_create(missing, ignore_conflicts=True)
    except IntegrityError:  # another process created them first
        pass
    return list(ReminderRule.objects.all())


_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")


def _whole_number(value: Any, *, field: str, low: int, high: int, what: str) -> int:
    """A whole number of days in range; typed text ("-1") and JSON numbers (-1) get the same
    message, so the page and the API refuse a value in the same words."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None:
        shown = str(value).strip()
        if isinstance(value, bool):
            shown = "true" if value else "false"
        raise ValidationError(
            {field: [f"{what} must be a whole number of days, not “{shown[:20]}”."]}
        )
    if not low <= number <= high:
        raise ValidationError(
            {field: [f"{what} must be between {low} and {high:,} days, not {number:,}."]}
        )
    return number


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_lead_days(values: Any) -> list[int]:
    """Lead times: whole days from 0 (on the day) to ten years, each once, largest first.

    Text is split on commas (or semicolons); every element must be a number, so "90,,30" is
    refused like `[90, null, 30]`, not read as `[90, 30]`."""
    if isinstance(values, str):
        values = [] if not values.strip() else values.replace(";", ",").split(",")
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError(
            {"lead_days": ["Give at least one lead time, in days before the date."]}
        )
    if len(values) > 20:
        raise ValidationError({"lead_days": ["At most 20 lead times."]})
    empty = [position for position, value in enumerate(values, start=1) if _is_empty(value)]
    if empty:
        places = ", ".join(str(position) for position in empty)
        raise ValidationError(
            {
                "lead_days": [
                    f"Lead time {places} of {len(values)} is empty: give whole days separated"
                    " by commas, e.g. 90, 30, 7, 0."
                ]
            }
        )
    leads = [
        _whole_number(v, field="lead_days", low=0, high=MAX_LEAD_DAYS, what="A lead time")
        for v in values
    ]
    duplicates = sorted({lead for lead in leads if leads.count(lead) > 1})
    if duplicates:
        listed = ", ".join(str(d) for d in duplicates)
        raise ValidationError({"lead_days": [f"Each lead time once: {listed} is given twice."]})
    return sorted(leads, reverse=True)


def clean_recipients(values: Any, *, kind_code: str) -> list[str]:
    kind = get_kind(kind_code)
    if isinstance(values, str):
        values = [part.strip() for part in values.split(",") if part.strip()]
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError({"recipients": ["Choose at least one recipient."]})
    allowed = [str(r) for r in (kind.recipients if kind else Recipient)]
    unknown = [str(v)[:40] for v in values if v not in allowed]
    if unknown:
        raise ValidationError(
            {
                "recipients": [
                    f"Unknown recipient {', '.join(unknown)}: choose from {', '.join(allowed)}."
                ]
            }
        )
    return [r for r in allowed if r in values]


def clean_rule(
    *,
    kind: str,
    lead_days: Any,
    recipients: Any,
    escalate: bool,
    escalate_after_days: Any,
) -> dict[str, Any]:
    """Every check on a rule, for the page, the API and the admin alike; raises one
    ValidationError naming each field at fault."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {"escalate": bool(escalate)}
    if get_kind(kind) is None:
        errors["kind"] = [f"Unknown deadline kind “{str(kind)[:80]}”."]
    for name, clean in (
        ("lead_days", lambda: clean_lead_days(lead_days)),
        ("recipients", lambda: clean_recipients(recipients, kind_code=kind)),
    ):
        try:
            cleaned[name] = clean()
        except ValidationError as error:
            errors.update(error.message_dict)
    if escalate_after_days in (None, ""):
        if escalate:
            errors["escalate_after_days"] = [
                "An escalation needs a delay: after how many days overdue are managers reminded?"
            ]
        cleaned["escalate_after_days"] = None
    else:
        try:
            cleaned["escalate_after_days"] = _whole_number(
                escalate_after_days,
                field="escalate_after_days",
                low=1,
                high=MAX_ESCALATION_DAYS,
                what="The escalation delay",
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def reminder_rule_update(
    *,
    by: User,
    rule: ReminderRule,
    enabled: bool,
    lead_days: Any,
    recipients: Any,
    escalate: bool,
    escalate_after_days: Any,
    version: int | None = None,
) -> ReminderRule:
    """Change a rule (managers and administrators); the change is in the rule's history."""
    if not can_edit_reminder_rules(by):
        raise PermissionDenied("Only managers change reminder rules.")
    cleaned = clean_rule(
        kind=rule.kind,
        lead_days=lead_days,
        recipients=recipients,
        escalate=escalate,
        escalate_after_days=escalate_after_days,
    )
    if version is not None:
        rule.version = version
    rule.enabled = bool(enabled)
    for name, value in cleaned.items():
        setattr(rule, name, value)
    rule._history_user = by
    rule._change_reason = ""
    with transaction.atomic():
        rule.save()
    return rule


def rules_by_kind(rules: Iterable[ReminderRule] | None = None) -> dict[str, ReminderRule]:
    return {rule.kind: rule for rule in (rules if rules is not None else ensure_default_rules())}
