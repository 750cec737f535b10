from __future__ import annotations

from django.urls import path, re_path

from config.reminders import api, views

urlpatterns = [
    path("reminders/", views.inbox_page, name="reminder-inbox"),
    path("reminders/<int:pk>/acknowledge/", views.acknowledge_action, name="reminder-acknowledge"),
    path("reminders/<int:pk>/snooze/", views.snooze_action, name="reminder-snooze"),
    path("reminders/settings/", views.settings_page, name="reminder-settings"),
    path("reminders/settings/reset-feed/", views.feed_reset_action, name="reminder-feed-reset"),
    path("reminders/rules/", views.rules_page, name="reminder-rule-list"),
    path("reminders/rules/<int:pk>/", views.rule_page, name="reminder-rule-detail"),
    # No session: the token is the credential. Any other shape answers 404 in the view.
    re_path(r"^calendar/(?P<token>[^/]{1,100})\.ics$", views.feed, name="reminder-feed"),
    # The per-partner feed is the agreements app's (it owns partners): agreements/urls.py.
]

api_urlpatterns = [
    path(
        "api/v1/reminder-settings/me/",
        api.ReminderSettingsView.as_view(),
        name="api-reminder-settings",
    ),
    path(
        "api/v1/reminder-settings/me/reset-feed/",
        api.ReminderFeedResetView.as_view(),
        name="api-reminder-feed-reset",
    ),
    path(
        "api/v1/reminder-settings/me/history/",
        api.ReminderSettingsHistoryView.as_view(),
        name="api-reminder-settings-history",
    ),
]
