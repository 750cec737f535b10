from __future__ import annotations

from django.urls import path, re_path

from checklists import views

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
