from __future__ import annotations

from django.urls import path

from agreements import views

urlpatterns = [
    path("partners/", views.partner_list_page, name="partner-list"),
    path("partners/new/", views.partner_create_page, name="partner-create"),
    path("partners/<int:pk>/", views.partner_detail_page, name="partner-detail"),
    path("partners/<int:pk>/edit/", views.partner_edit_page, name="partner-edit"),
]
