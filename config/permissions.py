from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from config.roles import has_any_role, is_administrator


class HasAccordRole(permissions.BasePermission):
    """Signed-in users with a role (or administrators); anyone else is refused everything."""

    message = "Your account has no role in Accord; ask an administrator to assign one."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return has_any_role(request.user)


class IsAdministratorOrReadOnly(permissions.BasePermission):
    message = "Only administrators change this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or is_administrator(request.user)
