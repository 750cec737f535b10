"""The scan: which reminders are due on a day, written to the ledger once.

Set-based and inside the database: the stale rows of every kind are cancelled in at most two
UPDATEs; then, per kind and recipient path, one `INSERT … SELECT` whose SELECT is compiled from
the kind's own querysets (the engine knows no kind by name). The SELECT computes the threshold
to remind (a CASE over the rule's lead times), keeps the recipients who may be reminded (active,
with a role, not muting the kind), leaves out what the ledger already holds (NOT EXISTS), and
checks access only for the few recipients whose path does not prove it. The unique constraint
on the ledger, not a lock, makes a repeated or concurrent scan harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
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


@dataclass
class _People:
    """Every active user the scan may remind, with what decides whether they get a row."""

    reads_everything: frozenset[int]
    with_role: frozenset[int]
    roles: dict[int, frozenset[str]]
    managers: tuple[int, ...]
    legal_advisors: tuple[int, ...]
    muted: dict[int, frozenset[str]]
    digest: frozenset[int]
    # Users whose access is checked, loaded once when first needed.
    loaded: dict[int, User] = field(default_factory=dict)

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

    def remindable(self, kind: DeadlineKind, user_ids: Sequence[int] | None = None) -> list[int]:
        """Of `user_ids` (default: everyone active with a role), those who may be reminded of
        `kind`: active, with a role, not muting it."""
        pool = self.with_role if user_ids is None else self.with_role.intersection(user_ids)
        return sorted(uid for uid in pool if kind.code not in self.muted.get(uid, ()))

    def of_role(self, recipient: Recipient) -> tuple[int, ...]:
        """The people a role-wide recipient stands for."""
        return self.managers if recipient is Recipient.MANAGERS else self.legal_advisors

    def users(self, user_ids: set[int]) -> list[User]:
        """The users whose access is limited, with their roles already known (so `visible_to`
        asks nothing more about them); each loaded once per scan."""
        missing = user_ids - set(self.loaded)
        if missing:
            for user_id, user in User.objects.in_bulk(list(missing)).items():
                user._accord_roles = self.roles.get(user_id, frozenset())  # type: ignore[attr-defined]
                self.loaded[user_id] = user
        return [self.loaded[uid] for uid in sorted(user_ids) if uid in self.loaded]


def latest_threshold(leads: list[int], *, due_on: date, as_of: date) -> int | None:
    """The smallest lead time already reached on `as_of`: a missed run catches up with the
    latest threshold crossed, never with every one. None before the first threshold, and
    once the date is more than CATCH_UP_DAYS behind. (The scan computes the same in SQL:
    `_threshold`.)"""
    days_left = (due_on - as_of).days
    if days_left < -CATCH_UP_DAYS:
        return None
    crossed = [lead for lead in leads if lead >= days_left]
    return min(crossed) if crossed else None


def _threshold(due: str, leads: Sequence[int], *, as_of: date) -> tuple[str, list[Any]]:
    """`latest_threshold` in SQL over the date column `due`: the smallest lead L with
    due ≤ as_of + L (the window already leaves out dates more than CATCH_UP_DAYS behind, and
    those no threshold reached yet)."""
    whens, params = [], []
    for lead in sorted(leads):
        day = plus_days(as_of, lead)
        if day is not None:
            whens.append(f"WHEN {due} <= %s THEN {int(lead)}")
            params.append(connection.ops.adapt_datefield_value(day))
    return f"(CASE {' '.join(whens)} END)", params


def _stale(kind: DeadlineKind) -> Q:
    """Pending rows of `kind` whose record no longer has that date (moved, cleared, closed)."""
    current = kind.subjects().filter(
        pk=OuterRef("subject_id"), **{kind.date_field: OuterRef("due_on")}
    )
    return Q(~Exists(current), kind=kind.code)


def _cancel(*, off: list[DeadlineKind], on: list[DeadlineKind]) -> int:
    """Pending reminders of a date the record no longer has (moved, cleared, record closed),
    or of a rule switched off, are cancelled with the reason: one UPDATE for the kinds whose
    rule is off, one for the dates that went away in every other kind."""
    pending = Reminder.objects.filter(status=Reminder.Status.PENDING)
    cancelled = 0
    if off:
        cancelled += pending.filter(kind__in=[kind.code for kind in off]).update(
            status=Reminder.Status.CANCELLED, cancelled_reason="The reminder rule is off."
        )
    if on:
        stale = Q()
        for kind in on:
            stale |= _stale(kind)
        cancelled += pending.filter(stale).update(
            status=Reminder.Status.CANCELLED,
            cancelled_reason="The date changed or no longer applies.",
        )
    return cancelled


@dataclass
class _Insert:
    """The `INSERT … SELECT` of one scan: the statement's head and constant columns, prepared
    once and reused for every kind and recipient path."""

    people: _People
    as_of: date
    head: str = ""
    suffix: str = ""
    fixed: list[Any] = field(default_factory=list)  # prepared values of the constant columns

    def __post_init__(self) -> None:
        ops = connection.ops
        template = Reminder(armed_on=self.as_of)
        fields = [f for f in Reminder._meta.concrete_fields if not f.primary_key]
        prepared = {
            f: f.get_db_prep_save(f.pre_save(template, add=True), connection)
            for f in fields
            if f.name not in _COMPUTED
        }
        # A column left NULL is left out (it is NULL all the same, and PostgreSQL would take
        # an untyped NULL in a SELECT DISTINCT for text).
        constant = [f for f, value in prepared.items() if value is not None]
        self.fixed = [prepared[f] for f in constant]
        columns = [*_COMPUTED.values(), *(str(f.column) for f in constant)]
        self.head = (
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)}"
            f" {ops.quote_name(Reminder._meta.db_table)}"
            f" ({', '.join(ops.quote_name(column) for column in columns)})"
        )
        self.suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)

    def run(
        self,
        kind: DeadlineKind,
        rows: QuerySet[Any],
        *,
        leads: Sequence[int] = (),
        escalate_after: int | None = None,
        users: Sequence[int] | None = None,
        cross: bool = False,
    ) -> int:
        """Arms the rows `rows` selects (subject, due date, and the recipient unless `cross`:
        a role-wide recipient, every row for each of `users`), at the threshold the date
        reached (`_threshold`), or as the escalation `escalate_after` days overdue; only for
        `users` if given. What the ledger already holds is left out: a lead once this or a
        smaller lead was reminded, an escalation once one was made. Returns the number of
        rows written. (User ids are written into the statement as numbers, not parameters:
        they are integers read from the database, and a statement with hundreds of
        parameters costs more to prepare than to run.)"""
        q = connection.ops.quote_name
        inner, inner_params = rows.query.sql_with_params()
        subject, due = f"s.{q(_SUBJECT)}", f"s.{q(_DUE)}"
        lead_params: list[Any] = []
        if escalate_after is not None:
            lead = f"{-int(escalate_after)}"
            reached = "r.lead_days < 0"
        else:
            lead, lead_params = _threshold(due, leads, as_of=self.as_of)
            reached = f"r.lead_days BETWEEN 0 AND {lead}"
        source = f"({inner}) s"
        where: list[str] = []
        where_params: list[Any] = []
        if cross:
            recipient = f"u.{q('id')}"
            source += f" CROSS JOIN {q(User._meta.db_table)} u"
        else:
            recipient = f"s.{q(_USER)}"
        if users is not None:
            where.append(f"{recipient} IN ({_numbers(users)})")
        digest: list[Any] = []
        if self.people.digest:
            digest_sql = f"({recipient} IN ({_numbers(self.people.digest)}))"
        else:
            digest_sql, digest = "%s", [False]
        where.append(
            f"NOT EXISTS (SELECT 1 FROM {q(Reminder._meta.db_table)} r"
            f" WHERE r.kind = %s AND r.subject_id = {subject} AND r.due_on = {due}"
            f" AND r.recipient_id = {recipient} AND {reached})"
        )
        where_params += [kind.code, *lead_params]
        constants = "".join(", %s" for _value in self.fixed)
        # In a fixed order, so two scans at once insert their common rows in the same order.
        sql = (
            f"{self.head} SELECT DISTINCT %s, {subject}, {due}, {lead}, {recipient},"
            f" {digest_sql}{constants} FROM {source} WHERE {' AND '.join(where)}"
            f" ORDER BY {subject}, {due}, {recipient} {self.suffix}"
        )
        params = [kind.code, *lead_params, *digest, *self.fixed, *inner_params, *where_params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return max(int(cursor.rowcount), 0)


def _numbers(ids: Iterable[int]) -> str:
    return ", ".join(str(int(number)) for number in sorted(ids))


# The columns each armed row computes, by the name the inner SELECT gives them; every other
# column is the same for the whole scan (the scan day, the creation time, a new row's defaults).
_SUBJECT, _DUE, _USER = "scan_subject", "scan_due", "scan_user"
_COMPUTED = {
    "kind": "kind",
    "subject_id": "subject_id",
    "due_on": "due_on",
    "lead_days": "lead_days",
    "recipient": "recipient_id",
    "digest": "digest",
}


def _dated(subjects: QuerySet[Any], date_field: str, start: date, end: date) -> QuerySet[Any]:
    """The subjects dated from `start` to `end`."""
    return subjects.filter(**{f"{date_field}__gte": start, f"{date_field}__lte": end})


def _path_condition(
    kind: DeadlineKind,
    recipient: Recipient,
    window: QuerySet[Any],
    people: _People,
    *,
    start: date,
    end: date,
) -> tuple[list[int], Q | None]:
    """Which people on the path are reminded: those who may be, as a list of ids, or, when
    some of them need their access checked, as a condition on the rows. A path the kind
    declares as granting access needs no check; on another, those who read everything need
    none, and the rest (e.g. an owner who left the portfolio) are looked up in one query and
    each checked against the kind's `visible_to`, narrowed to the window, inside the insert."""
    eligible = people.remindable(kind)
    if recipient in kind.path_grants_access or not eligible:
        return eligible, None
    free = [uid for uid in eligible if uid in people.reads_everything]
    limited = [uid for uid in eligible if uid not in people.reads_everything]
    on_path: set[int] = set()
    if limited:
        on_path = set(
            window.filter(**{f"{_USER}__in": limited}).values_list(_USER, flat=True).distinct()
        )
    if not on_path:
        return free, None
    condition = Q(**{f"{_USER}__in": free}) if free else None
    for user in people.users(on_path):
        readable = (
            kind.visible_to(user)
            .filter(**{f"{kind.date_field}__gte": start, f"{kind.date_field}__lte": end})
            .order_by()
            .values("pk")
        )
        part = Q(**{_USER: user.pk}) & Q(pk__in=readable)
        condition = part if condition is None else condition | part
    return [], condition


