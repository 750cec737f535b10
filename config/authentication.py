"""API token authentication with an expiry (ACCORD_API_TOKEN_TTL_HOURS)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expires_at(token: Token) -> datetime | None:
    hours = settings.ACCORD_API_TOKEN_TTL_HOURS
    return token.created + timedelta(hours=hours) if hours else None


def token_expired(token: Token, *, now: datetime | None = None) -> bool:
    expires_at = token_expires_at(token)
    return expires_at is not None and (now or timezone.now()) >= expires_at


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>`, refused once the token is older than its lifetime.
    Being first in the list, its `WWW-Authenticate: Token` makes anonymous calls answer 401."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                "This token has expired. Ask for a new one with POST /api/v1/auth/token/."
            )
        return user, token
