"""The "Generate a gap report" and "Subscribe" forms: types only; what is allowed is the
service's to say."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from agreements.models import Partner
from agreements.selectors import partners_visible_to
from checklists.gap_reports.models import (
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    MIN_HORIZON_DAYS,
    GapReport,
)
from config.bounds import DATE_VALIDATORS
from config.forms import WholeNumberField
from config.roles import AnyUser


class ScopeForm(forms.Form):
    """A scope to generate or subscribe to: portfolio, one partner or a region."""

    scope = forms.ChoiceField(choices=GapReport.Scope.choices, initial=GapReport.Scope.PORTFOLIO)
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        help_text="For a partner edition.",
    )
    region = forms.ChoiceField(
        choices=[("", "—"), *Partner.Region.choices],
        required=False,
        help_text="For a region edition.",
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ModelChoiceField)  # declared above
        # A liaison officer picks among their own partners; the service refuses the rest.
        partner.queryset = partners_visible_to(user).order_by("name")

    def scope_kwargs(self) -> dict[str, Any]:
        """The services' `scope`, `partner` and `region` arguments from a valid form: the
        partner only for a partner scope, the region only for a region scope."""
        data = self.cleaned_data
        scope = data["scope"]
        return {
            "scope": scope,
            "partner": data["partner"] if scope == GapReport.Scope.PARTNER else None,
            "region": data["region"] if scope == GapReport.Scope.REGION else "",
        }


class GapReportForm(ScopeForm):
    as_of = forms.DateField(
        label="As of",
        validators=DATE_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    horizon_days = WholeNumberField(
        label="Horizon (days)",
        initial=DEFAULT_HORIZON_DAYS,
        min_value=MIN_HORIZON_DAYS,
        max_value=MAX_HORIZON_DAYS,
        help_text=f"How far ahead deadlines count ({MIN_HORIZON_DAYS}–{MAX_HORIZON_DAYS}).",
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()


class SubscriptionForm(ScopeForm):
    """Subscribe to a scope's new editions: types only; the service decides what is allowed."""