def _arm(
    kind: DeadlineKind, rule: ReminderRule, *, as_of: date, people: _People, insert: _Insert
) -> int:
    """Writes the reminders of one kind due on `as_of`: one statement per recipient and one
    for the escalation (and, on a path that does not prove access, one query for which of
    its people have limited access)."""
    leads = sorted(int(lead) for lead in rule.lead_days)
    start = minus_days(as_of, CATCH_UP_DAYS)
    end = plus_days(as_of, max(leads, default=0))
    armed = 0
    # The kind's subjects with the columns the insert reads.
    subjects: QuerySet[Any] = (
        kind.subjects().order_by().annotate(**{_SUBJECT: F("pk"), _DUE: F(kind.date_field)})
    )
    if leads and start is not None and end is not None:
        window = _dated(subjects, kind.date_field, start, end)
        for name in rule.recipients:
            recipient = Recipient(name)
            if recipient in ROLE_RECIPIENTS:
                if recipient is not Recipient.MANAGERS and recipient not in kind.role_recipients:
                    continue
                users = people.remindable(kind, people.of_role(recipient))
                if users:
                    rows = window.values(_SUBJECT, _DUE)
                    armed += insert.run(kind, rows, leads=leads, users=users, cross=True)
                continue
            path = kind.recipient_paths.get(recipient)
            if not path:
                continue
            on_path = window.annotate(**{_USER: F(path)})
            users, condition = _path_condition(
                kind, recipient, on_path, people, start=start, end=end
            )
            if condition is not None:
                rows = on_path.filter(condition).values(_SUBJECT, _DUE, _USER)
                armed += insert.run(kind, rows, leads=leads)
            elif users:
                rows = on_path.values(_SUBJECT, _DUE, _USER)
                armed += insert.run(kind, rows, leads=leads, users=users)
    if rule.escalate and rule.escalate_after_days:
        # The managers, once the date is overdue by the delay (catching up for a year).
        delay = int(rule.escalate_after_days)
        overdue_from = minus_days(as_of, delay + ESCALATION_CATCH_UP_DAYS)
        overdue_to = minus_days(as_of, delay)
        managers = people.remindable(kind, people.managers)
        if overdue_from and overdue_to and managers:
            overdue = _dated(subjects, kind.date_field, overdue_from, overdue_to)
            overdue = overdue.values(_SUBJECT, _DUE)
            armed += insert.run(kind, overdue, escalate_after=delay, users=managers, cross=True)
    return armed


