from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def person(user: Any, fallback: str = "—") -> str:
    """A user's full name, or username; `fallback` when there is nobody."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()
