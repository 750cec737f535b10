from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, Concatenate

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django.views.defaults import page_not_found

from config.errors import DomainError, StaleVersionError
from config.models import WorkerHeartbeat
from config.roles import has_any_role


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("partner-list")


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: database reachable, and when a worker was last seen."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not swallowed: it is the answer
        database = f"error: {error.__class__.__name__}"
    heartbeat = WorkerHeartbeat.objects.order_by("-seen_at").first() if database == "ok" else None
    stale_after = timedelta(seconds=settings.ACCORD_HEARTBEAT_STALE_AFTER_SECONDS)
    worker = {
        "last_seen": heartbeat.seen_at.isoformat() if heartbeat else None,
        "fresh": bool(heartbeat and timezone.now() - heartbeat.seen_at <= stale_after),
    }
    return JsonResponse(
        {"database": database, "worker": worker},
        status=200 if database == "ok" else 503,
    )


def role_required[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """Signed in, and holding a role in Accord (or an administrator); else 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if not has_any_role(request.user):
            raise PermissionDenied(
                "Your account has no role in Accord; ask an administrator to assign one."
            )
        return view(request, *args, **kwargs)

    return wrapper


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API addresses answer 404 in JSON like every other API error; pages get the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def run_service[T](request: HttpRequest, form: Any, call: Callable[[], T]) -> T | None:
    """Call a service for a valid form and translate what it refuses into the form: field
    errors onto their fields, a stale version into a message (the caller shows a fresh form).
    Returns the service's result, or None when it refused."""
    try:
        return call()
    except StaleVersionError as error:
        messages.error(request, error.message)
        form.stale = True
    except ValidationError as error:
        _add_errors(
            form, error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        )
    except DomainError as error:
        _add_errors(form, error.field_errors or {None: [error.message]})
    return None


def _add_errors(form: Any, errors: dict[Any, list[str]]) -> None:
    for name, messages_ in errors.items():
        target = name if name in form.fields else None
        for message in messages_:
            form.add_error(target, message if target else f"{name}: {message}" if name else message)


def without_blanks(query: QueryDict) -> QueryDict:
    """A select's "any" option sends an empty value: that means no filter, not a bad one."""
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [value for value in values if value.strip()]
        if kept:
            cleaned.setlist(key, kept)
    return cleaned
