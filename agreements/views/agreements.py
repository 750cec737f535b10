"""Agreement pages: list, record, create and edit, parties, lifecycle, reviews, documents."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from agreements import services
from agreements.exports import AGREEMENT_EXPORT, agreement_rows
from agreements.filters import AgreementFilter
from agreements.forms import (
    AgreementForm,
    DocumentForm,
    PartyForm,
    ReviewForm,
    TransitionForm,
)
from agreements.models import Agreement, AgreementDocument, AgreementParty
from agreements.selectors import (
    activity_types,
    agreement_for_user,
    agreement_list,
    agreements_visible_to,
    can_edit_agreement,
    partners_visible_to,
)
from agreements.selectors.agreements import (
    can_import_agreements,
    can_remove_agreement_document,
    can_review_agreement,
)
from agreements.services.agreements import FINAL_STATUSES
from agreements.views.confirm import confirmed_removal
from config.exports import Sheet, csv_response, dated_filename, xlsx_response
from config.forms import keep_typed
from config.history import history_entries
from config.roles import AnyUser, Role, accord_user, has_role, is_administrator
from config.sorting import Sorting, sort_rows
from config.uploads import serve_file
from config.views import (
    is_htmx,
    list_page,
    role_required,
    run_service,
    without_blanks,
)

AGREEMENT_COLUMNS = {
    "reference": ["reference"],
    "title": ["title", "reference"],
    "status": ["status", "reference"],
    "expires": ["expires_on", "reference"],
    "notice": ["notice_deadline", "reference"],
    "review": ["next_review_on", "reference"],
}


def _filtered_agreements(
    request: HttpRequest,
) -> tuple[AgreementFilter, QuerySet[Agreement], Sorting]:
    """The agreements the list shows for these filters and this order (all pages)."""
    agreement_filter = AgreementFilter(
        without_blanks(request.GET), queryset=agreement_list(request.user)
    )
    rows = agreement_filter.qs if agreement_filter.is_valid() else Agreement.objects.none()
    rows, sorting = sort_rows(request, rows, columns=AGREEMENT_COLUMNS, default="reference")
    return agreement_filter, rows, sorting


@role_required
def agreement_export_page(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every agreement the list shows with these filters, in its order, as a file."""
    agreement_filter, rows, _ = _filtered_agreements(request)
    if agreement_filter.errors:
        return render(request, "_filter_errors_page.html", {"filter": agreement_filter}, status=400)
    filename = dated_filename("agreements", fmt)
    if fmt == "xlsx":
        sheet = Sheet("Agreements", AGREEMENT_EXPORT, agreement_rows(rows))
        return xlsx_response(filename=filename, sheets=[sheet])
    return csv_response(filename=filename, columns=AGREEMENT_EXPORT, rows=agreement_rows(rows))


@role_required
def agreement_list_page(request: HttpRequest) -> HttpResponse:
    agreement_filter, rows, sorting = _filtered_agreements(request)
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


def _genealogy(user: AnyUser, agreement: Agreement) -> dict[str, object]:
    ancestors: list[Agreement] = []
    current = agreement.parent
    while current is not None and len(ancestors) < 10:
        ancestors.insert(0, current)
        current = current.parent
    children = list(agreement.children.order_by("reference"))
    successor = getattr(agreement, "superseded_by", None)
    related = {a.pk for a in [*ancestors, *children, agreement.supersedes, successor] if a}
    return {
        "ancestors": ancestors,
        "children": children,
        "successor": successor,
        # A related agreement the user cannot open is named, not linked to a 404.
        "visible_agreements": set(
            agreements_visible_to(user).filter(pk__in=related).values_list("pk", flat=True)
        ),
    }


def _detail_context(
    request: HttpRequest, agreement: Agreement, **forms: object
) -> dict[str, object]:
    """The agreement page; `forms` replaces a panel's empty form with a refused one."""
    user = request.user
    can_edit = can_edit_agreement(user, agreement)
    parties = list(agreement.parties.select_related("partner"))
    context: dict[str, object] = {
        "agreement": agreement,
        "parties": parties,
        # A co-party outside the user's sight is named, not linked to a page that answers 404.
        "openable_partners": set(
            partners_visible_to(user)
            .filter(pk__in=[p.partner_id for p in parties])
            .values_list("pk", flat=True)
        ),
        "activity_types": agreement.activity_types.all(),
        "documents": agreement.documents.select_related("uploaded_by"),
        "reviews": agreement.reviews.select_related("reviewer"),
        "transitions": agreement.transitions.select_related("by"),
        "allowed": [
            (
                to,
                services.transition_label(agreement.status, to),
                services.transition_needs_reason(agreement.status, to),
            )
            for to in services.allowed_transitions(agreement, user)
        ],
        "history": history_entries(agreement),
        "can_edit": can_edit,
        "can_review": can_review_agreement(user, agreement),
        "party_form": PartyForm(user=user, agreement=agreement) if can_edit else None,
        "review_form": ReviewForm(initial={"reviewed_on": timezone.localdate()}),
        "document_form": DocumentForm() if can_edit else None,
        "today": timezone.localdate(),
        **_genealogy(user, agreement),
    }
    context.update(forms)
    return context


@role_required
def agreement_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = agreement_for_user(request.user, pk)
    return render(request, "agreements/agreement_detail.html", _detail_context(request, agreement))


