"""The reminder pages: the inbox, personal settings, the rules, and the calendar feed."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.display import day
from config.forms import keep_typed
from config.history import history_entries
from config.reminders import services
from config.reminders.feed import (
    feed_body,
    feed_history,
    feed_path,
    feed_user,
)
from config.reminders.forms import ReminderRuleForm, ReminderSettingsForm, SnoozeForm
from config.reminders.inbox import (
    InboxState,
    inbox_entries,
    inbox_reminders,
    reminder_for_user,
    with_history,
)
from config.reminders.models import ReminderRule, ReminderSettings
from config.reminders.registry import Recipient, get_kind
from config.reminders.rules import can_edit_reminder_rules, reminder_rule_update, rules_by_kind
from config.roles import accord_user
from config.views import role_required, run_service

INBOX_PAGE_SIZE = 200


@role_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        state = InboxState(request.GET.get("state") or InboxState.OPEN)
    except ValueError:
        state = InboxState.OPEN
    rows = list(inbox_reminders(request.user, today=today, state=state)[:INBOX_PAGE_SIZE])
    context = {
        "entries": with_history(inbox_entries(rows, today=today)),
        "state": state,
        "states": list(InboxState),
        "today": today,
        "snooze_form": SnoozeForm(),
        "truncated": len(rows) == INBOX_PAGE_SIZE,
    }
    return render(request, "reminders/inbox.html", context)


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    state = request.POST.get("state", "")
    target = redirect("reminder-inbox")
    if state in InboxState.__members__.values():
        target["Location"] += f"?state={state}"
    return target


@role_required
@require_POST
def acknowledge_action(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = reminder_for_user(request.user, pk, today=timezone.localdate())
    services.reminder_acknowledge(by=accord_user(request), reminder=reminder)
    messages.success(request, "Reminder acknowledged.")
    return _back_to_inbox(request)


@role_required
@require_POST
def snooze_action(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = reminder_for_user(request.user, pk, today=timezone.localdate())
    form = SnoozeForm(request.POST)
    if form.is_valid():
        snoozed = run_service(
            request,
            form,
            lambda: services.reminder_snooze(
                by=accord_user(request), reminder=reminder, until=form.cleaned_data["until"]
            ),
        )
        if snoozed is not None and snoozed.snoozed_until is not None:
            messages.success(request, f"Snoozed until {day(snoozed.snoozed_until)}.")
            return _back_to_inbox(request)
    problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
    messages.error(request, f"Not snoozed: {problems}")
    response = _back_to_inbox(request)
    return response


def _settings_context(request: HttpRequest, record: ReminderSettings) -> dict[str, object]:
    return {
        "record": record,
        "feed_url": request.build_absolute_uri(feed_path(record.feed_token)),
        "history": feed_history(record),
    }


@role_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    user = accord_user(request)
    record = services.reminder_settings_for(user)
    initial = {"delivery": record.delivery, "muted_kinds": record.muted_kinds}
    form = ReminderSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            form,
            lambda: services.reminder_settings_update(
                by=user,
                delivery=form.cleaned_data["delivery"],
                muted_kinds=form.cleaned_data["muted_kinds"],
            ),
        )
        if saved is not None:
            messages.success(request, "Reminder settings saved.")
            return redirect("reminder-settings")
    context = {"form": form, **_settings_context(request, record)}
    return render(request, "reminders/settings.html", context)


@role_required
@require_POST
def feed_reset_action(request: HttpRequest) -> HttpResponse:
    services.reminder_feed_reset(by=accord_user(request))
    messages.success(
        request, "Your calendar URL was reset: subscribe to the new one; the old one is gone."
    )
    return redirect("reminder-settings")


@role_required
@require_GET
def rules_page(request: HttpRequest) -> HttpResponse:
    rules = rules_by_kind()
    rows = [
        {
            "rule": rule,
            "kind": kind,
            "recipients": [Recipient(r).label for r in rule.recipients],
        }
        for code, rule in sorted(rules.items())
        if (kind := get_kind(code)) is not None
    ]
    context = {"rows": rows, "can_edit": can_edit_reminder_rules(request.user)}
    return render(request, "reminders/rule_list.html", context)


@role_required
@require_http_methods(["GET", "POST"])
def rule_page(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(ReminderRule, pk=pk)
    kind = get_kind(rule.kind)
    if kind is None:
        raise Http404("No such deadline kind.")
    can_edit = can_edit_reminder_rules(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only managers change reminder rules.")
    form = ReminderRuleForm(request.POST or None, rule=rule) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            request,
            form,
            lambda: reminder_rule_update(
                by=accord_user(request),
                rule=ReminderRule.objects.get(pk=pk),
                enabled=data["enabled"],
                lead_days=data["lead_days"],
                recipients=data["recipients"],
                escalate=data["escalate"],
                escalate_after_days=data["escalate_after_days"],
                version=data["version"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Reminder rule “{kind.label}” saved.")
            return redirect("reminder-rule-detail", pk=pk)
        if getattr(form, "stale", False):
            rule = ReminderRule.objects.get(pk=pk)
            form = keep_typed(form, ReminderRuleForm(rule=rule))
    context = {
        "rule": rule,
        "kind": kind,
        "form": form,
        "recipients": [Recipient(r).label for r in rule.recipients],
        "history": history_entries(rule),
    }
    return render(request, "reminders/rule_detail.html", context)


def calendar_response(body: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # The URL is a credential: never cached by a shared cache, never sent as a Referer.
    response["Cache-Control"] = "private, max-age=900"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def feed_owner(token: str) -> User:
    user = feed_user(token)
    if user is None:
        raise Http404("No such calendar.")
    return user


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """Everything the token's owner may read that falls due from a month ago to two years
    ahead, as all-day events."""
    user = feed_owner(token)
    today: date = timezone.localdate()
    name = f"Accord — {user.get_full_name() or user.get_username()}"
    return calendar_response(feed_body(user, today=today, name=name), filename="accord.ics")
