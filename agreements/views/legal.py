"""Legal pages: mandates with their decisions, and the legal advisor's review queue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from agreements import services
from agreements.filters import MandateFilter
from agreements.forms import DecisionForm, MandateForm
from agreements.models import LegalMandate, LegalReview
from agreements.selectors import mandate_for_user, mandates_visible_to, review_queue
from agreements.selectors.mandates import can_decide_legal_review, can_edit_mandates
from config.forms import keep_typed
from config.history import history_entries
from config.roles import accord_user
from config.sorting import sort_rows
from config.views import role_required, run_service, without_blanks

MANDATE_COLUMNS = {
    "title": ["title"],
    "kind": ["kind", "title"],
    "valid": ["valid_from", "title"],
    "until": ["valid_until", "title"],
    "status": ["status", "title"],
}
# The review queue's two tables sort by the same two keys: what is waiting, and since when.
QUEUE_MANDATE_COLUMNS = {"name": ["title"], "waiting": ["review_requested_at"]}
QUEUE_AGREEMENT_COLUMNS = {"name": ["reference"], "waiting": ["status_changed_at"]}


@role_required
def mandate_list_page(request: HttpRequest) -> HttpResponse:
    queryset = mandates_visible_to(request.user).prefetch_related("activity_types", "partners")
    mandate_filter = MandateFilter(without_blanks(request.GET), queryset=queryset)
    rows = mandate_filter.qs if mandate_filter.is_valid() else LegalMandate.objects.none()
    rows, sorting = sort_rows(request, rows, columns=MANDATE_COLUMNS, default="title")
    return render(
        request,
        "agreements/mandate_list.html",
        {
            "filter": mandate_filter,
            "mandates": rows,
            "sorting": sorting,
            "can_create": can_edit_mandates(request.user),
        },
    )


@role_required
def mandate_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = mandate_for_user(request.user, pk)
    decide = can_decide_legal_review(request.user, mandate)
    form = DecisionForm(initial={"version": mandate.version}) if decide else None
    return render(
        request, "agreements/mandate_detail.html", _mandate_context(request, mandate, form)
    )


def _mandate_context(
    request: HttpRequest, mandate: LegalMandate, form: DecisionForm | None
) -> dict[str, object]:
    decisions = list(mandate.reviews.select_related("reviewer"))
    return {
        "mandate": mandate,
        "activity_types": mandate.activity_types.all(),
        "partners": mandate.partners.all(),
        "decisions": decisions,
        # The decision in effect: the latest, unless a material change reopened the review.
        "decided": (
            decisions[0]
            if decisions and mandate.status != LegalMandate.Status.PENDING_REVIEW
            else None
        ),
        "history": history_entries(mandate),
        "can_edit": can_edit_mandates(request.user),
        "decision_form": form,
    }


@role_required
@require_http_methods(["GET", "POST"])
def mandate_form_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    mandate = mandate_for_user(request.user, pk, write=True) if pk else None
    if mandate is None and not can_edit_mandates(request.user):
        raise PermissionDenied("Only legal advisors and administrators record mandates.")
    form = MandateForm(request.POST or None, instance=mandate, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.service_fields()
        if mandate is None:
            saved = run_service(
                request, form, lambda: services.mandate_create(by=accord_user(request), **values)
            )
        else:
            fresh = mandate_for_user(request.user, pk, write=True)
            saved = run_service(
                request,
                form,
                lambda: services.mandate_update(
                    mandate=fresh,
                    by=accord_user(request),
                    version=form.cleaned_data.get("version") or 0,
                    **values,
                ),
            )
        if saved is not None:
            if saved.status == LegalMandate.Status.PENDING_REVIEW:
                messages.info(request, "The mandate awaits legal review.")
            messages.success(request, "Mandate saved.")
            return redirect("mandate-detail", pk=saved.pk)
        if getattr(form, "stale", False):
            mandate = mandate_for_user(request.user, pk, write=True)
            form = keep_typed(form, MandateForm(instance=mandate, user=request.user))
    return render(request, "agreements/mandate_form.html", {"form": form, "mandate": mandate})


@role_required
@require_POST
def mandate_decide_page(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = mandate_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        review = run_service(
            request,
            form,
            lambda: services.legal_review_decide(
                mandate=mandate, reviewer=accord_user(request), **form.cleaned_data
            ),
        )
        if review is not None:
            messages.success(request, f"Decision recorded: {review.get_decision_display()}.")
            return redirect("mandate-detail", pk=pk)
    mandate.refresh_from_db()
    shown = form if can_decide_legal_review(request.user, mandate) else None
    if shown is None:
        for errors in form.errors.values():
            messages.error(request, " ".join(map(str, errors)))
    context = _mandate_context(request, mandate, shown)
    return render(request, "agreements/mandate_detail.html", context, status=400)


@role_required
def review_queue_page(request: HttpRequest) -> HttpResponse:
    queue = review_queue(request.user)
    mandates, sorting = sort_rows(
        request, queue["mandates"], columns=QUEUE_MANDATE_COLUMNS, default="waiting"
    )
    agreements, _ = sort_rows(
        request, queue["agreements"], columns=QUEUE_AGREEMENT_COLUMNS, default="waiting"
    )
    return render(
        request,
        "agreements/review_queue.html",
        {
            "mandates": mandates.prefetch_related(
                Prefetch("reviews", queryset=LegalReview.objects.select_related("reviewer"))
            ),
            "agreements": agreements,
            "sorting": sorting,
            "now": timezone.now(),
        },
    )
