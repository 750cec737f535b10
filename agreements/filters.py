"""Filters shared by the partner list page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from agreements.models import ActivityType, Partner


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", help_text="Name, short name or country code."
    )
    kind = django_filters.MultipleChoiceFilter(choices=Partner.Kind.choices)
    region = django_filters.MultipleChoiceFilter(choices=Partner.Region.choices)
    status = django_filters.MultipleChoiceFilter(choices=Partner.Status.choices)
    parent = django_filters.NumberFilter(field_name="parent_id", label="Parent partner id")

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


class ActivityTypeFilter(django_filters.FilterSet):
    class Meta:
        model = ActivityType
        fields = ["is_active"]
