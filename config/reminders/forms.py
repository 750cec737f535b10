"""The reminder pages' forms. They only collect what was typed: every check is in
`rules.clean_rule` and the services, so the page refuses exactly what the API refuses."""

from __future__ import annotations

from typing import Any

from django import forms

from config.reminders.models import ReminderRule, ReminderSettings
from config.reminders.registry import get_kind, kind_choices


class ReminderRuleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="On")
    lead_days = forms.CharField(
        label="Lead times (days before the date)",
        help_text="Comma-separated, e.g. 90, 60, 30, 7, 0 (0 = on the day).",
        required=False,  # `rules.clean_rule` says what is missing, as it does for the API
        max_length=1000,
    )
    recipients = forms.MultipleChoiceField(
        label="Recipients", widget=forms.CheckboxSelectMultiple, required=False
    )
    escalate = forms.BooleanField(
        required=False, label="Escalate to managers once overdue", help_text=""
    )
    escalate_after_days = forms.CharField(
        required=False,
        label="Escalate after (days overdue)",
        max_length=100,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, rule: ReminderRule, **kwargs: Any) -> None:
        kind = get_kind(rule.kind)
        initial = {
            "enabled": rule.enabled,
            "lead_days": ", ".join(str(lead) for lead in rule.lead_days),
            "recipients": list(rule.recipients),
            "escalate": rule.escalate,
            "escalate_after_days": rule.escalate_after_days or "",
            "version": rule.version,
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        names = kind.recipients if kind else ()
        recipients = self.fields["recipients"]
        assert isinstance(recipients, forms.MultipleChoiceField)
        recipients.choices = [(str(r), r.label) for r in names]


class SnoozeForm(forms.Form):
    until = forms.CharField(
        label="Snooze until", widget=forms.DateInput(attrs={"type": "date"}), max_length=20
    )


class ReminderSettingsForm(forms.Form):
    delivery = forms.ChoiceField(
        label="E-mail me", choices=ReminderSettings.Delivery.choices, widget=forms.RadioSelect
    )
    muted_kinds = forms.MultipleChoiceField(
        label="Mute these kinds",
        help_text="No reminders about them (they stay on your desk and in your calendar).",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        muted = self.fields["muted_kinds"]
        assert isinstance(muted, forms.MultipleChoiceField)
        muted.choices = kind_choices()
