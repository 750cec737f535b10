"""POST /api/v1/auth/token/ issues the caller's API token; DELETE revokes it. Sign-in failures
count towards the lockout shared with the sign-in page (config.signin)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from config.authentication import token_expired, token_expires_at
from config.parsers import AccordJSONParser
from config.roles import accord_user
from config.signin import (
    client_address,
    lockout_message,
    signin_locked_until,
    signin_refused_log,
    signin_success_record,
)


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the token stops working (null: never)."
    )


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for your API token (the same one until it expires or
    you revoke it)."""

    parser_classes = [AccordJSONParser]
    serializer_class = AuthTokenSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sign-in"

    def get_authenticators(self) -> list[BaseAuthentication]:
        # Asking for a token needs no credentials but the password: a stale token sent along
        # must not stand in the way of getting a new one.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[BasePermission]:
        if getattr(self.request, "method", None) == "POST":
            return []
        return [permissions.IsAuthenticated()]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: TokenSerializer},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        address = client_address(request)
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if isinstance(username, str) and username:
            until = signin_locked_until(username=username, address=address)
            if until is not None:
                signin_refused_log(username=username, address=address, until=until)
                wait = (until - timezone.now()).total_seconds()
                raise exceptions.Throttled(wait=wait, detail=lockout_message(until))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        signin_success_record(username=user.get_username(), address=address)
        token, _ = Token.objects.get_or_create(user=user)
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        issued = {"token": token.key, "expires_at": token_expires_at(token)}
        return Response(TokenSerializer(issued).data)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Your token no longer works.")},
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Revoke your API token (signed in with it or with a session); the next POST issues a
        new one."""
        Token.objects.filter(user=accord_user(request)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
