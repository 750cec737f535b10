from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from checklists import services
from checklists.exceptions import ChecklistsError
from checklists.models import Assessment, ChecklistItem, ChecklistTemplate
from checklists.selectors import can_publish_templates
from config.roles import accord_user


class TemplateUploadForm(forms.Form):
    file = forms.FileField(
        label="Template (YAML)",
        help_text="urn, version, title, provider and items, as in checklists/library/.",
    )


class ItemInline(admin.TabularInline[ChecklistItem, ChecklistTemplate]):
    model = ChecklistItem
    fields = ["position", "code", "area", "criticality", "weight", "requirement"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin[ChecklistTemplate]):
    """Published templates are read-only; publish a new template or version by uploading its
    YAML here (or with load_checklist_templates)."""

    change_list_template = "admin/checklists/checklisttemplate/change_list.html"

    list_display = ["title", "urn", "version", "provider", "published_on"]
    readonly_fields = [
        "urn",
        "version",
        "title",
        "provider",
        "published_on",
        "description",
        "content_sha256",
        "source_name",
        "loaded_at",
    ]
    inlines = [ItemInline]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return request.method in {"GET", "HEAD"} and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="checklists_checklisttemplate_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Publish a template version from a YAML file; every problem names the item and
        field, and nothing is written unless the whole template is valid."""
        if not can_publish_templates(request.user):
            raise PermissionDenied("Only administrators publish checklist templates.")
        form = TemplateUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.template_upload(
                    file=form.cleaned_data["file"], by=accord_user(request)
                )
            except ChecklistsError as refused:
                form.add_error(None, refused.message)
                for where, problems in refused.field_errors.items():
                    for problem in problems:
                        form.add_error(None, f"{where}: {problem}")
            else:
                template = result.template
                if result.created:
                    messages.success(
                        request,
                        f"Published {template} with {template.items.count()} items.",
                    )
                else:
                    messages.info(request, f"{template} is already published with this content.")
                return redirect(
                    reverse("admin:checklists_checklisttemplate_change", args=[template.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Upload a checklist template",
        }
        return TemplateResponse(request, "admin/checklists/checklisttemplate/upload.html", context)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin[Assessment]):
    list_display = ["partner", "template", "kind", "status", "due_on"]
    list_filter = ["status", "kind"]
    search_fields = ["partner__name"]
    readonly_fields = ["status", "submitted_at", "approved_at", "approved_by", "previous"]

    # Assessments are created, answered, submitted and approved in Accord itself, where the
    # rules and their history live; the admin shows them.
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return request.method in {"GET", "HEAD"} and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
