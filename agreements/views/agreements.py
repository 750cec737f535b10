"""Agreement pages: list, record, create and edit, parties, lifecycle, reviews, documents."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from agreements import services
from agreements.filters import AgreementFilter
from agreements.forms import AgreementForm, DocumentForm, PartyForm, ReviewForm, TransitionForm
from agreements.models import Agreement, AgreementDocument, AgreementParty
from agreements.selectors import (
    activity_types,
    agreement_for_user,
    agreement_list,
    can_edit_agreement,
    partners_visible_to,
)
from agreements.selectors.agreements import can_import_agreements, can_review_agreement
from config.history import history_entries
from config.roles import Role, accord_user, has_role, is_administrator
from config.sorting import sort_rows
from config.uploads import serve_file
from config.views import list_page, role_required, run_service, without_blanks

AGREEMENT_COLUMNS = {
    "reference": ["reference"],
    "title": ["title", "reference"],
    "status": ["status", "reference"],
    "expires": ["expires_on", "reference"],
    "notice": ["notice_deadline", "reference"],
    "review": ["next_review_on", "reference"],
}


@role_required
def agreement_list_page(request: HttpRequest) -> HttpResponse:
    agreement_filter = AgreementFilter(
        without_blanks(request.GET), queryset=agreement_list(request.user)
    )
    rows = agreement_filter.qs if agreement_filter.is_valid() else Agreement.objects.none()
    rows, sorting = sort_rows(request, rows, columns=AGREEMENT_COLUMNS, default="reference")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    can_create = is_administrator(request.user) or has_role(request.user, Role.LIAISON_OFFICER)
    context = {
        "filter": agreement_filter,
        "page": page,
        "sorting": sorting,
        "query": query.urlencode(),
        "can_create": can_create,
        "can_import": can_import_agreements(request.user),
        "partners": partners_visible_to(request.user).order_by("name").only("pk", "name"),
        "activity_types": activity_types(include_inactive=True).order_by("name"),
        "today": timezone.localdate(),
    }
    return list_page(
        request,
        page="agreements/agreement_list.html",
        fragment="agreements/_agreement_table.html",
        context=context,
    )


def _genealogy(agreement: Agreement) -> dict[str, object]:
    ancestors: list[Agreement] = []
    current = agreement.parent
    while current is not None and len(ancestors) < 10:
        ancestors.insert(0, current)
        current = current.parent
    return {
        "ancestors": ancestors,
        "children": agreement.children.order_by("reference"),
        "successor": getattr(agreement, "superseded_by", None),
    }


@role_required
def agreement_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk)
    can_edit = can_edit_agreement(request.user, agreement)
    context = {
        "agreement": agreement,
        "parties": agreement.parties.select_related("partner"),
        "activity_types": agreement.activity_types.all(),
        "documents": agreement.documents.select_related("uploaded_by"),
        "reviews": agreement.reviews.select_related("reviewer"),
        "transitions": agreement.transitions.select_related("by"),
        "allowed": [
            (to, Agreement.Status(to).label)
            for to in services.allowed_transitions(agreement, request.user)
        ],
        "history": history_entries(agreement),
        "can_edit": can_edit,
        "can_review": can_review_agreement(request.user, agreement),
        "party_form": PartyForm(user=request.user, agreement=agreement) if can_edit else None,
        "review_form": ReviewForm(initial={"reviewed_on": timezone.localdate()}),
        "document_form": DocumentForm() if can_edit else None,
        "today": timezone.localdate(),
        **_genealogy(agreement),
    }
    return render(request, "agreements/agreement_detail.html", context)


@role_required
@require_http_methods(["GET", "POST"])
def agreement_create_page(request: HttpRequest) -> HttpResponse:
    if not (is_administrator(request.user) or has_role(request.user, Role.LIAISON_OFFICER)):
        raise PermissionDenied("Only liaison officers and administrators record agreements.")
    # "New agreement" on a partner's page names the partner: the first party, pre-filled.
    asked = request.GET.get("partner", "")
    initial = {"partner": int(asked)} if asked.isascii() and asked.isdigit() else {}
    form = AgreementForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        agreement = run_service(
            request,
            form,
            lambda: services.agreement_create(by=accord_user(request), **form.service_fields()),
        )
        if agreement is not None:
            messages.success(request, f"Agreement {agreement.reference} recorded as a draft.")
            return redirect("agreement-detail", pk=agreement.pk)
    return render(request, "agreements/agreement_form.html", {"form": form, "agreement": None})


@role_required
@require_http_methods(["GET", "POST"])
def agreement_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk, write=True)
    form = AgreementForm(request.POST or None, instance=agreement, user=request.user)
    if request.method == "POST" and form.is_valid():
        fresh = agreement_for_user(request.user, pk, write=True)
        values = form.service_fields()
        saved = run_service(
            request,
            form,
            lambda: services.agreement_update(
                agreement=fresh,
                by=accord_user(request),
                version=form.cleaned_data.get("version") or 0,
                **values,
            ),
        )
        if saved is not None:
            messages.success(request, "Changes saved.")
            return redirect("agreement-detail", pk=pk)
        if getattr(form, "stale", False):
            agreement = agreement_for_user(request.user, pk, write=True)
            form = AgreementForm(instance=agreement, user=request.user)
    return render(request, "agreements/agreement_form.html", {"form": form, "agreement": agreement})


@role_required
@require_POST
def agreement_transition_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        done = run_service(
            request,
            form,
            lambda: services.agreement_transition(
                agreement=agreement,
                by=accord_user(request),
                to=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
            ),
        )
        if done is not None:
            messages.success(request, f"Now {agreement.get_status_display().lower()}.")
    for error in form.errors.values():
        messages.error(request, " ".join(map(str, error)))
    return redirect("agreement-detail", pk=pk)


@role_required
@require_POST
def party_add_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk, write=True)
    form = PartyForm(request.POST, user=request.user, agreement=agreement)
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "partner"}
        party = run_service(
            request,
            form,
            lambda: services.agreement_party_add(
                agreement=agreement,
                by=accord_user(request),
                partner=form.cleaned_data["partner"],
                **values,
            ),
        )
        if party is not None:
            messages.success(
                request, f"{party.partner} added as {party.get_role_display().lower()}."
            )
    for name, errors in form.errors.items():
        messages.error(request, f"{'' if name == '__all__' else name + ': '}{' '.join(errors)}")
    return redirect("agreement-detail", pk=pk)


@role_required
@require_POST
def party_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(AgreementParty.objects.select_related("partner"), pk=pk)
    agreement_for_user(request.user, party.agreement_id, write=True)
    form = TransitionForm()
    if run_service(
        request,
        form,
        lambda: services.agreement_party_remove(party=party, by=accord_user(request)) or True,
    ):
        messages.success(request, f"{party.partner} removed.")
    for errors in form.errors.values():
        messages.error(request, " ".join(map(str, errors)))
    return redirect("agreement-detail", pk=party.agreement_id)


@role_required
@require_POST
def review_add_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk)
    if not can_review_agreement(request.user, agreement):
        raise PermissionDenied("Only its liaison officers and legal advisors review it.")
    form = ReviewForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.agreement_review_record(
            agreement=agreement, by=accord_user(request), **form.cleaned_data
        ),
    ):
        messages.success(request, "Review recorded; the next review date moved.")
    for name, errors in form.errors.items():
        messages.error(request, f"{'' if name == '__all__' else name + ': '}{' '.join(errors)}")
    return redirect("agreement-detail", pk=pk)


@role_required
@require_POST
def document_add_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk, write=True)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.agreement_document_upload(
            agreement=agreement, by=accord_user(request), **form.cleaned_data
        ),
    ):
        messages.success(request, "Document stored.")
    for name, errors in form.errors.items():
        messages.error(request, f"{'' if name == '__all__' else name + ': '}{' '.join(errors)}")
    return redirect("agreement-detail", pk=pk)


@role_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Documents are served only through this access check, never as public media."""
    document = get_object_or_404(AgreementDocument, pk=pk)
    agreement_for_user(request.user, document.agreement_id)
    return serve_file(
        document.file,
        filename=(document.file.name or "").rsplit("/", 1)[-1],
        content_type=document.content_type,
    )
