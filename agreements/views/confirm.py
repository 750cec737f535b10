"""One confirmation step for every removal: a page that says what happens, asks for the reason,
and calls the service with it; what the service refuses lands on the same page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agreements.forms import ReasonForm
from config.roles import accord_user
from config.views import run_confirmed


def confirmed_removal(
    request: HttpRequest,
    *,
    remove: Callable[[User, str], object],
    done: str,
    then: str,
    page: dict[str, Any],
) -> HttpResponse:
    """`remove(by, reason)` once confirmed, then `done` as a message and a redirect to `then`;
    until then `agreements/confirm.html` with `page` (heading, explanation, submit, cancel, and
    the record the page is about)."""
    form = ReasonForm(request.POST or None)
    if run_confirmed(
        request, form, lambda: remove(accord_user(request), form.cleaned_data["reason"])
    ):
        messages.success(request, done)
        return redirect(then)
    context = {**page, "form": form, "action": request.path}
    return render(request, "agreements/confirm.html", context, status=400 if form.errors else 200)
