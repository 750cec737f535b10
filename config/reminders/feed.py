"""The private calendar feeds: every upcoming date a person may read, as RFC 5545 (iCalendar)
that Outlook and Google Calendar subscribe to. Built from `due_items`, like the desk and the
reminders, so the three never disagree."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from threading import Lock
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from icalendar import Calendar, Event

from config.dates import minus_days, plus_days
from config.history import HistoryEntry, history_entries
from config.reminders.models import ReminderSettings
from config.reminders.registry import DeadlineKind, Row
from config.reminders.selectors import DueItem, due_item, due_items, due_subjects
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


@dataclass(frozen=True)
class _EventContent:
    """Everything a calendar entry says (all but its DTSTAMP): equal content, equal bytes."""

    uid: str
    due_on: date
    summary: str
    description: str
    url: str
    category: str


def _content(item: DueItem, *, domain: str) -> _EventContent:
    wording = item.wording
    link = f"{settings.ACCORD_BASE_URL}{item.url}"
    lines = [wording.sentence, wording.why, f"What settles it: {wording.action}."]
    if wording.partners:
        lines.append(f"Partners: {', '.join(wording.partners)}.")
    lines.append(link)
    return _EventContent(
        uid=f"{item.uid}@{domain}",
        due_on=item.due_on,
        summary=f"{item.kind.label}: {wording.subject}",
        description="\n".join(lines),
        url=link,
        category=item.kind.label,
    )


def _event(content: _EventContent, *, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", content.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", content.due_on)
    event.add("dtend", content.due_on + timedelta(days=1))
    event.add("summary", content.summary)
    event.add("description", content.description)
    event.add("url", content.url)
    event.add("categories", [content.category])
    event.add("transp", "TRANSPARENT")
    return event


def _vevent(content: _EventContent, *, stamp: datetime) -> bytes:
    """The entry's lines as icalendar writes them (escaping, folding, property order)."""
    rendered: bytes = _event(content, stamp=stamp).to_ical()
    return rendered


class _RenderedEvents:
    """VEVENTs already serialised: a feed is polled every few hours and its entries rarely
    change. Keyed by everything the entry is made of — its content, or for a kind read as rows,
    the row's values and what else the wording reads (base URL, time zone, script prefix) —
    so a changed record is a new key, never a stale entry. Bounded, least recently used out
    first; per process, like the code itself (nothing in it is secret beyond what the feed
    already shows its owner). Which entries a feed lists is decided by the query of each
    request, never here. The DTSTAMP kept is the time the content was first rendered, which
    RFC 5545 allows: the entry has not changed since."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rendered: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._rendered.get(key)
            if found is not None:
                self._rendered.move_to_end(key)
                return found
        rendered = render()
        with self._lock:
            self._rendered[key] = rendered
            while len(self._rendered) > self.size:
                self._rendered.popitem(last=False)
        return rendered

    def clear(self) -> None:
        with self._lock:
            self._rendered.clear()


RENDERED_EVENTS = _RenderedEvents(size=60_000)
_END = b"END:VCALENDAR\r\n"


def _calendar(events: list[bytes], *, name: str) -> bytes:
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
    # icalendar writes the calendar's own lines; each event's lines come from icalendar too,
    # rendered once per content and spliced in where `add_component` would have put them.
    head: bytes = calendar.to_ical()
    if not head.endswith(_END):
        raise RuntimeError("icalendar no longer ends a calendar with END:VCALENDAR.")
    return b"".join([head[: -len(_END)], *events, _END])


def _stamp() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def feed_calendar(items: list[DueItem], *, name: str) -> bytes:
    """The calendar of `items`, in their order."""
    stamp, domain = _stamp(), _uid_domain()

    def event(content: _EventContent) -> bytes:
        return RENDERED_EVENTS.get(content, partial(_vevent, content, stamp=stamp))

    return _calendar([event(_content(item, domain=domain)) for item in items], name=name)


def _render_row(kind: DeadlineKind, row: Row, *, domain: str, stamp: datetime) -> bytes:
    return _vevent(_content(due_item(kind, row), domain=domain), stamp=stamp)


def feed_body(user: User, *, today: date, name: str, partner_id: int | None = None) -> bytes:
    """`feed_calendar(user_feed(…))`, byte for byte, without wording what is already written:
    the query of each request decides what the user may read and what is due; an entry
    whose row is unchanged since some feed wrote it is reused as it is."""
    start, end = feed_window(today)
    stamp, domain = _stamp(), _uid_domain()
    scope = (
        settings.ACCORD_BASE_URL,
        domain,
        timezone.get_current_timezone_name(),
        get_script_prefix(),
    )
    entries: list[tuple[date, str, int, bytes]] = []
    for kind, subject in due_subjects(user, start=start, end=end, partner_id=partner_id):
        if kind.columns:
            key: Hashable = (scope, kind.code, *subject.values())
            render = partial(_render_row, kind, subject, domain=domain, stamp=stamp)
            due_on, subject_id = subject["due_on"], subject["pk"]
        else:
            item = due_item(kind, subject)
            key = _content(item, domain=domain)
            render = partial(_vevent, key, stamp=stamp)
            due_on, subject_id = item.due_on, item.subject_id
        entries.append((due_on, kind.code, subject_id, RENDERED_EVENTS.get(key, render)))
    entries.sort(key=lambda entry: entry[:3])
    return _calendar([entry[3] for entry in entries], name=name)


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
