from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from config.roles import is_administrator, role_labels


def accord(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"accord_roles": role_labels(user), "accord_is_admin": is_administrator(user)}
