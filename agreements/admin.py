from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from agreements import services
from agreements.models import (
    ActivityType,
    Agreement,
    AgreementImport,
    AgreementParty,
    Engagement,
    LegalMandate,
    LegalReview,
    Partner,
    SovereigntyConstraint,
)
from agreements.selectors import liaison_officer_candidates
from config.admin import ServiceAdmin


class VersionedAdminForm(forms.ModelForm[Any]):
    """Carries the version the administrator loaded, so a stale save is refused with a message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
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


class AgencyInline(admin.TabularInline[Partner, Partner]):
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
class PartnerAdmin(ServiceAdmin, SimpleHistoryAdmin):
    create_service = services.partner_create
    update_service = services.partner_update
    record_argument = "partner"
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
class ActivityTypeAdmin(ServiceAdmin, SimpleHistoryAdmin):
    create_service = services.activity_type_create
    update_service = services.activity_type_update
    record_argument = "activity_type"
    form = ActivityTypeAdminForm
    list_display = ["name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


def _versioned_form(model_class: type, field_names: list[str]) -> type[VersionedAdminForm]:
    meta = type("Meta", (), {"model": model_class, "fields": [*field_names, "version"]})
    return type(f"{model_class.__name__}AdminForm", (VersionedAdminForm,), {"Meta": meta})


class PartyInline(admin.TabularInline[AgreementParty, Agreement]):
    """Shown, not edited: parties are added, changed and removed on the agreement's page or
    through the API, where their rules and history live."""

    model = AgreementParty
    fields = ["partner", "role", "signed_on", "in_force_on", "withdrawn_on", "reservations"]
    readonly_fields = [
        "partner",
        "role",
        "signed_on",
        "in_force_on",
        "withdrawn_on",
        "reservations",
    ]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ServiceAdmin, SimpleHistoryAdmin):
    create_service = services.agreement_create
    update_service = services.agreement_update
    record_argument = "agreement"
    form = _versioned_form(
        Agreement,
        [
            "reference",
            "title",
            "kind",
            "activity_types",
            "owner",
            "legal_reviewer",
            "parent",
            "relation_to_parent",
            "supersedes",
            "signed_on",
            "effective_on",
            "expires_on",
            "auto_renews",
            "renewal_term_months",
            "notice_period_days",
            "review_interval_months",
            "last_reviewed_on",
            "summary",
        ],
    )
    list_display = ["reference", "title", "kind", "status", "expires_on", "notice_deadline"]
    list_filter = ["status", "kind"]
    search_fields = ["reference", "title"]
    readonly_fields = ["status", "notice_deadline", "next_review_on"]
    autocomplete_fields = ["parent", "supersedes"]
    filter_horizontal = ["activity_types"]
    inlines = [PartyInline]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # a legal record is ended through its lifecycle, never erased


@admin.register(LegalMandate)
class LegalMandateAdmin(ServiceAdmin, SimpleHistoryAdmin):
    create_service = services.mandate_create
    update_service = services.mandate_update
    record_argument = "mandate"
    form = _versioned_form(
        LegalMandate,
        [
            "title",
            "kind",
            "citation",
            "agreement",
            "article",
            "activity_types",
            "applies_to_all_partners",
            "partners",
            "geographic_scope",
            "valid_from",
            "valid_until",
            "review_interval_months",
            "summary",
        ],
    )
    list_display = ["title", "kind", "status", "valid_from", "valid_until"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "citation"]
    readonly_fields = [
        "status",
        "review_requested_at",
        "review_overdue_on",
        "last_decided_at",
        "next_review_on",
    ]
    filter_horizontal = ["activity_types", "partners"]
    autocomplete_fields = ["agreement"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # a legal record is ended through its lifecycle, never erased


@admin.register(LegalReview)
class LegalReviewAdmin(admin.ModelAdmin[LegalReview]):
    """Decisions are made by legal advisors in Accord itself and never change: read-only."""

    list_display = ["mandate", "decision", "reviewer", "decided_at"]
    list_filter = ["decision"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(SovereigntyConstraint)
class SovereigntyConstraintAdmin(ServiceAdmin, SimpleHistoryAdmin):
    create_service = services.constraint_create
    update_service = services.constraint_update
    record_argument = "constraint"
    form = _versioned_form(
        SovereigntyConstraint,
        [
            "partner",
            "category",
            "effect",
            "consent_lead_days",
            "activity_types",
            "description",
            "legal_basis",
            "agreement",
            "clause",
            "valid_from",
            "valid_until",
        ],
    )
    list_display = ["partner", "category", "effect"]
    list_filter = ["effect", "category"]
    search_fields = ["partner__name", "description"]
    autocomplete_fields = ["partner", "agreement"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # removed on the partner page, with the reason its history keeps


@admin.register(Engagement)
class EngagementAdmin(ServiceAdmin, SimpleHistoryAdmin):
    create_service = services.engagement_create
    update_service = services.engagement_update
    record_argument = "engagement"
    form = _versioned_form(
        Engagement,
        [
            "partner",
            "activity_type",
            "title",
            "starts_on",
            "ends_on",
            "location",
            "notes",
        ],
    )
    list_display = ["title", "partner", "activity_type", "starts_on", "ends_on"]
    readonly_fields = ["consent_request_by"]
    search_fields = ["title", "partner__name"]
    autocomplete_fields = ["partner"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # removed on the partner page, with the reason its history keeps


@admin.register(AgreementImport)
class AgreementImportAdmin(admin.ModelAdmin[AgreementImport]):
    """Imports are started on the import page or through the API; here they are read."""

    list_display = ["original_name", "dry_run", "status", "created_by", "created_at"]
    readonly_fields = [
        "report",
        "error",
        "status",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "agreements_written",
    ]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return request.method in {"GET", "HEAD"} and super().has_change_permission(request, obj)
