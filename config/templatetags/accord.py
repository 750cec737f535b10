from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

if TYPE_CHECKING:
    from django.contrib.auth.models import User

register = template.Library()


@register.filter
def person(user: User | None, fallback: str = "—") -> str:
    """A user's full name, or username; `fallback` when there is nobody."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()
