"""Filters shared by the partner list page and the API."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from agreements.models import ActivityType, Partner
from config.filters import IdFilter, StrictBooleanFilter, StrictFilterSet
from config.roles import Role


class PartnerFilter(StrictFilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", help_text="Name, short name or country code."
    )
    kind = django_filters.MultipleChoiceFilter(choices=Partner.Kind.choices)
    region = django_filters.MultipleChoiceFilter(choices=Partner.Region.choices)
    status = django_filters.MultipleChoiceFilter(choices=Partner.Status.choices)
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

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(username__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
        )

    def with_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(groups__name=value).distinct()
