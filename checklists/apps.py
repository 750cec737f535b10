from __future__ import annotations

from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    """Interoperability checklists: template library, assessments, scores and gap reports."""

    name = "checklists"
    verbose_name = "Interoperability checklists"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from checklists import desk, history, reminders

        history.register()
        reminders.register_kinds()
        desk.register()
