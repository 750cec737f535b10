from __future__ import annotations

from django.urls import path, re_path

from agreements.views import agreements, clearance, engagements, imports, legal, partners

urlpatterns = [
    path("partners/", partners.partner_list_page, name="partner-list"),
    path("partners/new/", partners.partner_create_page, name="partner-create"),
    path("partners/<int:pk>/", partners.partner_detail_page, name="partner-detail"),
    path("partners/<int:pk>/edit/", partners.partner_edit_page, name="partner-edit"),
    path(
        "partners/<int:partner_pk>/constraints/new/",
        clearance.constraint_form_page,
        name="constraint-create",
    ),
    path("constraints/<int:pk>/edit/", clearance.constraint_form_page, name="constraint-edit"),
    path(
        "constraints/<int:pk>/remove/", clearance.constraint_remove_page, name="constraint-remove"
    ),
    path(
        "partners/<int:partner_pk>/engagements/new/",
        clearance.engagement_form_page,
        name="engagement-create",
    ),
    path("engagements/", engagements.engagement_list_page, name="engagement-list"),
    path("engagements/<int:pk>/", clearance.engagement_detail_page, name="engagement-detail"),
    path("engagements/<int:pk>/edit/", clearance.engagement_form_page, name="engagement-edit"),
    path(
        "engagements/<int:pk>/remove/", clearance.engagement_remove_page, name="engagement-remove"
    ),
    path("clearance/", clearance.clearance_page, name="clearance"),
    path("coverage/", clearance.coverage_page, name="coverage"),
    re_path(
        r"^coverage/export\.(?P<fmt>csv|xlsx)$",
        clearance.coverage_export_page,
        name="coverage-export",
    ),
    path("agreements/", agreements.agreement_list_page, name="agreement-list"),
    re_path(
        r"^agreements/export\.(?P<fmt>csv|xlsx)$",
        agreements.agreement_export_page,
        name="agreement-export",
    ),
    path("agreements/new/", agreements.agreement_create_page, name="agreement-create"),
    path("agreements/import/", imports.import_start_page, name="agreement-import-start"),
    path("agreements/imports/<int:pk>/", imports.import_job_page, name="agreement-import"),
    path(
        "agreements/imports/<int:pk>/confirm/",
        imports.import_confirm_page,
        name="agreement-import-confirm",
    ),
    path("agreements/<int:pk>/", agreements.agreement_detail_page, name="agreement-detail"),
    path("agreements/<int:pk>/edit/", agreements.agreement_edit_page, name="agreement-edit"),
    path(
        "agreements/<int:pk>/transition/",
        agreements.agreement_transition_page,
        name="agreement-transition",
    ),
    path("agreements/<int:pk>/parties/", agreements.party_add_page, name="party-add"),
    path("agreement-parties/<int:pk>/remove/", agreements.party_remove_page, name="party-remove"),
    path("agreements/<int:pk>/reviews/", agreements.review_add_page, name="review-add"),
    path("agreements/<int:pk>/documents/", agreements.document_add_page, name="document-add"),
    path("documents/<int:pk>/", agreements.document_download, name="document-download"),
    path("documents/<int:pk>/withdraw/", agreements.document_remove_page, name="document-remove"),
    path("mandates/", legal.mandate_list_page, name="mandate-list"),
    path("mandates/new/", legal.mandate_form_page, name="mandate-create"),
    path("mandates/<int:pk>/", legal.mandate_detail_page, name="mandate-detail"),
    path("mandates/<int:pk>/edit/", legal.mandate_form_page, name="mandate-edit"),
    path("mandates/<int:pk>/decide/", legal.mandate_decide_page, name="mandate-decide"),
    path("legal/queue/", legal.review_queue_page, name="review-queue"),
]
