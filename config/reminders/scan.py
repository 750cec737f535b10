"""The scan: which reminders are due on a day, written to the ledger once.

Set-based throughout: per kind, one query for the stale rows to cancel, one per recipient role
for the candidates, one for the rows already in the ledger, and one insert. The unique
constraint on the ledger, not a lock, makes a repeated or concurrent scan harmless.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import BigIntegerField, Exists, OuterRef, Q, Value
from django.db.models.constants import OnConflict

from config.dates import minus_days, plus_days
from config.reminders.models import (
    CATCH_UP_DAYS,
    ESCALATION_CATCH_UP_DAYS,
    Reminder,
    ReminderRule,
    ReminderSettings,
)
from config.reminders.registry import ROLE_RECIPIENTS, DeadlineKind, Recipient, kinds
from config.reminders.rules import rules_by_kind
from config.roles import Role

Key = tuple[int, date, int]  # subject, due date, recipient


@dataclass
class ScanResult:
    as_of: date
    armed: int = 0
    cancelled: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"Scan for {self.as_of:%d %B %Y}: {self.armed} reminders armed,"
            f" {self.cancelled} cancelled."
        )


@dataclass(frozen=True)
class _People:
    """Every active user the scan may remind, with what decides whether they get a row."""

    reads_everything: frozenset[int]
    with_role: frozenset[int]
    roles: dict[int, frozenset[str]]
    managers: tuple[int, ...]
    legal_advisors: tuple[int, ...]
    muted: dict[int, frozenset[str]]
    digest: frozenset[int]

    @classmethod
    def load(cls) -> _People:
        roles: dict[int, set[str]] = defaultdict(set)
        staff: set[int] = set()
        for user_id, is_staff, group in User.objects.filter(is_active=True).values_list(
            "pk", "is_staff", "groups__name"
        ):
            if is_staff:
                staff.add(user_id)
            if group in set(Role):
                roles[user_id].add(group)
        everything = staff | {
            uid for uid, names in roles.items() if names & {Role.LEGAL_ADVISOR, Role.MANAGER}
        }
        muted: dict[int, frozenset[str]] = {}
        digest: set[int] = set()
        for user_id, delivery, kinds_muted in ReminderSettings.objects.values_list(
            "user_id", "delivery", "muted_kinds"
        ):
            muted[user_id] = frozenset(kinds_muted or ())
            if delivery == ReminderSettings.Delivery.DIGEST:
                digest.add(user_id)
        return cls(
            reads_everything=frozenset(everything),
            with_role=frozenset(staff | set(roles)),
            roles={uid: frozenset(names) for uid, names in roles.items()},
            managers=tuple(sorted(uid for uid, names in roles.items() if Role.MANAGER in names)),
            legal_advisors=tuple(
                sorted(uid for uid, names in roles.items() if Role.LEGAL_ADVISOR in names)
            ),
            muted=muted,
            digest=frozenset(digest),
        )

    def of_role(self, recipient: Recipient) -> tuple[int, ...]:
        """The people a role-wide recipient stands for."""
        return self.managers if recipient is Recipient.MANAGERS else self.legal_advisors


def latest_threshold(leads: list[int], *, due_on: date, as_of: date) -> int | None:
    """The smallest lead time already reached on `as_of`: a missed run catches up with the
    latest threshold crossed, never with every one. None before the first threshold, and
    once the date is more than CATCH_UP_DAYS behind."""
    days_left = (due_on - as_of).days
    if days_left < -CATCH_UP_DAYS:
        return None
    crossed = [lead for lead in leads if lead >= days_left]
    return min(crossed) if crossed else None


def cancel_stale(kind: DeadlineKind, rule: ReminderRule | None) -> int:
    """Pending reminders of a date the record no longer has (moved, cleared, record closed),
    or of a rule switched off, are cancelled with the reason."""
    pending = Reminder.objects.filter(kind=kind.code, status=Reminder.Status.PENDING)
    if rule is None or not rule.enabled:
        return pending.update(
            status=Reminder.Status.CANCELLED, cancelled_reason="The reminder rule is off."
        )
    current = kind.subjects().filter(
        pk=OuterRef("subject_id"), **{kind.date_field: OuterRef("due_on")}
    )
    return pending.exclude(Exists(current)).update(
        status=Reminder.Status.CANCELLED,
        cancelled_reason="The date changed or no longer applies.",
    )


def _candidates(
    kind: DeadlineKind, rule: ReminderRule, *, as_of: date, people: _People
) -> tuple[dict[Key, int], set[Key]]:
    """(subject, due date, recipient) → the threshold to remind now, before the ledger check;
    and the keys reached through a path that proves the recipient may read the record."""
    leads = sorted(int(lead) for lead in rule.lead_days)
    escalation = rule.escalate_after_days if rule.escalate else None
    back = (
        max(CATCH_UP_DAYS, escalation + ESCALATION_CATCH_UP_DAYS) if escalation else CATCH_UP_DAYS
    )
    earliest = minus_days(as_of, back)
    latest = plus_days(as_of, max(leads, default=0))
    if earliest is None or latest is None:
        return {}, set()
    window = kind.subjects().filter(
        **{f"{kind.date_field}__gte": earliest, f"{kind.date_field}__lte": latest}
    )
    wanted: dict[Key, int] = {}
    granted: set[Key] = set()
    dated: list[tuple[int, date]] = []  # every subject in the window, read once if needed
    thresholds: dict[date, int | None] = {}  # per due date: the same for every subject

    def in_window() -> list[tuple[int, date]]:
        if not dated:
            dated.extend(window.values_list("pk", kind.date_field))
        return dated

    def offer(
        subject_id: int, due_on: date, user_id: int | None, lead: int, *, reads: bool = False
    ) -> None:
        if user_id is None or user_id not in people.with_role:
            return
        if kind.code in people.muted.get(user_id, ()):
            return
        key = (subject_id, due_on, user_id)
        wanted[key] = lead
        if reads:
            granted.add(key)

    for name in rule.recipients:
        recipient = Recipient(name)
        if recipient in ROLE_RECIPIENTS:
            if recipient is not Recipient.MANAGERS and recipient not in kind.role_recipients:
                continue
            rows = [(pk, due, None) for pk, due in in_window()]
        else:
            path = kind.recipient_paths.get(recipient)
            if not path:
                continue
            rows = list(
                window.filter(**{f"{path}__is_active": True})
                .values_list("pk", kind.date_field, path)
                .distinct()
            )
        reads = recipient in kind.path_grants_access
        for subject_id, due_on, user_id in rows:
            if due_on not in thresholds:
                thresholds[due_on] = latest_threshold(leads, due_on=due_on, as_of=as_of)
            lead = thresholds[due_on]
            if lead is None:
                continue
            targets = people.of_role(recipient) if recipient in ROLE_RECIPIENTS else (user_id,)
            for target in targets:
                offer(subject_id, due_on, target, lead, reads=reads)
    if escalation:
        # The window reaches back far enough to hold every subject overdue for escalation.
        overdue_from = minus_days(as_of, escalation + ESCALATION_CATCH_UP_DAYS)
        overdue_to = minus_days(as_of, escalation)
        if overdue_from and overdue_to:
            for subject_id, due_on in in_window():
                if overdue_from <= due_on <= overdue_to:
                    for manager in people.managers:
                        offer(subject_id, due_on, manager, -escalation)
    return wanted, granted


def _readers(user_ids: set[int], people: _People) -> dict[int, User]:
    """The users whose access is limited, loaded once, with their roles already known (so
    `visible_to` asks nothing more about them)."""
    users = User.objects.in_bulk(list(user_ids))
    for user_id, user in users.items():
        user._accord_roles = people.roles.get(user_id, frozenset())  # type: ignore[attr-defined]
    return users


def _readable(
    kind: DeadlineKind, wanted: dict[Key, int], granted: set[Key], people: _People
) -> dict[Key, int]:
    """Drops recipients who may not read the record. Those who read everything, and those
    reached through a path the kind declares as granting access, need no check; for the rest
    (e.g. an owner who left the portfolio) one query, whatever the number of records or of
    such people: each person's access, narrowed to their candidates' dates, united in one
    statement."""
    by_user: dict[int, set[date]] = defaultdict(set)
    for key in wanted:
        if key[2] not in people.reads_everything and key not in granted:
            by_user[key[2]].add(key[1])
    if not by_user:
        return wanted
    users = _readers(set(by_user), people)
    parts = [
        kind.visible_to(user)
        .filter(
            **{
                f"{kind.date_field}__gte": min(by_user[user_id]),
                f"{kind.date_field}__lte": max(by_user[user_id]),
            }
        )
        .order_by()
        .annotate(_reader=Value(user_id, output_field=BigIntegerField()))
        .values_list("pk", "_reader")
        for user_id, user in users.items()
    ]
    allowed: set[tuple[int, int]] = set()
    if parts:
        allowed = (
            set(parts[0].union(*parts[1:], all=True).order_by()) if parts[1:] else set(parts[0])
        )
    return {
        key: lead
        for key, lead in wanted.items()
        if key[2] in people.reads_everything or key in granted or (key[0], key[2]) in allowed
    }


def _in_ledger(wanted: dict[str, dict[Key, int]]) -> dict[str, tuple[dict[Key, int], set[Key]]]:
    """Per kind, the smallest lead time already in the ledger for each (subject, due date,
    recipient), and the keys already escalated: one query for every kind, each narrowed to
    its candidates' dates (the (kind, due_on) index)."""
    windows = Q()
    for code, keys in wanted.items():
        days = [key[1] for key in keys]
        windows |= Q(kind=code, due_on__gte=min(days), due_on__lte=max(days))
    found: dict[str, tuple[dict[Key, int], set[Key]]] = {code: ({}, set()) for code in wanted}
    for code, subject_id, due_on, user_id, lead in (
        Reminder.objects.filter(windows)
        .order_by()
        .values_list("kind", "subject_id", "due_on", "recipient_id", "lead_days")
    ):
        reached, escalated = found[code]
        key = (subject_id, due_on, user_id)
        if lead < 0:
            escalated.add(key)
        elif key not in reached or lead < reached[key]:
            reached[key] = lead
    return found


