from __future__ import annotations

from django.urls import path, re_path

from checklists import views
from checklists.gap_reports import views as gap_report_views

urlpatterns = [
    path("checklists/", views.library_page, name="checklist-library"),
    path("checklists/<int:pk>/", views.template_page, name="checklist-template"),
    path(
        "partners/<int:partner_pk>/assessments/new/",
        views.assessment_create_page,
        name="assessment-create",
    ),
    path("assessments/", views.assessment_list_page, name="assessment-list"),
    re_path(
        r"^assessments/export\.(?P<fmt>csv|xlsx)$",
        views.assessment_export_page,
        name="assessment-export",
    ),
    path("assessments/<int:pk>/", views.assessment_page, name="assessment"),
    path("assessments/<int:pk>/items/<str:code>/", views.response_save, name="response-save"),
    path(
        "assessments/<int:pk>/items/<str:code>/confirm/",
        views.response_confirm_page,
        name="response-confirm",
    ),
    path("assessments/<int:pk>/confirm-area/", views.area_confirm_page, name="area-confirm"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("evidence/<int:pk>/remove/", views.evidence_remove_page, name="evidence-remove"),
    path(
        "assessments/<int:pk>/compare/<int:other>/", views.compare_page, name="assessment-compare"
    ),
    path("assessments/<int:pk>/<str:action>/", views.assessment_action, name="assessment-action"),
]

urlpatterns += [
    path("gap-reports/", gap_report_views.gap_report_list_page, name="gap-report-list"),
    path("gap-reports/new/", gap_report_views.gap_report_create_page, name="gap-report-create"),
    path(
        "gap-reports/subscriptions/",
        gap_report_views.gap_report_subscribe_page,
        name="gap-report-subscribe",
    ),
    path(
        "gap-reports/subscriptions/<int:pk>/end/",
        gap_report_views.gap_report_unsubscribe_page,
        name="gap-report-unsubscribe",
    ),
    path("gap-reports/<int:pk>/", gap_report_views.gap_report_page, name="gap-report"),
    path(
        "gap-reports/<int:pk>/status/", gap_report_views.gap_report_status, name="gap-report-status"
    ),
    path(
        "gap-reports/<int:pk>/retry/",
        gap_report_views.gap_report_retry_page,
        name="gap-report-retry",
    ),
    path(
        "gap-reports/<int:pk>/briefing.pdf", gap_report_views.gap_report_pdf, name="gap-report-pdf"
    ),
    path(
        "gap-reports/<int:pk>/gap-report.xlsx",
        gap_report_views.gap_report_xlsx,
        name="gap-report-xlsx",
    ),
    path(
        "gap-reports/<int:pk>/section.csv", gap_report_views.gap_report_csv, name="gap-report-csv"
    ),
    path(
        "gap-reports/<int:pk>/sections/<str:section>/",
        gap_report_views.gap_report_section_page,
        name="gap-report-section",
    ),
]
