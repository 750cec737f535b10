"""The private calendar feeds: every upcoming date a person may read, as RFC 5545 (iCalendar)
that Outlook and Google Calendar subscribe to. Built from `due_items`, like the desk and the
reminders, so the three never disagree."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from threading import Lock
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


def _text(value: str) -> str:
    """An RFC 5545 TEXT value, escaped exactly as icalendar escapes it."""
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


_CONTINUATION = 0x80  # the top bits of a UTF-8 byte inside a character: 10xxxxxx
_ESCAPES = (ord("\\"), ord("^"))


def _folded(line: str) -> bytes:
    """A content line folded as icalendar folds it: at most 74 octets before each CRLF-space,
    never inside a UTF-8 character, and an escaping backslash or caret kept with what follows."""
    data = line.encode()
    pieces, start = [], 0
    while len(data) - start > 74:
        cut = start + 74
        while data[cut] & 0xC0 == _CONTINUATION:
            cut -= 1
        if cut - start > 1 and data[cut - 1] in _ESCAPES:
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def _ical_date(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _vevent(content: _EventContent, *, stamp: datetime) -> bytes:
    """The VEVENT `_event` builds, as icalendar writes it (same properties, canonical order,
    escaping and folding; a test holds the two byte for byte) in a fraction of its time:
    a cold feed of forty thousand dates is written in a second or two, not a minute."""
    if "\r" in content.url or "\n" in content.url:
        raise ValueError(f"A URI value may not contain CR or LF characters: {content.url!r}")
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(content.summary)}",
        f"DTSTART;VALUE=DATE:{_ical_date(content.due_on)}",
        f"DTEND;VALUE=DATE:{_ical_date(content.due_on + timedelta(days=1))}",
        f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"UID:{_text(content.uid)}",
        f"CATEGORIES:{_text(content.category)}",
        f"DESCRIPTION:{_text(content.description)}",
        "TRANSP:TRANSPARENT",
        f"URL:{content.url}",
        "END:VEVENT",
        "",
    ]
    return b"\r\n".join(_folded(line) for line in lines)


class _RenderedEvents:
    """VEVENTs already serialised, by their content: a feed is polled every few hours and its
    entries rarely change. Bounded, least recently used out first; per process, like the code itself (nothing
    in it is secret beyond what the feed already shows its owner, and a key is the content).
    The DTSTAMP kept is the time the content was first rendered, which RFC 5545 allows: the
    entry has not changed since."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rendered: OrderedDict[_EventContent, bytes] = OrderedDict()
        self._lock = Lock()

    def get(self, content: _EventContent, *, stamp: datetime) -> bytes:
        with self._lock:
            found = self._rendered.get(content)
            if found is not None:
                self._rendered.move_to_end(content)
                return found
        rendered = _vevent(content, stamp=stamp)
        with self._lock:
            self._rendered[content] = rendered
            while len(self._rendered) > self.size:
                self._rendered.popitem(last=False)
        return rendered

    def clear(self) -> None:
        with self._lock:
            self._rendered.clear()


RENDERED_EVENTS = _RenderedEvents(size=50_000)
_END = b"END:VCALENDAR\r\n"


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
    # icalendar writes the calendar's own lines; each event's lines are written as icalendar
    # writes them, once per content, and spliced in where `add_component` would put them.
    head: bytes = calendar.to_ical()
    if not head.endswith(_END):
        raise RuntimeError("icalendar no longer ends a calendar with END:VCALENDAR.")
    events = [RENDERED_EVENTS.get(_content(item, domain=domain), stamp=stamp) for item in items]
    return b"".join([head[: -len(_END)], *events, _END])


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
