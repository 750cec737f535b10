"""Constraints and engagements on a partner, the clearance check, and coverage."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agreements import services
from agreements.forms import ClearanceForm, ConstraintForm, EngagementForm
from agreements.selectors import (
    clearance_check,
    constraint_for_user,
    coverage_matrix,
    engagement_for_user,
    partner_for_user,
)
from agreements.selectors.clearance import VERDICT_LABELS
from config.history import history_entries
from config.views import role_required, run_service


@role_required
@require_http_methods(["GET", "POST"])
def constraint_form_page(
    request: HttpRequest, partner_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    constraint = constraint_for_user(request.user, pk, write=True) if pk else None
    partner = (
        constraint.partner if constraint else partner_for_user(request.user, partner_pk, write=True)
    )
    form = ConstraintForm(request.POST or None, instance=constraint, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version", None) or 0
        values["activity_types"] = list(values.get("activity_types") or [])
        if constraint is None:
            saved = run_service(
                request,
                form,
                lambda: services.constraint_create(by=request.user, partner=partner, **values),
            )
        else:
            fresh = constraint_for_user(request.user, pk, write=True)
            saved = run_service(
                request,
                form,
                lambda: services.constraint_update(
                    constraint=fresh, by=request.user, version=version, **values
                ),
            )
        if saved is not None:
            messages.success(request, "Constraint saved.")
            return redirect("partner-detail", pk=partner.pk)
        if getattr(form, "stale", False):
            constraint = constraint_for_user(request.user, pk, write=True)
            form = ConstraintForm(instance=constraint, user=request.user)
    return render(
        request,
        "agreements/simple_form.html",
        {
            "form": form,
            "partner": partner,
            "heading": "Edit constraint" if constraint else f"New constraint on {partner}",
            "history": history_entries(constraint) if constraint else None,
        },
    )


@role_required
@require_http_methods(["GET", "POST"])
def engagement_form_page(
    request: HttpRequest, partner_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    engagement = engagement_for_user(request.user, pk, write=True) if pk else None
    partner = (
        engagement.partner if engagement else partner_for_user(request.user, partner_pk, write=True)
    )
    form = EngagementForm(request.POST or None, instance=engagement, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version", None) or 0
        if engagement is None:
            saved = run_service(
                request,
                form,
                lambda: services.engagement_create(by=request.user, partner=partner, **values),
            )
        else:
            fresh = engagement_for_user(request.user, pk, write=True)
            saved = run_service(
                request,
                form,
                lambda: services.engagement_update(
                    engagement=fresh, by=request.user, version=version, **values
                ),
            )
        if saved is not None:
            messages.success(request, "Engagement saved.")
            return redirect("engagement-detail", pk=saved.pk)
        if getattr(form, "stale", False):
            engagement = engagement_for_user(request.user, pk, write=True)
            form = EngagementForm(instance=engagement, user=request.user)
    return render(
        request,
        "agreements/simple_form.html",
        {
            "form": form,
            "partner": partner,
            "heading": "Edit engagement" if engagement else f"Plan an engagement with {partner}",
            "history": None,
        },
    )


@role_required
def engagement_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = engagement_for_user(request.user, pk)
    result = clearance_check(
        partner=engagement.partner,
        activity_type=engagement.activity_type,
        starts_on=engagement.starts_on,
        ends_on=engagement.ends_on,
        today=timezone.localdate(),
    )
    return render(
        request,
        "agreements/clearance.html",
        {
            "engagement": engagement,
            "result": result,
            "form": None,
            "history": history_entries(engagement),
        },
    )


@role_required
def clearance_page(request: HttpRequest) -> HttpResponse:
    """The ad-hoc check: may we do this activity with this partner on these dates?"""
    form = ClearanceForm(request.GET or None, user=request.user)
    result = None
    if form.is_bound and form.is_valid():
        result = clearance_check(**form.cleaned_data, today=timezone.localdate())
    return render(
        request, "agreements/clearance.html", {"form": form, "result": result, "engagement": None}
    )


@role_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    on = timezone.localdate()
    error = None
    if request.GET.get("on"):
        try:
            on = date.fromisoformat(request.GET["on"])
        except ValueError:
            error = "Use a date as YYYY-MM-DD."
    coverage = coverage_matrix(user=request.user, on=on, today=timezone.localdate())
    rows = [(partner, coverage.row(partner)) for partner in coverage.partners]
    return render(
        request,
        "agreements/coverage.html",
        {
            "coverage": coverage,
            "rows": rows,
            "on": on,
            "error": error,
            "labels": VERDICT_LABELS,
            "totals": coverage.totals(),
        },
    )
