"""Checklist pages: the template library, the assessment editor, starting an assessment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_http_methods, require_POST

from agreements.selectors import accord_people, can_edit_partner, partner_for_user
from checklists import services
from checklists.exceptions import ChecklistsError, EvidenceMissingError
from checklists.exports import ASSESSMENT_EXPORT, assessment_rows
from checklists.filters import AssessmentFilter
from checklists.forms import AssessmentForm, ResponseForm
from checklists.models import (
    Area,
    Assessment,
    ChecklistTemplate,
    Criticality,
    EvidenceFile,
    ItemResponse,
)
from checklists.selectors import (
    assessment_for_user,
    assessment_rounds,
    assessment_score,
    assessments_visible_to,
    can_review_assessment,
    compare_assessments,
    response_rows,
    scores_for,
)
from config.errors import StaleVersionError
from config.exports import Sheet, csv_response, dated_filename, xlsx_response
from config.history import history_entries
from config.roles import accord_user
from config.sorting import Sorting, sort_rows
from config.uploads import serve_file
from config.views import role_required, run_service, without_blanks

R = ItemResponse.Result
FILTERS = {
    "unanswered": {"result": R.NOT_ASSESSED},
    "unmet": {"result__in": [R.NOT_MET, R.PARTIALLY_MET]},
    "high": {"item__criticality": Criticality.HIGH},
    "reconfirm": {"needs_reconfirmation": True},
}


@role_required
def library_page(request: HttpRequest) -> HttpResponse:
    templates = ChecklistTemplate.objects.annotate(item_count=Count("items")).order_by(
        "title", "-version"
    )
    return render(request, "checklists/library.html", {"templates": templates})


@role_required
def template_page(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(ChecklistTemplate, pk=pk)
    return render(
        request,
        "checklists/template.html",
        {"template": template, "items": template.items.all()},
    )


ASSESSMENT_COLUMNS = {
    "due": ["due_on", "-created_at"],
    "partner": ["partner__name", "-created_at"],
    "template": ["template__title", "-template__version", "-created_at"],
    "status": ["status", "-created_at"],
    "assessor": ["assessor__last_name", "assessor__first_name", "assessor__username"],
    "created": ["created_at"],
}


def _filtered_assessments(
    request: HttpRequest,
) -> tuple[AssessmentFilter, QuerySet[Assessment], Sorting]:
    """The assessments the list shows for these filters and this order (all pages)."""
    rows = assessments_visible_to(request.user).select_related("partner", "template", "assessor")
    assessment_filter = AssessmentFilter(without_blanks(request.GET), queryset=rows)
    rows = assessment_filter.qs if assessment_filter.is_valid() else rows.none()
    rows, sorting = sort_rows(request, rows, columns=ASSESSMENT_COLUMNS, default="due")
    return assessment_filter, rows, sorting


@role_required
def assessment_export_page(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every assessment the list shows with these filters, with its score, as a file."""
    assessment_filter, rows, _ = _filtered_assessments(request)
    if assessment_filter.errors:
        return render(
            request, "_filter_errors_page.html", {"filter": assessment_filter}, status=400
        )
    filename = dated_filename("assessments", fmt)
    if fmt == "xlsx":
        sheet = Sheet("Assessments", ASSESSMENT_EXPORT, assessment_rows(rows))
        return xlsx_response(filename=filename, sheets=[sheet])
    return csv_response(filename=filename, columns=ASSESSMENT_EXPORT, rows=assessment_rows(rows))


@role_required
def assessment_list_page(request: HttpRequest) -> HttpResponse:
    """Every assessment you can see, with its score and level; managers find here what waits
    for their approval."""
    assessment_filter, rows, sorting = _filtered_assessments(request)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    scores = scores_for([a.pk for a in page])
    query = request.GET.copy()
    query.pop("page", None)
    waiting = assessments_visible_to(request.user).filter(status=Assessment.Status.SUBMITTED)
    return render(
        request,
        "checklists/assessment_list.html",
        {
            "filter": assessment_filter,
            "page": page,
            "sorting": sorting,
            "rows": [(a, scores[a.pk]) for a in page],
            "query": query.urlencode(),
            "templates": ChecklistTemplate.objects.order_by("title", "-version"),
            "waiting": waiting.count(),
            "today": timezone.localdate(),
        },
    )


@role_required
@require_http_methods(["GET", "POST"])
def assessment_create_page(request: HttpRequest, partner_pk: int) -> HttpResponse:
    partner = partner_for_user(request.user, partner_pk, write=True)
    form = AssessmentForm(request.POST or None, initial={"assessor": request.user.pk})
    if request.method == "POST" and form.is_valid():
        assessment = run_service(
            request,
            form,
            lambda: services.assessment_create(
                by=accord_user(request), partner=partner, **form.cleaned_data
            ),
        )
        if assessment is not None:
            return redirect("assessment", pk=assessment.pk)
    return render(request, "checklists/assessment_new.html", {"form": form, "partner": partner})


