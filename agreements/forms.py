from __future__ import annotations

from typing import Any

from django import forms

from agreements.models import Partner
from agreements.selectors import liaison_officer_candidates, partners_visible_to
from config.roles import AnyUser, is_administrator


class PartnerForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Partner
        fields = [
            "name",
            "short_name",
            "kind",
            "country_code",
            "region",
            "parent",
            "status",
            "liaison_officers",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "country_code": forms.TextInput(
                attrs={"maxlength": 2, "placeholder": "e.g. CO", "autocapitalize": "characters"}
            ),
            "liaison_officers": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nations = partners_visible_to(user).filter(kind=Partner.Kind.NATION)
        if self.instance.pk:
            nations = nations.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = nations
        self.fields["parent"].label = "Parent nation"
        if is_administrator(user):
            self.fields["liaison_officers"].queryset = liaison_officer_candidates()
        else:
            del self.fields["liaison_officers"]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_country_code(self) -> str:
        return (self.cleaned_data.get("country_code") or "").strip().upper()

    def partner_changes(self) -> dict[str, Any]:
        """The cleaned values the service takes, without the form's bookkeeping."""
        changes = dict(self.cleaned_data)
        changes.pop("version", None)
        return changes