def _panel_refused(
    request: HttpRequest, agreement: Agreement, panel: str, form: object
) -> HttpResponse:
    """A panel's refused input, with its errors beside the fields: the panel alone for HTMX
    (swapped in place, still open), the whole page otherwise."""
    name = f"{panel}_form"
    if is_htmx(request):
        # 200 so that htmx swaps it; the errors are in the panel.
        return render(
            request, f"agreements/_panel_{panel}.html", {"agreement": agreement, name: form}
        )
    context = _detail_context(request, agreement, **{name: form})
    return render(request, "agreements/agreement_detail.html", context, status=400)


def _panel_done(request: HttpRequest, agreement: Agreement, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("agreement-detail", args=[agreement.pk])
    return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)


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
            form = keep_typed(form, AgreementForm(instance=agreement, user=request.user))
    return render(request, "agreements/agreement_form.html", {"form": form, "agreement": agreement})


@role_required
@require_http_methods(["GET", "POST"])
def agreement_transition_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A step along the lifecycle. A final step, a send-back or a rejection first shows a
    confirmation that asks for the reason (GET), then takes it (POST)."""
    agreement = agreement_for_user(request.user, pk)
    form = TransitionForm(request.POST if request.method == "POST" else request.GET)
    to = request.POST.get("to") or request.GET.get("to") or ""
    confirm = to in Agreement.Status.values and services.transition_needs_reason(
        agreement.status, to
    )
    if request.method == "GET":
        if not (confirm and services.may_make_transition(request.user, agreement, to)):
            return redirect("agreement-detail", pk=pk)
        return _confirm_transition(request, agreement, TransitionForm(initial={"to": to}), to)
    if confirm:
        _ask_for_the_reason(form, to)  # before validating, so the refusal reads the same
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
            return redirect("agreement-detail", pk=pk)
    if confirm:
        return _confirm_transition(request, agreement, form, to, status=400)
    for error in form.errors.values():
        messages.error(request, " ".join(map(str, error)))
    return redirect("agreement-detail", pk=pk)


def _ask_for_the_reason(form: TransitionForm, to: str) -> None:
    note = form.fields["note"]
    note.required = True
    if to in FINAL_STATUSES:
        note.label = "Reason"
        note.error_messages["required"] = "Give the reason; it is kept in the lifecycle log."
    else:
        note.label = "What must change"
        note.error_messages["required"] = (
            "Say what must change; your note is kept in the lifecycle log."
        )


def _confirm_transition(
    request: HttpRequest, agreement: Agreement, form: TransitionForm, to: str, status: int = 200
) -> HttpResponse:
    label = services.transition_label(agreement.status, to)
    final = to in FINAL_STATUSES
    _ask_for_the_reason(form, to)
    context = {
        "agreement": agreement,
        "form": form,
        "heading": f"{label}: {agreement.reference}",
        "explanation": (
            f"{agreement.reference} becomes “{Agreement.Status(to).label}”. "
            "This is final: it cannot be moved on again."
            if final
            else f"{agreement.reference} goes back: its status becomes "
            f"“{Agreement.Status(to).label}”, and your note tells its liaison officers why."
        ),
        "action": reverse("agreement-transition", args=[agreement.pk]),
        "submit": label,
        "cancel": reverse("agreement-detail", args=[agreement.pk]),
    }
    return render(request, "agreements/confirm.html", context, status=status)


@role_required
@require_http_methods(["GET", "POST"])
def party_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(AgreementParty.objects.select_related("partner"), pk=pk)
    agreement = agreement_for_user(request.user, party.agreement_id, write=True)
    return confirmed_removal(
        request,
        remove=lambda by, reason: services.agreement_party_remove(
            party=party, by=by, reason=reason
        ),
        done=f"{party.partner} removed.",
        then=reverse("agreement-detail", args=[agreement.pk]),
        page={
            "agreement": agreement,
            "heading": f"Remove {party.partner} from {agreement.reference}",
            "explanation": (
                f"{party.partner} ({party.get_role_display().lower()}) is taken off the "
                "agreement. The removal and its reason stay in the history."
            ),
            "submit": "Remove party",
            "cancel": reverse("agreement-detail", args=[agreement.pk]),
        },
    )


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
            return _panel_done(
                request, agreement, f"{party.partner} added as {party.get_role_display().lower()}."
            )
    return _panel_refused(request, agreement, "party", form)


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
        return _panel_done(request, agreement, "Review recorded; the next review date moved.")
    return _panel_refused(request, agreement, "review", form)


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
        return _panel_done(request, agreement, "Document stored.")
    return _panel_refused(request, agreement, "document", form)


@role_required
@require_http_methods(["GET", "POST"])
def document_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(AgreementDocument, pk=pk)
    agreement = agreement_for_user(request.user, document.agreement_id)
    if not can_remove_agreement_document(request.user, document):
        raise PermissionDenied("Only those who edit the agreement withdraw its documents.")
    return confirmed_removal(
        request,
        remove=lambda by, reason: services.agreement_document_remove(
            document=document, by=by, reason=reason
        ),
        done=f"Document “{document.title}” withdrawn.",
        then=reverse("agreement-detail", args=[agreement.pk]),
        page={
            "agreement": agreement,
            "heading": f"Withdraw “{document.title}”",
            "explanation": (
                f"{document.download_name} is taken off {agreement.reference} and its file "
                "deleted. The withdrawal and its reason stay in the agreement's history."
            ),
            "submit": "Withdraw document",
            "cancel": reverse("agreement-detail", args=[agreement.pk]),
        },
    )


@role_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Documents are served only through this access check, never as public media, under
    the name they were uploaded with."""
    document = get_object_or_404(AgreementDocument, pk=pk)
    agreement_for_user(request.user, document.agreement_id)
    return serve_file(
        document.file, filename=document.download_name, content_type=document.content_type
    )