def _fresh(wanted: dict[Key, int], reached: dict[Key, int], escalated: set[Key]) -> dict[Key, int]:
    """The candidates the ledger does not hold yet: an escalation not yet made, a threshold
    smaller than any already reminded."""
    return {
        key: lead
        for key, lead in wanted.items()
        if (key not in escalated if lead < 0 else (key not in reached or reached[key] > lead))
    }


# What varies from one armed row to the next; every other column is the same for the whole
# batch (the kind, the scan day, the creation time, the defaults of a new row).
_PER_ROW = ("kind", "subject_id", "due_on", "lead_days", "recipient", "digest")


def _insert(fresh: dict[str, dict[Key, int]], *, as_of: date, people: _People) -> int:
    """Writes the new ledger rows in one statement run over all of them, skipping any row the
    unique constraint already holds (a concurrent scan armed it first).

    The same rows `bulk_create(ignore_conflicts=True)` would write, without building a model
    instance and preparing eighteen values per row: the columns that do not vary are prepared
    once from a template row, the dates once per distinct date."""
    if not any(fresh.values()):
        return 0
    ops = connection.ops
    template = Reminder(armed_on=as_of)
    fields = [field for field in Reminder._meta.concrete_fields if not field.primary_key]
    fixed = {
        field.name: field.get_db_prep_save(field.pre_save(template, add=True), connection)
        for field in fields
        if field.name not in _PER_ROW
    }
    dates: dict[date, Any] = {}

    def db_date(day: date) -> Any:
        if day not in dates:
            dates[day] = ops.adapt_datefield_value(day)
        return dates[day]

    base = [fixed.get(field.name) for field in fields]
    at = {field.name: index for index, field in enumerate(fields)}
    kind_at, subject_at, due_at = at["kind"], at["subject_id"], at["due_on"]
    lead_at, recipient_at, digest_at = at["lead_days"], at["recipient"], at["digest"]
    rows = []
    for code, keys in fresh.items():
        for (subject_id, due_on, user_id), lead in sorted(keys.items()):
            row = base.copy()
            row[kind_at] = code
            row[subject_at] = subject_id
            row[due_at] = db_date(due_on)
            row[lead_at] = lead
            row[recipient_at] = user_id
            row[digest_at] = user_id in people.digest
            rows.append(row)
    if not rows:
        return 0
    columns = ", ".join(ops.quote_name(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    conflict = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)}"
        f" {ops.quote_name(Reminder._meta.db_table)} ({columns}) VALUES ({marks}) {conflict}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def scan(*, as_of: date) -> ScanResult:
    """Arm the reminders due on `as_of` and cancel those whose date went away. Safe to run
    twice, for a past day, or in two workers at once.

    Queries per kind: one UPDATE for the stale rows, one per recipient path; then one for the
    ledger and one insert for every kind together (and an access check only for recipients
    whose path does not prove they may read the record)."""
    result = ScanResult(as_of=as_of)
    rules = rules_by_kind()
    people = _People.load()
    wanted: dict[str, dict[Key, int]] = {}
    granted: dict[str, set[Key]] = {}
    for kind in kinds():
        rule = rules.get(kind.code)
        result.cancelled += cancel_stale(kind, rule)
        if rule is not None and rule.enabled:
            result.per_kind[kind.code] = 0
            candidates, granted[kind.code] = _candidates(kind, rule, as_of=as_of, people=people)
            if candidates:
                wanted[kind.code] = candidates
    if not wanted:
        return result
    ledger = _in_ledger(wanted)
    fresh: dict[str, dict[Key, int]] = {}
    for kind in kinds():
        if kind.code in wanted:
            new = _fresh(wanted[kind.code], *ledger[kind.code])
            fresh[kind.code] = _readable(kind, new, granted[kind.code], people)
            result.per_kind[kind.code] = len(fresh[kind.code])
    result.armed = _insert(fresh, as_of=as_of, people=people)
    return result