def scan(*, as_of: date) -> ScanResult:
    """Arm the reminders due on `as_of` and cancel those whose date went away. Safe to run
    twice, for a past day, or in two workers at once.

    Queries: the rules and the people (three), at most two UPDATEs for the stale rows of every
    kind, then per kind one INSERT per recipient and one for the escalation; whatever the
    number of records."""
    result = ScanResult(as_of=as_of)
    rules = rules_by_kind()
    people = _People.load()
    on: list[tuple[DeadlineKind, ReminderRule]] = []
    off: list[DeadlineKind] = []
    for kind in kinds():
        rule = rules.get(kind.code)
        if rule is not None and rule.enabled:
            on.append((kind, rule))
        else:
            off.append(kind)
    insert = _Insert(people=people, as_of=as_of)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Short statements over indexed ranges: compiling them to machine code (the
            # planner's estimate for the correlated NOT EXISTS crosses the JIT threshold)
            # would cost more than running them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        # Only kinds with pending rows can have stale ones (usually few: rows are sent soon).
        pending = set(
            Reminder.objects.filter(status=Reminder.Status.PENDING)
            .order_by()
            .values_list("kind", flat=True)
            .distinct()
        )
        result.cancelled = _cancel(
            off=[kind for kind in off if kind.code in pending],
            on=[kind for kind, _rule in on if kind.code in pending],
        )
        for kind, rule in on:
            result.per_kind[kind.code] = _arm(kind, rule, as_of=as_of, people=people, insert=insert)
    result.armed = sum(result.per_kind.values())
    return result
