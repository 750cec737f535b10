from __future__ import annotations

from typing import Any

from django.contrib import admin

from checklists.models import Assessment, ChecklistItem, ChecklistTemplate


class ItemInline(admin.TabularInline):
    model = ChecklistItem
    fields = ["position", "code", "area", "criticality", "weight", "requirement"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    """Published templates are read-only; load a new version with load_checklist_templates."""

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


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["partner", "template", "kind", "status", "due_on"]
    list_filter = ["status", "kind"]
    search_fields = ["partner__name"]
    readonly_fields = ["status", "submitted_at", "approved_at", "approved_by", "previous"]
