"""Import of an agreement register: upload, then a page that follows the job to its report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from agreements.forms import ImportForm
from agreements.models import AgreementImport
from agreements.selectors.agreements import can_import_agreements
from agreements.services.import_jobs import (
    agreement_import_start,
    agreement_import_status,
    agreement_imports_fail_stale,
)
from agreements.services.imports import ALL_COLUMNS, REQUIRED_COLUMNS
from config.roles import accord_user
from config.views import role_required, run_service


def _administrators_only(request: HttpRequest) -> None:
    if not can_import_agreements(request.user):
        raise PermissionDenied("Only administrators import agreement registers.")


@role_required
@require_http_methods(["GET", "POST"])
def import_start_page(request: HttpRequest) -> HttpResponse:
    _administrators_only(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = run_service(
            request,
            form,
            lambda: agreement_import_start(
                by=accord_user(request),
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                stop_on_error=form.cleaned_data["stop_on_error"],
            ),
        )
        if job is not None:
            return redirect("agreement-import", pk=job.pk)
    agreement_imports_fail_stale(now=timezone.now())
    return render(
        request,
        "agreements/import_start.html",
        {
            "form": form,
            "columns": ALL_COLUMNS,
            "required": REQUIRED_COLUMNS,
            "recent": AgreementImport.objects.select_related("created_by")[:10],
        },
    )


@role_required
def import_job_page(request: HttpRequest, pk: int) -> HttpResponse:
    _administrators_only(request)
    job = agreement_import_status(job=get_object_or_404(AgreementImport, pk=pk))
    template = "agreements/_import_job.html" if request.htmx else "agreements/import_job.html"
    return render(request, template, {"job": job})


@role_required
@require_POST
def import_confirm_page(request: HttpRequest, pk: int) -> HttpResponse:
    """After a dry run: import the same file for real."""
    _administrators_only(request)
    dry = get_object_or_404(AgreementImport, pk=pk, dry_run=True)
    with dry.file.open("rb") as handle:
        upload = ContentFile(handle.read(), name=dry.original_name)
    form = ImportForm()
    job = run_service(
        request,
        form,
        lambda: agreement_import_start(
            by=accord_user(request),
            upload=upload,
            dry_run=False,
            stop_on_error=request.POST.get("stop_on_error") == "on",
        ),
    )
    if job is None:
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("agreement-import", pk=pk)
    return redirect("agreement-import", pk=job.pk)
