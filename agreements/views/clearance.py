"""Constraints and engagements on a partner, the clearance check, and coverage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agreements import services
from agreements.exports import coverage_export
from agreements.filters import CoverageFilter
from agreements.forms import ClearanceForm, ConstraintForm, EngagementForm
from agreements.models import Engagement, Partner, SovereigntyConstraint
from agreements.selectors import (
    activity_types,
    clearance_check,
    constraint_for_user,
    coverage_matrix,
    engagement_for_user,
    partner_for_user,
    partners_visible_to,
)
from agreements.selectors.clearance import VERDICT_LABELS, Coverage
from agreements.selectors.mandates import can_remove_partner_record
from agreements.views.confirm import confirmed_removal
from config.exports import Sheet, csv_response, dated_filename, xlsx_response
from config.forms import keep_typed
from config.history import history_entries
from config.views import role_required, run_service, without_blanks


def _partner_record_page(
    request: HttpRequest,
    *,
    record: Any,
    partner: Any,
    form_class: type,
    create: Callable[..., Any],
    update: Callable[..., Any],
    fetch: Callable[[], Any],
    heading: str,
    done: Callable[[Any], HttpResponse],
) -> HttpResponse:
    """Create or edit a record that hangs off a partner (a constraint, an engagement) through
    its service; a stale edit shows a message and the fresh form."""
    form = form_class(request.POST or None, instance=record, user=request.user, partner=partner)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version", None) or 0
        if "activity_types" in values:
            values["activity_types"] = list(values["activity_types"] or [])
        if record is None:
            saved = run_service(
                request, form, lambda: create(by=request.user, partner=partner, **values)
            )
        else:
            saved = run_service(
                request, form, lambda: update(fetch(), by=request.user, version=version, **values)
            )
        if saved is not None:
            messages.success(request, "Saved.")
            return done(saved)
        if getattr(form, "stale", False):
            record = fetch()
            fresh = form_class(instance=record, user=request.user, partner=partner)
            form = keep_typed(form, fresh)
    return render(
        request,
        "agreements/simple_form.html",
        {
            "form": form,
            "partner": partner,
            "heading": heading,
            "history": history_entries(record) if record is not None else None,
        },
    )


@role_required
@require_http_methods(["GET", "POST"])
def constraint_form_page(
    request: HttpRequest, partner_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    constraint = constraint_for_user(request.user, pk, write=True) if pk else None
    partner = (
        constraint.partner if constraint else partner_for_user(request.user, partner_pk, write=True)
    )
    return _partner_record_page(
        request,
        record=constraint,
        partner=partner,
        form_class=ConstraintForm,
        create=services.constraint_create,
        update=lambda record, **changes: services.constraint_update(constraint=record, **changes),
        fetch=lambda: constraint_for_user(request.user, pk, write=True),
        heading="Edit constraint" if constraint else f"New constraint on {partner}",
        done=lambda saved: redirect("partner-detail", pk=partner.pk),
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
    return _partner_record_page(
        request,
        record=engagement,
        partner=partner,
        form_class=EngagementForm,
        create=services.engagement_create,
        update=lambda record, **changes: services.engagement_update(engagement=record, **changes),
        fetch=lambda: engagement_for_user(request.user, pk, write=True),
        heading="Edit engagement" if engagement else f"Plan an engagement with {partner}",
        done=lambda saved: redirect("engagement-detail", pk=saved.pk),
    )


def _remove_page(
    request: HttpRequest,
    *,
    record: SovereigntyConstraint | Engagement,
    remove: Callable[..., None],
    heading: str,
    explanation: str,
    submit: str,
    cancel: str,
) -> HttpResponse:
    """Confirm a removal and take its reason; the partner's history keeps both."""
    if not can_remove_partner_record(request.user, record):
        raise PermissionDenied("Only the partner's liaison officers and administrators do this.")
    return confirmed_removal(
        request,
        remove=lambda by, reason: remove(by=by, reason=reason),
        done=f"{record} removed.",
        then=reverse("partner-detail", args=[record.partner_id]),
        page={
            "partner": record.partner,
            "heading": heading,
            "explanation": explanation,
            "submit": submit,
            "cancel": cancel,
        },
    )


@role_required
@require_http_methods(["GET", "POST"])
def constraint_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    constraint = constraint_for_user(request.user, pk)
    return _remove_page(
        request,
        record=constraint,
        remove=lambda **how: services.constraint_remove(constraint=constraint, **how),
        heading=f"Remove the constraint “{constraint.get_category_display()}”",
        explanation=(
            f"{constraint.partner} no longer imposes it, or it was recorded by mistake: clearance "
            "checks stop counting it. The removal and its reason stay in the partner's history."
        ),
        submit="Remove constraint",
        cancel=reverse("partner-detail", args=[constraint.partner_id]),
    )


@role_required
@require_http_methods(["GET", "POST"])
def engagement_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = engagement_for_user(request.user, pk)
    return _remove_page(
        request,
        record=engagement,
        remove=lambda **how: services.engagement_remove(engagement=engagement, **how),
        heading=f"Cancel the engagement “{engagement.title}”",
        explanation=(
            "The planned engagement is removed. The removal and its reason stay in the "
            f"history of {engagement.partner}."
        ),
        submit="Cancel engagement",
        cancel=reverse("engagement-detail", args=[engagement.pk]),
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
            "can_edit": can_remove_partner_record(request.user, engagement),
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


def _coverage(request: HttpRequest) -> tuple[CoverageFilter, Coverage | None]:
    """The coverage the filters ask for, or None (and the filter's errors) for bad ones."""
    coverage_filter = CoverageFilter(without_blanks(request.GET), user=request.user)
    if not coverage_filter.is_valid():
        return coverage_filter, None
    today = timezone.localdate()
    arguments = coverage_filter.matrix_arguments(today=today)
    return coverage_filter, coverage_matrix(user=request.user, today=today, **arguments)


def _coverage_page(
    request: HttpRequest, coverage_filter: CoverageFilter, coverage: Coverage | None, status: int
) -> HttpResponse:
    query = without_blanks(request.GET)
    return render(
        request,
        "agreements/coverage.html",
        {
            "filter": coverage_filter,
            "coverage": coverage,
            "rows": [(p, coverage.row(p)) for p in coverage.partners] if coverage else [],
            "on": coverage.on if coverage else timezone.localdate(),
            "labels": VERDICT_LABELS,
            "totals": coverage.totals() if coverage else {},
            "query": query.urlencode(),
            "partners": partners_visible_to(request.user)
            .exclude(status=Partner.Status.INACTIVE)
            .order_by("name")
            .only("pk", "name"),
            "regions": Partner.Region.choices,
            "activity_types": activity_types(include_inactive=True).order_by("name"),
        },
        status=status,
    )


@role_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    coverage_filter, coverage = _coverage(request)
    return _coverage_page(request, coverage_filter, coverage, status=200)


@role_required
def coverage_export_page(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """What the coverage page shows with these filters, one row per partner × activity."""
    coverage_filter, coverage = _coverage(request)
    if coverage is None:
        return _coverage_page(request, coverage_filter, None, status=400)
    columns = coverage_export(coverage)
    filename = dated_filename("coverage", fmt, on=coverage.on)
    if fmt == "xlsx":
        return xlsx_response(
            filename=filename, sheets=[Sheet("Coverage", columns, coverage.listed())]
        )
    return csv_response(filename=filename, columns=columns, rows=coverage.listed())
