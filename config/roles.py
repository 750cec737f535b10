"""Roles are Django groups; administrators are staff users."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from rest_framework.request import Request

AnyUser = User | AnonymousUser


def accord_user(request: HttpRequest | Request) -> User:
    """The signed-in user behind a request, for the doors that act on the user's behalf.

    Every such door already refuses anonymous visitors; this narrows the type once, and refuses
    (403, never a 500) should a door ever forget its guard.
    """
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user


class Role(StrEnum):
    LIAISON_OFFICER = "liaison_officer"
    LEGAL_ADVISOR = "legal_advisor"
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.LIAISON_OFFICER: "Liaison officer",
    Role.LEGAL_ADVISOR: "Legal advisor",
    Role.MANAGER: "Manager",
}


def user_roles(user: AnyUser) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_accord_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) & set(Role)
        # A cache for the request on the user object, not a field the stubs know.
        user._accord_roles = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: AnyUser, role: Role) -> bool:
    return role in user_roles(user)


def is_administrator(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def has_any_role(user: AnyUser) -> bool:
    return is_administrator(user) or bool(user_roles(user))


def reads_everything(user: AnyUser) -> bool:
    """Administrators, legal advisors and managers read every partner; LOs their portfolio."""
    return is_administrator(user) or bool(user_roles(user) & {Role.LEGAL_ADVISOR, Role.MANAGER})


def role_labels(user: AnyUser) -> list[str]:
    labels = [ROLE_LABELS[Role(name)] for name in sorted(user_roles(user))]
    if is_administrator(user):
        labels.insert(0, "Administrator")
    return labels