def _editable(request: HttpRequest, assessment: Assessment) -> bool:
    return assessment.status in {Assessment.Status.DRAFT, Assessment.Status.IN_PROGRESS} and (
        can_edit_partner(request.user, assessment.partner)
    )


def _rows(assessment: Assessment, show: str | None) -> Any:
    rows = response_rows(assessment)
    if show in FILTERS:
        rows = rows.filter(**FILTERS[show])
    return rows


@role_required
def assessment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor: every item by area, each answer saved in place."""
    assessment = assessment_for_user(request.user, pk)
    show = request.GET.get("show")
    rows = list(_rows(assessment, show))
    editable = _editable(request, assessment)
    areas = dict(Area.choices)
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            row.item.area,
            {"area": row.item.area, "label": areas.get(row.item.area, row.item.area), "rows": []},
        )
        group["rows"].append(row)
    for group in groups.values():
        group["to_reconfirm"] = [r for r in group["rows"] if r.needs_reconfirmation]
    previous = assessment.previous
    rounds = assessment_rounds([assessment] if previous is None else [assessment, previous])
    context = {
        "assessment": assessment,
        "groups": list(groups.values()),
        "first_item": rows[0].item.code if rows else None,
        "show": show if show in FILTERS else None,
        "filters": FILTERS,
        "score": assessment_score(assessment),
        "editable": editable,
        "results": R.choices,
        "people": list(accord_people()) if editable else [],
        "round": rounds[assessment.pk],
        "previous": previous,
        "previous_round": rounds.get(previous.pk) if previous is not None else None,
        "can_submit": editable,
        "can_review": assessment.status == Assessment.Status.SUBMITTED
        and can_review_assessment(request.user),
        "can_clone": assessment.status == Assessment.Status.APPROVED
        and can_edit_partner(request.user, assessment.partner),
        "history": history_entries(assessment),
    }
    return render(request, "checklists/assessment.html", context)


def _refused(error: Exception) -> str:
    if isinstance(error, StaleVersionError):
        return error.message
    if isinstance(error, ChecklistsError):
        return " ".join(m for ms in error.field_errors.values() for m in ms) or error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    raise error


def _row_response(
    request: HttpRequest, assessment: Assessment, code: str, error: str | None
) -> HttpResponse:
    row = get_object_or_404(response_rows(assessment), item__code=code)
    context = {
        "row": row,
        "assessment": assessment,
        "editable": _editable(request, assessment),
        "results": R.choices,
        "people": list(accord_people()),
        "error": error,
        "score": assessment_score(assessment),
        "oob": True,
    }
    return render(request, "checklists/_response_row.html", context)


@role_required
@require_POST
def response_save(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Save one item's answer, or attach an evidence file to it (HTMX): the row comes back,
    and the score out of band."""
    assessment = assessment_for_user(request.user, pk)
    if not _editable(request, assessment):
        raise PermissionDenied("This assessment is not open for your answers.")
    get_object_or_404(assessment.responses, item__code=code)
    error = None
    try:
        if "evidence_file" in request.FILES:
            services.evidence_add(
                assessment=assessment,
                by=accord_user(request),
                code=code,
                file=request.FILES["evidence_file"],
            )
        else:
            form = ResponseForm(request.POST)
            if form.is_valid():
                services.responses_update(
                    assessment=assessment,
                    by=accord_user(request),
                    changes=[
                        {"code": code, "version": form.cleaned_data["version"], **form.changes()}
                    ],
                )
            else:
                error = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
    except (StaleVersionError, ChecklistsError, ValidationError) as refused:
        error = _refused(refused)
    return _row_response(request, assessment, code, error)


@role_required
@require_POST
def evidence_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(EvidenceFile.objects.select_related("response__item"), pk=pk)
    assessment = assessment_for_user(request.user, evidence.response.assessment_id)
    error = None
    try:
        services.evidence_remove(evidence=evidence, by=accord_user(request))
    except ChecklistsError as refused:
        error = _refused(refused)
    return _row_response(request, assessment, evidence.response.item.code, error)


