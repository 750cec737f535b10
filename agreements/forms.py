from __future__ import annotations

from typing import Any

from django import forms

from agreements.models import (
    ActivityType,
    Agreement,
    AgreementDocument,
    AgreementParty,
    AgreementReview,
    Engagement,
    LegalMandate,
    LegalReview,
    Partner,
    SovereigntyConstraint,
)
from agreements.models.mandates import MANDATE_EDIT_FIELDS
from agreements.selectors import (
    activity_types,
    agreements_visible_to,
    liaison_officer_candidates,
    partners_visible_to,
    users_with_role,
)
from config.bounds import DATE_VALIDATORS
from config.forms import accord_formfield, remember_loaded_values
from config.roles import AnyUser, Role, has_role, is_administrator


class PartnerForm(forms.ModelForm[Partner]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = accord_formfield
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
            remember_loaded_values(self)

    def clean_country_code(self) -> str:
        return (self.cleaned_data.get("country_code") or "").strip().upper()

    def partner_changes(self) -> dict[str, Any]:
        """The cleaned values the service takes, without the form's bookkeeping."""
        changes = dict(self.cleaned_data)
        changes.pop("version", None)
        return changes


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AgreementForm(forms.ModelForm[Agreement]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # On a new agreement only: its first party (more are added on the agreement's page).
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label="Partner",
        help_text="The first party; add more parties on the agreement's page.",
    )
    party_role = forms.ChoiceField(
        choices=AgreementParty.Role.choices,
        initial=AgreementParty.Role.PARTY,
        required=False,
        label="As",
    )

    class Meta:
        formfield_callback = accord_formfield
        model = Agreement
        fields = [
            "reference",
            "title",
            "kind",
            "activity_types",
            "owner",
            "legal_reviewer",
            "parent",
            "relation_to_parent",
            "supersedes",
            "signed_on",
            "effective_on",
            "expires_on",
            "auto_renews",
            "renewal_term_months",
            "notice_period_days",
            "review_interval_months",
            "summary",
        ]
        widgets = {
            "activity_types": forms.CheckboxSelectMultiple,
            "signed_on": _DateInput(),
            "effective_on": _DateInput(),
            "expires_on": _DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visible = agreements_visible_to(user)
        if self.instance.pk:
            visible = visible.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = visible
        self.fields["supersedes"].queryset = visible
        self.fields["activity_types"].queryset = activity_types()
        self.fields["owner"].queryset = liaison_officer_candidates()
        self.fields["legal_reviewer"].queryset = users_with_role(Role.LEGAL_ADVISOR)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            del self.fields["partner"], self.fields["party_role"]
            remember_loaded_values(self)
        else:
            self.fields["partner"].queryset = partners_visible_to(user).order_by("name")
            self.order_fields(["reference", "title", "kind", "partner", "party_role"])
            if has_role(user, Role.LIAISON_OFFICER) and "owner" not in self.initial:
                self.initial["owner"] = user.pk

    def service_fields(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values.pop("version", None)
        values["activity_types"] = list(values.get("activity_types") or [])
        partner = values.pop("partner", None)
        role = values.pop("party_role", None) or AgreementParty.Role.PARTY
        if "partner" in self.fields:
            values["parties"] = [{"partner": partner, "role": role}] if partner else []
        return values


class PartyForm(forms.ModelForm[AgreementParty]):
    class Meta:
        formfield_callback = accord_formfield
        model = AgreementParty
        fields = ["partner", "role", "signed_on", "in_force_on", "withdrawn_on", "reservations"]
        widgets = {
            "signed_on": _DateInput(),
            "in_force_on": _DateInput(),
            "withdrawn_on": _DateInput(),
            "reservations": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: AnyUser, agreement: Agreement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_visible_to(user).exclude(
            agreement_parties__agreement=agreement
        )

    def _post_clean(self) -> None:
        # The service validates the party against its agreement; the form checks fields only.
        pass


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Agreement.Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    """The confirmation of a removal: why, kept in the history."""

    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the history with your name.",
    )


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(widget=_DateInput(), validators=DATE_VALIDATORS)
    outcome = forms.ChoiceField(choices=AgreementReview.Outcome.choices)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(forms.Form):
    file = forms.FileField()
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=AgreementDocument.Kind.choices)
    language = forms.CharField(
        max_length=3, initial="en", help_text="ISO 639 code, e.g. en, es, fr."
    )
    equally_authentic = forms.BooleanField(required=False)


class MandateForm(forms.ModelForm[LegalMandate]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = accord_formfield
        model = LegalMandate
        fields = MANDATE_EDIT_FIELDS
        widgets = {
            "activity_types": forms.CheckboxSelectMultiple,
            "partners": forms.SelectMultiple(attrs={"size": 8}),
            "valid_from": _DateInput(),
            "valid_until": _DateInput(),
            "geographic_scope": forms.Textarea(attrs={"rows": 2}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements_visible_to(user)
        self.fields["partners"].queryset = partners_visible_to(user)
        self.fields["activity_types"].queryset = activity_types()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            remember_loaded_values(self)

    def service_fields(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values.pop("version", None)
        values["activity_types"] = list(values.get("activity_types") or [])
        values["partners"] = list(values.get("partners") or [])
        return values


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=LegalReview.Decision.choices, widget=forms.RadioSelect)
    # Required, but checked by the service with the conditions, so both errors show at once.
    opinion = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    conditions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ConstraintForm(forms.ModelForm[SovereigntyConstraint]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = accord_formfield
        model = SovereigntyConstraint
        fields = [
            "category",
            "effect",
            "consent_lead_days",
            "activity_types",
            "description",
            "legal_basis",
            "agreement",
            "clause",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "activity_types": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "valid_from": _DateInput(),
            "valid_until": _DateInput(),
        }

    def __init__(
        self, *args: Any, user: AnyUser, partner: Partner | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        agreements = agreements_visible_to(user)
        if partner is not None:
            # The legal basis of a partner's constraint is one of that partner's agreements (or,
            # for an agency, its nation's).
            bound = [pk for pk in (partner.pk, partner.parent_id) if pk is not None]
            agreements = agreements.filter(parties__partner__in=bound).distinct()
            self.fields["agreement"].help_text = f"One of {partner}'s agreements."
        self.fields["agreement"].queryset = agreements
        self.fields["activity_types"].queryset = activity_types()
        self.fields["activity_types"].help_text = "None ticked: every activity."
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            remember_loaded_values(self)


class EngagementForm(forms.ModelForm[Engagement]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = accord_formfield
        model = Engagement
        fields = ["activity_type", "title", "starts_on", "ends_on", "location", "notes"]
        widgets = {
            "starts_on": _DateInput(),
            "ends_on": _DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(
        self, *args: Any, user: AnyUser, partner: Partner | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = activity_types()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            remember_loaded_values(self)


class ClearanceForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none())
    activity_type = forms.ModelChoiceField(queryset=ActivityType.objects.none())
    starts_on = forms.DateField(widget=_DateInput(), validators=DATE_VALIDATORS)
    ends_on = forms.DateField(widget=_DateInput(), validators=DATE_VALIDATORS)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_visible_to(user)
        self.fields["activity_type"].queryset = activity_types()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", "The end comes before the start.")
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8) or XLSX, one row per party; see the columns below."
    )
    dry_run = forms.BooleanField(
        required=False, initial=True, label="Dry run: only show what would be created"
    )
    stop_on_error = forms.BooleanField(
        required=False, label="Write nothing if any row has an error"
    )
