"""Checklist pages: the template library, the assessment editor, starting an assessment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from agreements.selectors import accord_people, can_edit_partner, partner_for_user
from checklists import services
from checklists.exceptions import ChecklistsError
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
    assessment_score,
    assessments_visible_to,
    compare_assessments,
    response_rows,
    scores_for,
)
from config.errors import StaleVersionError
from config.history import history_entries
from config.roles import Role, accord_user, has_role, is_administrator
from config.sorting import sort_rows
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


@role_required
def assessment_list_page(request: HttpRequest) -> HttpResponse:
    """Every assessment you can see, with its score and level; managers find here what waits
    for their approval."""
    rows = assessments_visible_to(request.user).select_related("partner", "template", "assessor")
    assessment_filter = AssessmentFilter(without_blanks(request.GET), queryset=rows)
    rows = assessment_filter.qs if assessment_filter.is_valid() else rows.none()
    rows, sorting = sort_rows(request, rows, columns=ASSESSMENT_COLUMNS, default="due")
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
    form = AssessmentForm(request.POST or None)
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
    areas = dict(Area.choices)
    groups: dict[str, list[ItemResponse]] = {}
    for row in rows:
        groups.setdefault(areas.get(row.item.area, row.item.area), []).append(row)
    context = {
        "assessment": assessment,
        "groups": groups,
        "show": show if show in FILTERS else None,
        "filters": FILTERS,
        "score": assessment_score(assessment),
        "editable": _editable(request, assessment),
        "results": R.choices,
        "people": list(accord_people()) if _editable(request, assessment) else [],
        "can_submit": _editable(request, assessment),
        "can_approve": assessment.status == Assessment.Status.SUBMITTED
        and (has_role(request.user, Role.MANAGER) or is_administrator(request.user)),
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
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is served only through this access check, never as public media."""
    evidence = get_object_or_404(EvidenceFile.objects.select_related("response"), pk=pk)
    assessment_for_user(request.user, evidence.response.assessment_id)
    return serve_file(evidence.file, filename=evidence.name, content_type=evidence.content_type)


@role_required
@require_POST
def assessment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assessment = assessment_for_user(request.user, pk)
    user = accord_user(request)
    calls = {
        "submit": lambda: services.assessment_submit(assessment=assessment, by=user),
        "approve": lambda: services.assessment_approve(assessment=assessment, by=user),
        "clone": lambda: services.assessment_clone(source=assessment, by=user),
    }
    if action not in calls:
        raise PermissionDenied("Unknown action.")
    try:
        result = calls[action]()
    except ChecklistsError as refused:
        details = [f"{k}: {' '.join(v)}" for k, v in refused.field_errors.items()]
        messages.error(request, " ".join([refused.message, *details]))
        return redirect("assessment", pk=pk)
    messages.success(
        request,
        {
            "submit": "Submitted for approval.",
            "approve": "Approved.",
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
    return render(request, "checklists/compare.html", {"c": comparison, "labels": labels})
