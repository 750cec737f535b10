from __future__ import annotations

from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Partners and agreements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agreements import desk, history, reminders

        history.register()
        reminders.register_kinds()
        desk.register()
