"""Sign-in lockout: too many failed sign-ins for one username from one address lock that pair
out for a while. The sign-in page, the admin's and the API token endpoint all consult it before
they check a password, so a locked-out pair learns nothing about the password it tries."""

from __future__ import annotations

import ipaddress
import logging
import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from config.models import SignInFailure

logger = logging.getLogger("accord.signin")


UNKNOWN_ADDRESS = "0.0.0.0"


def client_address(request: HttpRequest) -> str:
    """The client's address as DRF's throttles see it (ACCORD_NUM_PROXIES decides whether
    X-Forwarded-For is believed), so the throttle and the lockout count the same client.
    Without a usable one (a garbled proxy header), clients share one "unknown" address."""
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address(ident or ""))
    except ValueError:
        return UNKNOWN_ADDRESS


def _normalized(username: str) -> str:
    return username.strip().lower()[:150]


def _window() -> timedelta:
    return timedelta(minutes=settings.ACCORD_SIGNIN_LOCKOUT_MINUTES)


def signin_locked_until(
    *, username: str, address: str, now: datetime | None = None
) -> datetime | None:
    """When the lockout of this username from this address ends, or None if it is not locked."""
    now = now or timezone.now()
    limit = settings.ACCORD_SIGNIN_MAX_FAILURES
    recent = list(
        SignInFailure.objects.filter(
            username=_normalized(username), address=address, at__gt=now - _window()
        )
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    # Locked until the oldest of the last `limit` failures leaves the window.
    return recent[-1] + _window()


def lockout_message(until: datetime, *, now: datetime | None = None) -> str:
    minutes = max(1, math.ceil((until - (now or timezone.now())).total_seconds() / 60))
    return (
        "Too many failed sign-ins for this username from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
        "or ask an administrator to reset your password."
    )


def signin_failure_record(*, username: str, address: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    SignInFailure.objects.filter(at__lte=now - _window()).delete()
    SignInFailure.objects.create(username=_normalized(username), address=address, at=now)
    logger.warning("Sign-in failed for username %r from %s", username, address)


def signin_success_record(*, username: str, address: str) -> None:
    SignInFailure.objects.filter(username=_normalized(username), address=address).delete()


def signin_refused_log(*, username: str, address: str, until: datetime) -> None:
    logger.warning(
        "Sign-in refused for username %r from %s: locked out until %s",
        username,
        address,
        until.isoformat(timespec="seconds"),
    )


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = credentials.get("username")
    if request is None or not isinstance(username, str) or not username:
        return  # not a sign-in through one of Accord's doors (a test's client.login, a shell)
    signin_failure_record(username=username, address=client_address(request))


def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        signin_success_record(username=user.get_username(), address=client_address(request))


def connect_signals() -> None:
    user_login_failed.connect(_on_login_failed, dispatch_uid="accord-signin-failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="accord-signin-succeeded")
