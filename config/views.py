from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, Concatenate

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.defaults import page_not_found
from django.views.defaults import permission_denied as django_permission_denied

from config.desk import desk_page
from config.errors import DomainError, StaleVersionError
from config.forms import SignInForm, typed_values
from config.middleware import DATABASE_UNAVAILABLE, database_unavailable
from config.models import WorkerHeartbeat
from config.roles import has_any_role

logger = logging.getLogger("accord.errors")


def home(request: HttpRequest) -> HttpResponse:
    """The page after sign-in: the person's desk."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not has_any_role(request.user):
        return no_role(request)
    return desk_page(request)


class SignInView(auth_views.LoginView):
    """Django's sign-in page with the lockout: a locked-out attempt answers 429 with the form
    and a message saying when to try again."""

    authentication_form = SignInForm

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.locked_out:
            response.status_code = 429
        return response


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: database reachable, and when a worker was last seen."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError as error:  # reported, not swallowed: it is the answer
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
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R | HttpResponse:
        if not has_any_role(request.user):
            return no_role(request)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # the no-role page is a plain HttpResponse


def no_role(request: HttpRequest) -> HttpResponse:
    """Signed in, but without a role: say so and whom to ask, instead of a page of 403s."""
    administrators = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("last_name", "first_name", "username")
        .only("username", "first_name", "last_name", "email")
    )
    return render(request, "no_role.html", {"administrators": administrators}, status=403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API addresses answer 404 in JSON like every other API error; pages get the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        detail = str(exception) or "You do not have the right to do this."
        return JsonResponse({"detail": detail}, status=403)
    return django_permission_denied(request, exception)


SERVER_ERROR = (
    "Server error. It was logged; try again, and tell an administrator if it happens again."
)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django has logged the exception already. The page is rendered without the request, so
    neither a context processor nor the user's session can fail a second time."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        # The database failed outside a view (saving the session, say): still "try again".
        return database_unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": SERVER_ERROR}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted from a page that was open too long (or from another site)."""
    logger.warning("CSRF check failed for %s %s: %s", request.method, request.path, reason)
    exception = PermissionDenied(
        "This form has expired or did not come from Accord. Reload the page and try again."
    )
    return permission_denied(request, exception)


def run_service[T](request: HttpRequest, form: Any, call: Callable[[], T]) -> T | None:
    """Call a service for a valid form and translate what it refuses into the form: field
    errors onto their fields, a stale version into a message and `form.stale_values` (the
    caller shows a fresh form through `keep_typed`, so what was typed stays on the page).
    Returns the service's result, or None when it refused."""
    try:
        return call()
    except StaleVersionError as error:
        messages.error(request, error.message)
        form.stale = True
        form.stale_values = typed_values(form)
    except ValidationError as error:
        _add_errors(
            form, error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        )
    except DomainError as error:
        _add_errors(form, error.field_errors or {None: [error.message]})
    return None


def run_confirmed(request: HttpRequest, form: Any, call: Callable[[], object]) -> bool:
    """A confirmed step (a removal with its reason): the confirmation form was posted and is
    valid, and the service took it; what it refuses lands in the form."""
    if request.method != "POST" or not form.is_valid():
        return False

    def attempt() -> bool:
        call()
        return True

    return run_service(request, form, attempt) is not None


def is_htmx(request: HttpRequest) -> bool:
    """The request came from htmx (django-htmx's `request.htmx`, typed)."""
    return request.headers.get("HX-Request") == "true"


def _add_errors(form: Any, errors: dict[Any, list[str]]) -> None:
    for name, messages_ in errors.items():
        target = name if name in form.fields else None
        for message in messages_:
            form.add_error(target, message if target else f"{name}: {message}" if name else message)


def wants_fragment(request: HttpRequest) -> bool:
    """An HTMX request for part of a list page (a filter changed). A history restore (Back
    after the cache let go of the page) gets the whole page, built from the URL."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "history_restore_request", False)


def list_page(
    request: HttpRequest, *, page: str, fragment: str, context: dict[str, Any]
) -> HttpResponse:
    """A list page, or only its table for an HTMX filter change. The two answers share one
    URL, so the response varies on HX-Request: Back must not get the cached table alone."""
    template = fragment if wants_fragment(request) else page
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def without_blanks(query: QueryDict) -> QueryDict:
    """A select's "any" option sends an empty value: that means no filter, not a bad one."""
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [value for value in values if value.strip()]
        if kept:
            cleaned.setlist(key, kept)
    return cleaned
