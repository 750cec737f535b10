"""The reminder rules in the admin: changed through the same service as the page and the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from config.admin import ServiceAdmin
from config.reminders.models import ReminderRule
from config.reminders.rules import reminder_rule_update

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
