"""Each person's reminders as the inbox and the header show them: their own ledger rows, not
cancelled, about records they may still read, with the kind's wording and link."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from config.display import span_of_days
from config.history import HistoryEntry, history_entries_of
from config.reminders.models import Reminder
from config.reminders.registry import Wording, get_kind, kinds
from config.reminders.selectors import reminder_subjects
from config.roles import AnyUser, reads_everything


class InboxState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"

    @property
    def label(self) -> str:
        return {"open": "Open", "acknowledged": "Acknowledged", "snoozed": "Snoozed"}[self.value]


def _readable(user: AnyUser, *, among: Collection[str] | None = None) -> Q:
    """Rows of registered kinds about records the user may read: one subquery per access
    rule (kinds of one model share theirs, e.g. an agreement's expiry and notice deadline), so
    the whole list (and its count) stays one query. `among` limits it to those kinds (the
    ones the rows at hand are of): each subquery costs ~1-2 ms of Python to build."""
    chosen = [kind for kind in kinds() if among is None or kind.code in among]
    if reads_everything(user):
        return Q(kind__in=[kind.code for kind in chosen])
    assert isinstance(user, User)
    by_rule: dict[Callable[[User], QuerySet[Any]], list[str]] = {}
    for kind in chosen:
        by_rule.setdefault(kind.visible_to, []).append(kind.code)
    allowed = Q(pk__in=[])
    for visible_to, codes in by_rule.items():
        allowed |= Q(kind__in=codes, subject_id__in=visible_to(user).values("pk"))
    return allowed


def inbox_reminders(
    user: AnyUser, *, today: date, state: InboxState | None = None
) -> QuerySet[Reminder]:
    """The user's reminders, soonest first; `state` narrows to open, acknowledged or snoozed."""
    if not user.is_authenticated:
        return Reminder.objects.none()
    rows = _own_reminders(user, today=today, state=state).filter(_readable(user))
    return rows.order_by("due_on", "kind", "subject_id", "-lead_days", "pk")


def _own_reminders(user: AnyUser, *, today: date, state: InboxState | None) -> QuerySet[Reminder]:
    """The user's ledger rows in that state, before the access check."""
    rows = Reminder.objects.filter(recipient_id=user.pk).exclude(status=Reminder.Status.CANCELLED)
    if state is InboxState.ACKNOWLEDGED:
        rows = rows.filter(acknowledged_at__isnull=False)
    elif state is InboxState.SNOOZED:
        rows = rows.filter(acknowledged_at__isnull=True, snoozed_until__gt=today)
    elif state is InboxState.OPEN:
        rows = rows.filter(acknowledged_at__isnull=True).filter(
            Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today)
        )
    return rows


def open_reminder_count(user: AnyUser, *, today: date) -> int:
    """For the header: the count of `inbox_reminders(user, today=today, state=OPEN)`. One
    query for a reader of everything; for anyone else a first query finds which kinds their
    open rows are of (usually none or few), and only those kinds' access subqueries are built
    for the count (a second query, none when they have no open rows)."""
    if not user.is_authenticated:
        return 0
    rows = _own_reminders(user, today=today, state=InboxState.OPEN)
    if reads_everything(user):
        return rows.filter(_readable(user)).count()
    held = set(rows.order_by().values_list("kind", flat=True).distinct())
    if not held:
        return 0
    return rows.filter(_readable(user, among=held)).count()


def reminder_for_user(user: AnyUser, pk: Any, *, today: date) -> Reminder:
    """One of the user's own reminders, or 404 (someone else's answers the same as none)."""
    try:
        number = int(str(pk))
    except ValueError:
        raise Http404("No such reminder.") from None
    found = inbox_reminders(user, today=today).filter(pk=number).first()
    if found is None:
        raise Http404("No such reminder.")
    return found


@dataclass(frozen=True)
class InboxEntry:
    """A ledger row with what it is about, as the inbox shows it."""

    reminder: Reminder
    kind_label: str
    wording: Wording
    url: str
    today: date
    #: What the person did with it (acknowledged, snoozed), newest first; see `with_history`.
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def state(self) -> InboxState:
        if self.reminder.acknowledged_at is not None:
            return InboxState.ACKNOWLEDGED
        snoozed = self.reminder.snoozed_until
        if snoozed is not None and snoozed > self.today:
            return InboxState.SNOOZED
        return InboxState.OPEN

    @property
    def days_left(self) -> int:
        return (self.reminder.due_on - self.today).days

    @property
    def days_overdue(self) -> int:
        return -self.days_left

    @property
    def escalated_after(self) -> int:
        """For an escalation: the days overdue it was sent after."""
        return -self.reminder.lead_days

    @property
    def reminded(self) -> str:
        """What the reminder is, read today: "Due today" only on the day; a reminder on the
        day read later says how long ago; an earlier one says its threshold and, once the
        date has passed, that too."""
        lead = self.reminder.lead_days
        if lead < 0:
            return f"Escalation after {span_of_days(lead)} overdue"
        when = _due_when(self.days_left)
        if lead == 0:
            return when
        before = f"{_days(lead)} before the date"
        return before if self.days_left > 0 else f"{before}; {when[0].lower()}{when[1:]}"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _due_when(days_left: int) -> str:
    if days_left == 0:
        return "Due today"
    if days_left > 0:
        return f"Due in {span_of_days(days_left)}"
    return f"Due {span_of_days(days_left)} ago"


def inbox_entries(reminders: list[Reminder], *, today: date) -> list[InboxEntry]:
    """Wording and link for each row: one query per kind (plus the kind's prefetches). A row
    whose record is gone is left out."""
    subjects = reminder_subjects(reminders)
    entries: list[InboxEntry] = []
    for reminder in reminders:
        kind = get_kind(reminder.kind)
        subject = subjects.get((reminder.kind, reminder.subject_id))
        if kind is None or subject is None:
            continue
        entries.append(
            InboxEntry(
                reminder=reminder,
                kind_label=kind.label,
                wording=kind.describe(subject, reminder.due_on),
                url=kind.url(subject),
                today=today,
            )
        )
    return entries


def with_history(entries: list[InboxEntry]) -> list[InboxEntry]:
    """The entries with what their person did with each: one query for the whole list."""
    found = history_entries_of(Reminder, [entry.reminder.pk for entry in entries])
    return [replace(entry, history=found.get(entry.reminder.pk, [])) for entry in entries]
