"""The private calendar feeds: every upcoming date a person may read, as RFC 5545 (iCalendar)
that Outlook and Google Calendar subscribe to. Built from `due_items`, like the desk and the
reminders, so the three never disagree."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from icalendar import Calendar, Event

from config.dates import minus_days, plus_days
from config.history import HistoryEntry, history_entries
from config.reminders.models import ReminderSettings
from config.reminders.selectors import DueItem, due_items
from config.roles import has_any_role

FEED_PAST_DAYS = 30
FEED_AHEAD_DAYS = 730
# What `secrets.token_urlsafe(32)` makes: 43 URL-safe characters.
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def feed_user(token: str) -> User | None:
    """The active user with a role whose calendar URL carries `token`, or None. The lookup is
    by the unique column, so no comparison leaks how much of a token was right."""
    if not FEED_TOKEN.fullmatch(token):
        return None
    found = (
        ReminderSettings.objects.filter(feed_token=token, user__is_active=True)
        .select_related("user")
        .first()
    )
    if found is None or not has_any_role(found.user):
        return None
    return found.user


def feed_path(token: str, partner_id: int | None = None) -> str:
    if partner_id is None:
        return reverse("reminder-feed", kwargs={"token": token})
    return reverse("reminder-partner-feed", kwargs={"token": token, "partner_id": partner_id})


def feed_window(today: date) -> tuple[date | None, date | None]:
    return minus_days(today, FEED_PAST_DAYS), plus_days(today, FEED_AHEAD_DAYS)


def _uid_domain() -> str:
    return urlsplit(settings.ACCORD_BASE_URL).hostname or "accord"


def _event(item: DueItem, *, stamp: datetime, domain: str) -> Event:
    wording = item.wording
    link = f"{settings.ACCORD_BASE_URL}{item.url}"
    event = Event()
    event.add("uid", f"{item.uid}@{domain}")
    event.add("dtstamp", stamp)
    event.add("dtstart", item.due_on)
    event.add("dtend", item.due_on + timedelta(days=1))
    event.add("summary", f"{item.kind.label}: {wording.subject}")
    lines = [wording.sentence, wording.why, f"What settles it: {wording.action}."]
    if wording.partners:
        lines.append(f"Partners: {', '.join(wording.partners)}.")
    lines.append(link)
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("categories", [item.kind.label])
    event.add("transp", "TRANSPARENT")
    return event


def feed_calendar(items: list[DueItem], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Accord//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc", "Deadlines from Accord: expiries, notice deadlines, reviews.")
    # Calendar clients poll; suggest a few times a day.
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    stamp = datetime.now(UTC).replace(microsecond=0)
    domain = _uid_domain()
    for item in items:
        calendar.add_component(_event(item, stamp=stamp, domain=domain))
    body: bytes = calendar.to_ical()
    return body


def user_feed(user: User, *, today: date, partner_id: int | None = None) -> list[DueItem]:
    start, end = feed_window(today)
    return due_items(user, start=start, end=end, partner_id=partner_id)


def feed_history(record: ReminderSettings) -> list[HistoryEntry]:
    """The settings' history, with calendar tokens never shown: a reset reads as one."""
    entries = history_entries(record)
    for entry in entries:
        for index, change in enumerate(entry.changes):
            if change.field == "feed_token":
                entry.changes[index] = type(change)(
                    field=change.field,
                    label="Calendar URL",
                    old="(previous URL)" if change.old != "—" else "—",
                    new="(new URL)" if entry.action != "created" else "(set)",
                )
    return entries
