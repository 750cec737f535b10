"""The reminder engine in the admin: rules are changed through the same service as the page and
the API; the ledger is read-only, so administrators see what failed and why, with one action that
sends failed reminders again through the delivery service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from config.admin import ServiceAdmin
from config.reminders.delivery import reminders_retry
from config.reminders.models import Reminder, ReminderRule
from config.reminders.rules import reminder_rule_update
from config.reminders.selectors import can_retry_reminders
from config.roles import accord_user

EDITABLE = ["enabled", "lead_days", "recipients", "escalate", "escalate_after_days"]


class ReminderRuleAdminForm(forms.ModelForm[ReminderRule]):
    class Meta:
        model = ReminderRule
        fields = [*EDITABLE, "version"]
        widgets = {"version": forms.HiddenInput()}


@admin.register(ReminderRule)
class ReminderRuleAdmin(ServiceAdmin, SimpleHistoryAdmin):
    form = ReminderRuleAdminForm
    record_argument = "rule"
    list_display = ["__str__", "kind", "enabled", "lead_days", "recipients", "escalate"]
    list_filter = ["enabled", "escalate"]
    readonly_fields = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one rule per kind, created with the kind's defaults

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_update(
        self, *, record: Any, by: Any, version: int, changes: dict[str, Any], m2m: dict[str, Any]
    ) -> Any:
        current = {name: getattr(record, name) for name in EDITABLE}
        return reminder_rule_update(rule=record, by=by, version=version, **{**current, **changes})


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin[Reminder]):
    list_display = [
        "kind",
        "subject_id",
        "due_on",
        "lead_days",
        "recipient",
        "status",
        "digest",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind", "digest", "due_on"]
    search_fields = ["recipient__username", "recipient__email", "message_id", "last_error"]
    list_select_related = ["recipient"]
    date_hierarchy = "due_on"
    actions = ["retry"]

    @admin.display(description="last error")
    def short_error(self, reminder: Reminder) -> str:
        error = reminder.last_error
        return error if len(error) <= 80 else f"{error[:79]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return can_retry_reminders(request.user)

    @admin.action(description="Send the selected failed reminders again", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        try:
            retried = reminders_retry(by=accord_user(request), reminders=queryset)
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        skipped = queryset.count() - len(retried)
        note = f" {skipped} not failed, left as they were." if skipped else ""
        self.message_user(request, f"{len(retried)} reminders will be sent again.{note}")
