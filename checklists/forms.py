from __future__ import annotations

from typing import Any

from django import forms

from agreements.selectors import accord_people
from checklists.models import Assessment, ChecklistTemplate, ItemResponse
from config.bounds import DATE_VALIDATORS
from config.forms import accord_formfield


class AssessmentForm(forms.ModelForm[Assessment]):
    class Meta:
        formfield_callback = accord_formfield
        model = Assessment
        fields = ["template", "kind", "assessor", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ChecklistTemplate.objects.order_by("title", "-version")
        assessor = self.fields["assessor"]
        assert isinstance(assessor, forms.ModelChoiceField)  # a foreign key's form field
        assessor.queryset = accord_people()
        assessor.label_from_instance = _full_name  # type: ignore[method-assign,assignment]  # Django's documented hook


def _full_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class ResponseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(choices=ItemResponse.Result.choices, required=False)
    evidence_text = forms.CharField(required=False)
    evidence_link = forms.URLField(required=False, assume_scheme="https")
    owner = forms.ModelChoiceField(queryset=accord_people(), required=False)
    remediation_plan = forms.CharField(required=False)
    remediation_due_on = forms.DateField(required=False, validators=DATE_VALIDATORS)

    def changes(self) -> dict[str, Any]:
        """Only the fields the request carried, so saving a result never blanks evidence."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "version" and name in self.data
        }
