"""What is due, for a person or a partner: the desk, the inbox and the calendar feed read
these, and the scan reads the same kinds, so they never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from config.reminders.models import Reminder
from config.reminders.registry import DeadlineKind, Row, Wording, get_kind, kinds
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
    return rows


def _loaded(kind: DeadlineKind, records: QuerySet[Any]) -> list[Any]:
    """What describe() and url() of `kind` receive for each of `records`: rows of the kind's
    columns when it declares them (one query, partners joined in), else the records with the
    kind's select_related and prefetches."""
    if kind.columns:
        return kind_rows(kind, records)
    if kind.related:
        records = records.select_related(*kind.related)
    if kind.prefetch:
        records = records.prefetch_related(*kind.prefetch)
    return list(records)


def kind_rows(kind: DeadlineKind, records: QuerySet[Any]) -> list[Row]:
    """One query: each record's declared columns, its date as "due_on" and its partners'
    names as "partners", in the database's order of names (as the records' own relations
    list them). A record with several partners comes back as several database rows, folded
    here into one."""
    names = kind.partner_names_path
    lookups = list(dict.fromkeys(["pk", kind.date_field, *kind.columns.values(), names or "pk"]))
    at = {lookup: index for index, lookup in enumerate(lookups)}
    columns = [(name, at[lookup]) for name, lookup in kind.columns.items()]
    date_at, names_at = at[kind.date_field], at[names or "pk"]
    values = records.values_list(*lookups).order_by(*([names] if names else []))
    found: dict[int, dict[str, Any]] = {}
    partners: dict[int, list[str]] = {}
    for value in values:
        pk = value[0]
        if pk not in found:
            row = {name: value[index] for name, index in columns}
            row["pk"], row["due_on"] = pk, value[date_at]
            found[pk], partners[pk] = row, []
        if names and value[names_at] is not None:
            partners[pk].append(value[names_at])
    for pk, row in found.items():
        row["partners"] = tuple(partners[pk])
    return list(found.values())


def due_subjects(
    user: User | None,
    *,
    start: date | None,
    end: date | None,
    partner_id: int | None = None,
    kind_codes: list[str] | None = None,
) -> list[tuple[DeadlineKind, Any]]:
    """What `due_items` words, unsorted: each kind's subjects within [start, end] that `user`
    may read, as describe() receives them. One query per kind (plus the prefetches of a kind
    without columns), whatever the number of records."""
    found: list[tuple[DeadlineKind, Any]] = []
    for kind in kinds():
        if kind_codes is not None and kind.code not in kind_codes:
            continue
        records = kind_subjects(kind, user=user, start=start, end=end, partner_id=partner_id)
        found.extend((kind, subject) for subject in _loaded(kind, records))
    return found


def due_item(kind: DeadlineKind, subject: Any) -> DueItem:
    """One subject of `kind` (as `due_subjects` gives it), worded."""
    if kind.columns:
        subject_id, due_on = subject["pk"], subject["due_on"]
    else:
        subject_id, due_on = subject.pk, getattr(subject, kind.date_field)
    return DueItem(
        kind=kind,
        subject_id=subject_id,
        due_on=due_on,
        wording=kind.describe(subject, due_on),
        url=kind.url(subject),
        subject=subject,
    )


def due_items(
    user: User | None,
    *,
    start: date | None,
    end: date | None,
    partner_id: int | None = None,
    kind_codes: list[str] | None = None,
) -> list[DueItem]:
    """Every dated obligation within [start, end] that `user` may read, soonest first."""
    found = due_subjects(user, start=start, end=end, partner_id=partner_id, kind_codes=kind_codes)
    items = [due_item(kind, subject) for kind, subject in found]
    items.sort(key=lambda item: (item.due_on, item.kind.code, item.subject_id))
    return items


def reminder_subjects(reminders: list[Reminder]) -> dict[tuple[str, int], Any]:
    """The records behind ledger rows (rows for kinds with columns), one query per kind."""
    wanted: dict[str, set[int]] = {}
    for reminder in reminders:
        wanted.setdefault(reminder.kind, set()).add(reminder.subject_id)
    found: dict[tuple[str, int], Any] = {}
    for code, ids in wanted.items():
        kind = get_kind(code)
        if kind is None:
            continue
        records = kind.model()._default_manager.filter(pk__in=ids)
        for subject in _loaded(kind, records):
            found[(code, subject["pk"] if kind.columns else subject.pk)] = subject
    return found


def can_retry_reminders(user: AnyUser) -> bool:
    """Sending a failed reminder again is the administrators' call (they see why it failed)."""
    return is_administrator(user)
