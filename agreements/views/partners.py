"""Partner pages: list, record (with its agreements, constraints, engagements, timeline)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agreements import services
from agreements.filters import PartnerFilter
from agreements.forms import PartnerForm
from agreements.models import Agreement, Partner
from agreements.selectors import (
    agreement_list,
    can_create_partner,
    can_edit_partner,
    partner_for_user,
    partner_list,
    partners_visible_to,
)
from config.forms import keep_typed
from config.history import history_entries
from config.reminders.feed import feed_path
from config.reminders.services import reminder_settings_for
from config.roles import Role, accord_user, has_role, is_administrator, reads_everything
from config.sorting import sort_rows
from config.views import list_page, role_required, run_service, without_blanks

PAGE_SIZE = 50
PARTNER_COLUMNS = {
    "mine": ["-in_my_portfolio", "name"],
    "name": ["name"],
    "kind": ["kind", "name"],
    "country": ["country_code", "name"],
    "region": ["region", "name"],
    "status": ["status", "name"],
}


@role_required
def partner_list_page(request: HttpRequest) -> HttpResponse:
    partner_filter = PartnerFilter(without_blanks(request.GET), queryset=partner_list(request.user))
    # An invalid filter shows its errors over an empty table, never an unfiltered one.
    partners = partner_filter.qs if partner_filter.is_valid() else partner_filter.queryset.none()
    partners, sorting = sort_rows(request, partners, columns=PARTNER_COLUMNS, default="mine")
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": partner_filter,
        "page": page,
        "sorting": sorting,
        "query": query.urlencode(),
        "can_create": can_create_partner(request.user),
        "portfolio_only": not reads_everything(request.user),
    }
    return list_page(
        request,
        page="agreements/partner_list.html",
        fragment="agreements/_partner_table.html",
        context=context,
    )


@role_required
def partner_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    partner = partner_for_user(request.user, pk)
    today = timezone.localdate()
    agreements = list(agreement_list(request.user).filter(parties__partner=partner).distinct())
    context = {
        "partner": partner,
        "genealogy": _genealogy_rows(agreements),
        "constraints": partner.constraints.prefetch_related("activity_types").select_related(
            "agreement"
        ),
        "engagements": partner.engagements.select_related("activity_type").order_by("-starts_on")[
            :20
        ],
        "timeline": _timeline(agreements, partner, today),
        "assessments": _assessments_with_trend(partner),
        "today": today,
        "agencies": partners_visible_to(request.user).filter(parent=partner).order_by("name"),
        "liaison_officers": partner.liaison_officers.order_by("last_name", "username"),
        "history": history_entries(partner),
        "calendar_url": partner_feed_url(request, partner),
        "can_edit": can_edit_partner(request.user, partner),
        "can_record_agreement": can_edit_partner(request.user, partner)
        and (is_administrator(request.user) or has_role(request.user, Role.LIAISON_OFFICER)),
    }
    return render(request, "agreements/partner_detail.html", context)


def partner_feed_url(request: HttpRequest, partner: Partner) -> str:
    """The signed-in person's private calendar of this partner's dates."""
    token = reminder_settings_for(accord_user(request)).feed_token
    return request.build_absolute_uri(feed_path(token, partner_id=partner.pk))


@role_required
@require_http_methods(["GET", "POST"])
def partner_create_page(request: HttpRequest) -> HttpResponse:
    if not can_create_partner(request.user):
        raise PermissionDenied("Only administrators and liaison officers create partners.")
    form = PartnerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(by=accord_user(request), **form.partner_changes())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Partner “{partner}” created.")
            return redirect("partner-detail", pk=partner.pk)
    return render(request, "agreements/partner_form.html", {"form": form, "partner": None})


@role_required
@require_http_methods(["GET", "POST"])
def partner_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    partner = partner_for_user(request.user, pk, write=True)
    form = PartnerForm(request.POST or None, instance=partner, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            form,
            lambda: services.partner_update(
                partner=partner_for_user(request.user, pk, write=True),
                by=accord_user(request),
                version=form.cleaned_data.get("version") or 0,
                **form.partner_changes(),
            ),
        )
        if saved is not None:
            messages.success(request, "Changes saved.")
            return redirect("partner-detail", pk=pk)
        if getattr(form, "stale", False):
            partner = partner_for_user(request.user, pk, write=True)
            form = keep_typed(form, PartnerForm(instance=partner, user=request.user))
    context = {"form": form, "partner": partner}
    return render(request, "agreements/partner_form.html", context)


def _assessments_with_trend(partner: Partner) -> list[dict[str, Any]]:
    """The partner's assessments, newest first, each with its score, level and the change
    from the one before (one aggregate query for all their scores)."""
    from checklists.selectors import scores_for  # the checklists app builds on partners

    rows = list(partner.assessments.select_related("template").order_by("-created_at", "-pk"))
    scores = scores_for([a.pk for a in rows])
    result = []
    for index, assessment in enumerate(rows):
        score = scores[assessment.pk]
        older = scores[rows[index + 1].pk].overall if index + 1 < len(rows) else None
        trend = None
        if score.overall is not None and older is not None:
            trend = round(score.overall - older, 1)
        previous = rows[index + 1].pk if index + 1 < len(rows) else None
        result.append(
            {"assessment": assessment, "score": score, "trend": trend, "previous": previous}
        )
    return result


def _genealogy_rows(agreements: list[Agreement]) -> list[tuple[Agreement, int, str]]:
    """Agreements in tree order (umbrella first, what hangs under it indented below), each
    with its parent's reference when the parent is in the list."""
    by_parent: dict[int | None, list[Agreement]] = {}
    references = {a.pk: a.reference for a in agreements}
    for agreement in agreements:
        parent = agreement.parent_id if agreement.parent_id in references else None
        by_parent.setdefault(parent, []).append(agreement)
    rows: list[tuple[Agreement, int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for agreement in by_parent.get(parent, []):
            rows.append((agreement, depth, references.get(parent, "") if parent else ""))
            if depth < 5:
                walk(agreement.pk, depth + 1)

    walk(None, 0)
    return rows


def _timeline(agreements: list[Agreement], partner: Partner, today: date) -> list[dict[str, Any]]:
    """Every dated event of the partner's agreements and engagements, nearest future first."""
    events = []
    labels = [
        ("signed_on", "signed"),
        ("effective_on", "takes effect"),
        ("notice_deadline", "last day to give notice"),
        ("expires_on", "expires"),
        ("next_review_on", "review due"),
    ]
    for agreement in agreements:
        # A deadline of an agreement in force that has passed is overdue, marked as on lists.
        deadlines = (
            {"notice_deadline", "next_review_on"}
            if agreement.status == Agreement.Status.IN_FORCE
            else set()
        )
        for attribute, label in labels:
            day = getattr(agreement, attribute)
            if day:
                events.append(
                    {
                        "on": day,
                        "what": f"{agreement.reference} {label}",
                        "url": reverse("agreement-detail", args=[agreement.pk]),
                        "overdue": attribute in deadlines,
                    }
                )
    for engagement in partner.engagements.select_related("activity_type"):
        events.append(
            {
                "on": engagement.starts_on,
                "what": f"{engagement.title} starts",
                "url": reverse("engagement-detail", args=[engagement.pk]),
                "overdue": False,
            }
        )
    upcoming = sorted((e for e in events if e["on"] >= today), key=lambda e: e["on"])
    past = sorted((e for e in events if e["on"] < today), key=lambda e: e["on"], reverse=True)
    return [*({**e, "past": False} for e in upcoming), *({**e, "past": True} for e in past[:10])]
