"""Filters of the assessment list (API)."""

from __future__ import annotations

import django_filters

from checklists.models import Assessment
from config.filters import BoundedDateFilter, IdFilter, StrictFilterSet


class AssessmentFilter(StrictFilterSet):
    q = django_filters.CharFilter(
        field_name="partner__name", lookup_expr="icontains", help_text="Partner name contains."
    )
    partner = IdFilter(field_name="partner_id", label="Partner id")
    template = IdFilter(field_name="template_id", label="Template (version) id")
    urn = django_filters.CharFilter(field_name="template__urn", help_text="Any version of it.")
    status = django_filters.MultipleChoiceFilter(choices=Assessment.Status.choices, distinct=False)
    kind = django_filters.ChoiceFilter(choices=Assessment.Kind.choices)
    due_before = BoundedDateFilter(
        field_name="due_on",
        lookup_expr="lt",
        label="Due before",
        help_text="Due before this date (YYYY-MM-DD).",
    )

    class Meta:
        model = Assessment
        fields = ["q", "partner", "template", "urn", "status", "kind", "due_before"]
