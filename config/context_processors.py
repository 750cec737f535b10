from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from config.reminders.inbox import open_reminder_count
from config.roles import has_any_role, is_administrator, role_labels


def accord(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "accord_roles": role_labels(user),
        "accord_is_admin": is_administrator(user),
        "accord_open_reminders": _open_reminders(user) if has_any_role(user) else None,
    }


def _open_reminders(user: Any) -> Callable[[], int]:
    """The header's count (see `open_reminder_count`), only on a page that shows it."""
    return cache(lambda: open_reminder_count(user, today=timezone.localdate()))