@role_required
@require_POST
def response_confirm_page(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Confirm one carried-over answer as it is (HTMX: the "confirm" control, or the key of
    the current answer): the row comes back, and the score out of band."""
    assessment = assessment_for_user(request.user, pk)
    if not _editable(request, assessment):
        raise PermissionDenied("This assessment is not open for your answers.")
    get_object_or_404(assessment.responses, item__code=code)
    error = None
    version = request.POST.get("version", "")
    if not version.isdigit():
        error = "Reload the page: the answer's version is missing."
    else:
        try:
            services.response_confirm(
                assessment=assessment, by=accord_user(request), code=code, version=int(version)
            )
        except (StaleVersionError, ChecklistsError) as refused:
            error = _refused(refused)
    return _row_response(request, assessment, code, error)


@role_required
@require_POST
def area_confirm_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm every unchanged carried-over answer of one area, as the page showed them."""
    assessment = assessment_for_user(request.user, pk)
    if not _editable(request, assessment):
        raise PermissionDenied("This assessment is not open for your answers.")
    area = request.POST.get("area", "")
    versions = {
        name.removeprefix("version:"): int(value)
        for name in request.POST
        if name.startswith("version:") and (value := request.POST.get(name, "")).isdigit()
    }
    address = reverse("assessment", args=[pk]) + f"#area-{area}"
    try:
        confirmed = services.responses_confirm_area(
            assessment=assessment, by=accord_user(request), area=area, versions=versions
        )
    except (StaleVersionError, ChecklistsError) as refused:
        messages.error(request, f"Nothing was confirmed. {_refused(refused)}")
        return redirect(address)
    label = dict(Area.choices).get(area, area)
    if confirmed:
        count = len(confirmed)
        messages.success(
            request, f"Confirmed {count} unchanged answer{'s' if count != 1 else ''} in {label}."
        )
    else:
        messages.info(request, f"Nothing left to confirm in {label}.")
    return redirect(address)


@role_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is served only through this access check, never as public media."""
    evidence = get_object_or_404(EvidenceFile.objects.select_related("response"), pk=pk)
    assessment_for_user(request.user, evidence.response.assessment_id)
    return serve_file(evidence.file, filename=evidence.name, content_type=evidence.content_type)


def _evidence_missing(assessment: Assessment, error: EvidenceMissingError) -> str:
    """The refusal as a sentence per item, each code a link to its row in the editor."""
    editor = reverse("assessment", args=[assessment.pk])
    items = format_html_join(
        "; ",
        '<a href="{}#item-{}">{}</a> is marked met but has no evidence',
        ((editor, code, code) for code in error.codes),
    )
    return format_html(
        "Not submitted: {}. A high-criticality item marked met needs evidence (text, link or "
        "file).",
        items,
    )


@role_required
@require_POST
def assessment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assessment = assessment_for_user(request.user, pk)
    user = accord_user(request)
    calls = {
        "submit": lambda: services.assessment_submit(assessment=assessment, by=user),
        "approve": lambda: services.assessment_approve(assessment=assessment, by=user),
        "return": lambda: services.assessment_return(
            assessment=assessment, by=user, note=request.POST.get("note", "")
        ),
        "clone": lambda: services.assessment_clone(source=assessment, by=user),
    }
    if action not in calls:
        raise PermissionDenied("Unknown action.")
    if action == "submit" and request.POST.get("incomplete_ok") != "1":
        unanswered = assessment.responses.filter(result=ItemResponse.Result.NOT_ASSESSED).count()
        if unanswered:
            context = {
                "assessment": assessment,
                "unanswered": unanswered,
                "items": assessment.responses.count(),
            }
            return render(request, "checklists/confirm_submit.html", context)
    try:
        result = calls[action]()
    except EvidenceMissingError as missing:
        messages.error(request, _evidence_missing(assessment, missing))
        return redirect("assessment", pk=pk)
    except ChecklistsError as refused:
        messages.error(request, _refused(refused))
        return redirect("assessment", pk=pk)
    messages.success(
        request,
        {
            "submit": "Submitted for approval.",
            "approve": "Approved.",
            "return": "Returned to the assessor with your note.",
            "clone": "New round started from the approved answers.",
        }[action],
    )
    return redirect("assessment", pk=result.pk)


@role_required
def compare_page(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    one = assessment_for_user(request.user, pk)
    two = assessment_for_user(request.user, other)
    older, newer = sorted([one, two], key=lambda a: (a.created_at, a.pk))
    comparison = compare_assessments(older, newer)
    labels = dict(ItemResponse.Result.choices)
    for entry in comparison["items"]:
        entry["before_label"] = labels.get(entry["before"], "—") if entry["before"] else "—"
        entry["after_label"] = labels.get(entry["after"], "—") if entry["after"] else "—"
    rounds = assessment_rounds([older, newer])
    return render(
        request,
        "checklists/compare.html",
        {"c": comparison, "round_before": rounds[older.pk], "round_after": rounds[newer.pk]},
    )
