"""What is due, for a person or a partner: the desk, the inbox and the calendar feed read
these, and the scan reads the same kinds, so they never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from config.reminders.models import Reminder
from config.reminders.registry import DeadlineKind, Wording, get_kind, kinds
from config.roles import AnyUser, is_administrator


@dataclass(frozen=True)
class DueItem:
    """One dated obligation as a person sees it."""

    kind: DeadlineKind
    subject_id: int
    due_on: date
    wording: Wording
    url: str
    subject: Any

    def days_left(self, today: date) -> int:
        return (self.due_on - today).days

    @property
    def uid(self) -> str:
        """Stable across feeds and runs: the calendar entry of this date of this record."""
        return f"{self.kind.code}-{self.subject_id}-{self.due_on:%Y%m%d}"


def kind_subjects(
    kind: DeadlineKind,
    *,
    user: User | None,
    start: date | None,
    end: date | None,
    partner_id: int | None = None,
) -> QuerySet[Any]:
    """The records of one kind dated within [start, end] that `user` may read (all if None)."""
    rows = kind.subjects()
    if start is not None:
        rows = rows.filter(**{f"{kind.date_field}__gte": start})
    if end is not None:
        rows = rows.filter(**{f"{kind.date_field}__lte": end})
    if user is not None:
        rows = rows.filter(pk__in=kind.visible_to(user).values("pk"))
    if partner_id is not None and kind.partner_path:
        rows = rows.filter(
            pk__in=kind.subjects().filter(**{kind.partner_path: partner_id}).values("pk")
        )
    if kind.related:
        rows = rows.select_related(*kind.related)
    if kind.prefetch:
        rows = rows.prefetch_related(*kind.prefetch)
    return rows


def due_items(
    user: User | None,
    *,
    start: date | None,
    end: date | None,
    partner_id: int | None = None,
    kind_codes: list[str] | None = None,
) -> list[DueItem]:
    """Every dated obligation within [start, end] that `user` may read, soonest first.
    One query per kind (plus its prefetches), whatever the number of records."""
    items: list[DueItem] = []
    for kind in kinds():
        if kind_codes is not None and kind.code not in kind_codes:
            continue
        for subject in kind_subjects(kind, user=user, start=start, end=end, partner_id=partner_id):
            due_on = getattr(subject, kind.date_field)
            items.append(
                DueItem(
                    kind=kind,
                    subject_id=subject.pk,
                    due_on=due_on,
                    wording=kind.describe(subject, due_on),
                    url=kind.url(subject),
                    subject=subject,
                )
            )
    items.sort(key=lambda item: (item.due_on, item.kind.code, item.subject_id))
    return items


def reminder_subjects(reminders: list[Reminder]) -> dict[tuple[str, int], Any]:
    """The records behind ledger rows, one query per kind."""
    wanted: dict[str, set[int]] = {}
    for reminder in reminders:
        wanted.setdefault(reminder.kind, set()).add(reminder.subject_id)
    found: dict[tuple[str, int], Any] = {}
    for code, ids in wanted.items():
        kind = get_kind(code)
        if kind is None:
            continue
        rows = kind.model()._default_manager.filter(pk__in=ids)
        if kind.related:
            rows = rows.select_related(*kind.related)
        if kind.prefetch:
            rows = rows.prefetch_related(*kind.prefetch)
        for subject in rows:
            found[(code, subject.pk)] = subject
    return found


def can_retry_reminders(user: AnyUser) -> bool:
    """Sending a failed reminder again is the administrators' call (they see why it failed)."""
    return is_administrator(user)
