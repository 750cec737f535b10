from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from agreements.models import ActivityType, Partner
from agreements.selectors import liaison_officer_candidates


class VersionedAdminForm(forms.ModelForm):
    """Carries the version the administrator loaded, so a stale save is refused with a message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        instance = self.instance
        if instance.pk:
            current = (
                type(instance)
                ._base_manager.filter(pk=instance.pk)
                .values_list("version", flat=True)[0]
            )
            if cleaned.get("version") != current:
                raise forms.ValidationError(
                    "Someone else changed this record since you opened it (now version "
                    f"{current}). Reload the page and apply your change again."
                )
        return cleaned


class PartnerAdminForm(VersionedAdminForm):
    class Meta:
        model = Partner
        fields = [
            "name",
            "short_name",
            "kind",
            "country_code",
            "region",
            "parent",
            "status",
            "liaison_officers",
            "notes",
            "version",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["liaison_officers"].queryset = liaison_officer_candidates()

    def clean_liaison_officers(self) -> Any:
        officers = self.cleaned_data["liaison_officers"]
        self.instance.validate_liaison_officers(list(officers))
        return officers


class AgencyInline(admin.TabularInline):
    model = Partner
    fk_name = "parent"
    fields = ["name", "short_name", "status"]
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    form = PartnerAdminForm
    list_display = ["name", "short_name", "kind", "country_code", "region", "status"]
    list_filter = ["kind", "region", "status"]
    search_fields = ["name", "short_name", "country_code"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["liaison_officers"]
    inlines = [AgencyInline]


class ActivityTypeAdminForm(VersionedAdminForm):
    class Meta:
        model = ActivityType
        fields = ["code", "name", "description", "is_active", "version"]


@admin.register(ActivityType)
class ActivityTypeAdmin(SimpleHistoryAdmin):
    form = ActivityTypeAdminForm
    list_display = ["name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
