from __future__ import annotations

from django.contrib import admin

from config.models import WorkerHeartbeat

admin.site.site_header = "Accord administration"
admin.site.site_title = "Accord"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["hostname", "seen_at", "beat_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
