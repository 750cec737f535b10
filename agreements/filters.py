"""Filters shared by the partner list page and the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet

from agreements.models import (
    ActivityType,
    Agreement,
    AgreementParty,
    Engagement,
    LegalMandate,
    Partner,
    SovereigntyConstraint,
)
from agreements.selectors.agreements import in_force_on, parties_in_force
from agreements.selectors.clearance import VERDICT_LABELS, Verdict
from agreements.selectors.partners import partners_visible_to
from config.filters import BoundedDateFilter, IdFilter, StrictBooleanFilter, StrictFilterSet
from config.roles import AnyUser, Role


class PartnerFilter(StrictFilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", help_text="Name, short name or country code."
    )
    kind = django_filters.MultipleChoiceFilter(choices=Partner.Kind.choices, distinct=False)
    region = django_filters.MultipleChoiceFilter(choices=Partner.Region.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=Partner.Status.choices, distinct=False)
    parent = IdFilter(field_name="parent_id", label="Parent partner id")

    class Meta:
        model = Partner
        fields = ["q", "kind", "region", "status", "parent"]

    def search(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet[Partner]:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(name__icontains=term) | Q(short_name__icontains=term) | Q(country_code__iexact=term)
        )


class ActivityTypeFilter(StrictFilterSet):
    is_active = StrictBooleanFilter(
        help_text="true: types offered for new records; false: retired types."
    )

    class Meta:
        model = ActivityType
        fields = ["is_active"]


class UserFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="search", label="Search", help_text="Name or username.")
    role = django_filters.ChoiceFilter(
        choices=[(role.value, role.label) for role in Role],
        method="with_role",
        help_text="Only users holding this role.",
    )

    class Meta:
        model = get_user_model()
        fields = ["q", "role"]

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(username__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
        )

    def with_role(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(groups__name=value).distinct()


class AgreementFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="search", label="Search", help_text="Reference or title.")
    partner = IdFilter(
        method="with_partner",
        label="Partner",
        help_text="Agreements to which this partner is party.",
    )
    kind = django_filters.MultipleChoiceFilter(choices=Agreement.Kind.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=Agreement.Status.choices, distinct=False)
    activity = django_filters.CharFilter(
        method="with_activity",
        label="Activity",
        help_text="Activity type code, e.g. maritime-interdiction.",
    )
    in_force_on = BoundedDateFilter(
        method="in_force",
        label="In force on",
        help_text=(
            "In force on this date (YYYY-MM-DD); with `partner`, in force for that partner "
            "(its own entry into force and withdrawal dates)."
        ),
    )
    expires_before = BoundedDateFilter(
        field_name="expires_on",
        lookup_expr="lt",
        label="Expires before",
        help_text="Expiring before this date.",
    )
    notice_deadline_before = BoundedDateFilter(
        field_name="notice_deadline",
        lookup_expr="lt",
        label="Notice deadline before",
        help_text="Notice deadline before this date.",
    )
    review_due_before = BoundedDateFilter(
        field_name="next_review_on",
        lookup_expr="lt",
        label="Review due before",
        help_text="Next review before this date.",
    )

    class Meta:
        model = Agreement
        fields = ["q", "partner", "kind", "status", "activity"]

    def search(self, queryset: QuerySet[Agreement], name: str, value: str) -> QuerySet[Agreement]:
        term = value.strip()
        return queryset.filter(Q(reference__icontains=term) | Q(title__icontains=term))

    def with_partner(
        self, queryset: QuerySet[Agreement], name: str, value: int
    ) -> QuerySet[Agreement]:
        parties = AgreementParty.objects.filter(partner_id=value).values("agreement_id")
        return queryset.filter(pk__in=parties)

    def with_activity(
        self, queryset: QuerySet[Agreement], name: str, value: str
    ) -> QuerySet[Agreement]:
        through = Agreement.activity_types.through
        return queryset.filter(
            Exists(through.objects.filter(agreement_id=OuterRef("pk"), activitytype__code=value))
        )

    def in_force(
        self, queryset: QuerySet[Agreement], name: str, value: date
    ) -> QuerySet[Agreement]:
        partner = self.form.cleaned_data.get("partner")
        if partner is None:
            return queryset.filter(in_force_on(value))
        # In force for that partner: its own entry into force and withdrawal count (a signatory
        # that has not ratified is not bound), as in the clearance check.
        bound = parties_in_force(on=value).filter(partner_id=partner).values("agreement_id")
        return queryset.filter(pk__in=bound)


class MandateFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="search", label="Search", help_text="Title or citation.")
    status = django_filters.MultipleChoiceFilter(
        choices=LegalMandate.Status.choices, distinct=False
    )
    kind = django_filters.MultipleChoiceFilter(choices=LegalMandate.Kind.choices, distinct=False)
    activity = django_filters.CharFilter(field_name="activity_types__code", distinct=True)
    partner = IdFilter(method="for_partner", help_text="Mandates that apply to this partner.")
    valid_on = BoundedDateFilter(method="valid", help_text="Valid on this date.")

    class Meta:
        model = LegalMandate
        fields = ["q", "status", "kind", "activity", "partner"]

    def search(
        self, queryset: QuerySet[LegalMandate], name: str, value: str
    ) -> QuerySet[LegalMandate]:
        term = value.strip()
        return queryset.filter(Q(title__icontains=term) | Q(citation__icontains=term))

    def for_partner(
        self, queryset: QuerySet[LegalMandate], name: str, value: int
    ) -> QuerySet[LegalMandate]:
        through = LegalMandate.partners.through
        named = Exists(through.objects.filter(legalmandate_id=OuterRef("pk"), partner_id=value))
        return queryset.filter(Q(applies_to_all_partners=True) | Q(named))

    def valid(
        self, queryset: QuerySet[LegalMandate], name: str, value: date
    ) -> QuerySet[LegalMandate]:
        return queryset.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=value), valid_from__lte=value
        )


class ConstraintFilter(StrictFilterSet):
    partner = IdFilter(field_name="partner_id")
    effect = django_filters.MultipleChoiceFilter(
        choices=SovereigntyConstraint.Effect.choices, distinct=False
    )
    category = django_filters.CharFilter()

    class Meta:
        model = SovereigntyConstraint
        fields = ["partner", "effect", "category"]


class EngagementFilter(StrictFilterSet):
    partner = IdFilter(field_name="partner_id", label="Partner")
    activity = django_filters.CharFilter(field_name="activity_type__code", label="Activity")
    starts_after = BoundedDateFilter(
        field_name="starts_on", lookup_expr="gte", label="Starts on or after"
    )
    starts_before = BoundedDateFilter(
        field_name="starts_on", lookup_expr="lt", label="Starts before"
    )

    class Meta:
        model = Engagement
        fields = ["partner", "activity"]


class CoverageFilter(StrictFilterSet):
    """The coverage page's and API's filters. The partners are the user's own (an unknown
    partner and one outside the portfolio get the same answer); activity and verdict narrow
    the matrix in `coverage_matrix`, not this queryset."""

    on = BoundedDateFilter(method="in_matrix", label="On", help_text="The day to judge.")
    partner = IdFilter(method="in_matrix", label="Partner", help_text="One partner, by id.")
    region = django_filters.MultipleChoiceFilter(
        choices=Partner.Region.choices, method="in_matrix", label="Region"
    )
    activity = django_filters.ModelChoiceFilter(
        queryset=ActivityType.objects.all(),
        to_field_name="code",
        method="in_matrix",
        label="Activity",
        help_text="Activity type code, e.g. maritime-interdiction.",
    )
    verdict = django_filters.ChoiceFilter(
        choices=[(v.value, label) for v, label in VERDICT_LABELS.items()],
        method="in_matrix",
        label="Verdict",
    )

    class Meta:
        model = Partner
        fields = ["on", "partner", "region", "activity", "verdict"]

    def __init__(self, data: Any = None, *, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(data, queryset=Partner.objects.none(), **kwargs)
        self.user = user
        self.chosen_partner: Partner | None = None

    def is_valid(self) -> bool:
        valid = super().is_valid()
        partner_id = self.form.cleaned_data.get("partner") if valid else None
        if partner_id is not None:
            self.chosen_partner = partners_visible_to(self.user).filter(pk=partner_id).first()
            if self.chosen_partner is None:
                self.form.add_error("partner", "No partner with this id among those you can see.")
                valid = False
        return valid

    def in_matrix(self, queryset: QuerySet[Partner], name: str, value: object) -> QuerySet[Partner]:
        return queryset

    def matrix_arguments(self, *, today: date) -> dict[str, Any]:
        """What `coverage_matrix` takes, from a valid filter."""
        values = self.form.cleaned_data
        return {
            "on": values.get("on") or today,
            "partner": self.chosen_partner,
            "regions": values.get("region") or (),
            "activity_type": values.get("activity"),
            "verdict": Verdict(values["verdict"]) if values.get("verdict") else None,
        }
