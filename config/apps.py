from __future__ import annotations

from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Cross-cutting pieces every domain app reuses: roles, versions, audit history, API."""

    name = "config"
    label = "accord"
    verbose_name = "Accord"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config import mail  # noqa: F401  (registers its deploy check)
        from config.signin import connect_signals

        connect_signals()
