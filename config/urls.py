from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from agreements.api.agreements import AgreementPartyViewSet, AgreementViewSet
from agreements.api.imports import AgreementImportViewSet
from agreements.api.mandates import (
    ClearanceCheckView,
    ConstraintViewSet,
    CoverageView,
    EngagementViewSet,
    MandateViewSet,
)
from agreements.api.partners import ActivityTypeViewSet, PartnerViewSet, UserViewSet
from checklists.api import AssessmentViewSet, TemplateViewSet
from checklists.gap_reports.api import GapReportSubscriptionViewSet, GapReportViewSet
from config import views
from config.api_auth import ObtainTokenView
from config.reminders import urls as reminder_urls
from config.reminders.api import ReminderRuleViewSet, ReminderViewSet

router = DefaultRouter()
router.include_format_suffixes = False
router.register("partners", PartnerViewSet, basename="partner")
router.register("activity-types", ActivityTypeViewSet, basename="activity-type")
router.register("users", UserViewSet, basename="user")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("agreement-parties", AgreementPartyViewSet, basename="agreement-party")
router.register("agreement-imports", AgreementImportViewSet, basename="agreement-import")
router.register("mandates", MandateViewSet, basename="mandate")
router.register("constraints", ConstraintViewSet, basename="constraint")
router.register("engagements", EngagementViewSet, basename="engagement")
router.register("checklist-templates", TemplateViewSet, basename="checklist-template")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("reminder-rules", ReminderRuleViewSet, basename="reminder-rule")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register(
    "gap-report-subscriptions", GapReportSubscriptionViewSet, basename="gap-report-subscription"
)
router.register("gap-reports", GapReportViewSet, basename="gap-report")

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/clearance-checks/", ClearanceCheckView.as_view(), name="api-clearance-check"),
    path("api/v1/coverage/", CoverageView.as_view(), name="api-coverage"),
    *reminder_urls.api_urlpatterns,
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, which the CSP allows.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="accord/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("", include("agreements.urls")),
    path("", include("checklists.urls")),
    path("", include(reminder_urls.urlpatterns)),
]

handler404 = "config.views.not_found"
handler403 = "config.views.permission_denied"
handler500 = "config.views.server_error"
