"""The reminder engine's benchmark on agreement data (run by `manage.py bench`).

Whatever the tier, the same number of agreements (`DUE_SUBJECTS`) carry dates inside the
scan's windows; every other live agreement's dates are spread over the two years after them.
So tier S and tier L have the same due work and differ only in table size: the scan's cost
must follow what is due, not how much is stored. Each scan is timed against hand-written SQL
that finds the same due rows and inserts the same ledger rows, in the same run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from statistics import median
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.utils import timezone

from agreements.bench import ON, Measurement, _queries, _time, _time_pair
from agreements.models import Agreement, Partner
from agreements.reminders import _LIVE_AGREEMENT
from config.reminders.feed import RENDERED_EVENTS
from config.reminders.models import (
    CATCH_UP_DAYS,
    ESCALATION_CATCH_UP_DAYS,
    Reminder,
    ReminderRule,
)
from config.reminders.registry import Recipient, get_kind
from config.reminders.rules import ensure_default_rules
from config.reminders.scan import scan
from config.reminders.services import reminder_settings_for
from config.roles import Role

DUE_SUBJECTS = 300
USERS = 50
KIND_COLUMNS = {
    "agreements.expiry": "expires_on",
    "agreements.notice_deadline": "notice_deadline",
    "agreements.review_due": "next_review_on",
}
RECIPIENT_COLUMNS = {Recipient.OWNER: "owner_id", Recipient.LEGAL_REVIEWER: "legal_reviewer_id"}


def prepare(context: dict[str, Any], *, seed: int = 11) -> dict[str, Any]:
    """50 liaison officers holding the partners in turn, owners for every agreement, and the
    dates described above (stored as the derived columns are)."""
    rng = random.Random(seed)
    User = get_user_model()
    group = Group.objects.get(name=Role.LIAISON_OFFICER)
    los = list(User.objects.filter(groups=group).order_by("pk"))
    for i in range(len(los), USERS):
        user = User.objects.create(username=f"bench-rlo-{i}")
        user.groups.add(group)
        los.append(user)
    through = Partner.liaison_officers.through
    through.objects.all().delete()
    partner_ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
    through.objects.bulk_create(
        [through(partner_id=pk, user_id=los[i % USERS].pk) for i, pk in enumerate(partner_ids)],
        batch_size=2000,
    )
    live = list(Agreement.objects.filter(status__in=_LIVE_AGREEMENT).order_by("pk"))
    for index, agreement in enumerate(live):
        agreement.owner_id = los[rng.randrange(USERS)].pk
        if index < DUE_SUBJECTS:
            agreement.expires_on = ON + timedelta(days=rng.randint(-35, 90))
            agreement.notice_deadline = ON + timedelta(days=rng.randint(-35, 90))
            agreement.next_review_on = ON + timedelta(days=rng.randint(-35, 30))
        else:
            agreement.expires_on = ON + timedelta(days=rng.randint(100, 730))
            agreement.notice_deadline = agreement.expires_on - timedelta(days=rng.randint(0, 9))
            agreement.next_review_on = ON + timedelta(days=rng.randint(100, 730))
    Agreement.objects.bulk_update(
        live, ["owner", "expires_on", "notice_deadline", "next_review_on"], batch_size=2000
    )
    ensure_default_rules()
    manager = User.objects.get(username="bench-manager")
    legal_advisor, _ = User.objects.get_or_create(username="bench-legal-advisor")
    legal_advisor.groups.add(Group.objects.get_or_create(name=Role.LEGAL_ADVISOR)[0])
    return {
        "manager": manager,
        "legal_advisor": legal_advisor,
        "lo": los[0],
        "live": len(live),
        "token": reminder_settings_for(manager).feed_token,
    }


def _ledger() -> set[tuple[Any, ...]]:
    return set(
        Reminder.objects.values_list("kind", "subject_id", "due_on", "lead_days", "recipient_id")
    )


def _threshold_sql(leads: list[int], as_of: date, column: str) -> tuple[str, list[Any]]:
    """CASE that picks the smallest lead time already reached (dates computed here, so the
    SQL is the same on SQLite and PostgreSQL)."""
    parts, params = [], []
    for lead in sorted(leads):
        parts.append(f"WHEN a.{column} <= %s THEN {int(lead)}")
        params.append(as_of + timedelta(days=lead))
    return "CASE " + " ".join(parts) + " END", params


_INSERT = (
    "INSERT INTO accord_reminder (kind, subject_id, due_on, lead_days, recipient_id, status,"
    " digest, armed_on, created_at, attempts, last_error, message_id, cancelled_reason) "
)
_HAS_ROLE = "EXISTS (SELECT 1 FROM auth_user_groups ug WHERE ug.user_id = u.id)"


def raw_scan(as_of: date) -> None:
    """The hand-written equivalent of `scan(as_of=…)` for the agreement kinds."""
    now = timezone.now()
    rules = {rule.kind: rule for rule in ReminderRule.objects.filter(kind__in=KIND_COLUMNS)}
    statuses = ", ".join(f"'{status}'" for status in _LIVE_AGREEMENT)
    with connection.cursor() as cursor:
        for code, column in KIND_COLUMNS.items():
            rule = rules.get(code)
            kind = get_kind(code)
            if rule is None or not rule.enabled or kind is None:
                continue
            leads = [int(lead) for lead in rule.lead_days]
            case, case_params = _threshold_sql(leads, as_of, column)
            head = [code]
            tail = [
                as_of,
                now,
                as_of - timedelta(days=CATCH_UP_DAYS),
                as_of + timedelta(days=max(leads)),
            ]
            values = (
                f"SELECT DISTINCT %s, a.id, a.{column}, {case}, u.id, 'pending', %s, %s, %s,"
                " 0, '', '', ''"
            )
            window = f"a.status IN ({statuses}) AND a.{column} BETWEEN %s AND %s"
            for name in rule.recipients:
                recipient = Recipient(name)
                if recipient in RECIPIENT_COLUMNS and recipient in kind.recipient_paths:
                    joins = f"JOIN auth_user u ON u.id = a.{RECIPIENT_COLUMNS[recipient]}"
                elif recipient is Recipient.LIAISON_OFFICERS:
                    joins = (
                        "JOIN agreements_agreementparty p ON p.agreement_id = a.id "
                        "JOIN agreements_partner_liaison_officers pl"
                        " ON pl.partner_id = p.partner_id "
                        "JOIN auth_user u ON u.id = pl.user_id"
                    )
                else:
                    continue
                cursor.execute(
                    f"{_INSERT}{values} FROM agreements_agreement a {joins} "
                    f"WHERE {window} AND u.is_active AND {_HAS_ROLE} ON CONFLICT DO NOTHING",
                    [*head, *case_params, False, as_of, now, *tail[2:]],
                )
            if rule.escalate and rule.escalate_after_days:
                delay = int(rule.escalate_after_days)
                cursor.execute(
                    f"{_INSERT}SELECT %s, a.id, a.{column}, %s, u.id, 'pending', %s, %s, %s, 0,"
                    " '', '', '' FROM agreements_agreement a CROSS JOIN auth_user u "
                    "JOIN auth_user_groups ug ON ug.user_id = u.id "
                    "JOIN auth_group g ON g.id = ug.group_id AND g.name = %s "
                    f"WHERE {window} AND u.is_active ON CONFLICT DO NOTHING",
                    [
                        code,
                        -delay,
                        False,
                        as_of,
                        now,
                        Role.MANAGER.value,
                        as_of - timedelta(days=delay + ESCALATION_CATCH_UP_DAYS),
                        as_of - timedelta(days=delay),
                    ],
                )


def _fresh(call: Callable[[], Any], *, clear: Callable[[], Any]) -> Callable[[], Any]:
    """`call` on a ledger reset by `clear` (the reset is not timed: it runs before)."""

    def run() -> Any:
        result = call()
        clear()
        return result

    return run


def measure(context: dict[str, Any], *, repeat: int) -> list[Measurement]:
    first_day, next_day = ON, ON + timedelta(days=1)
    results: list[Measurement] = []

    def clear_all() -> None:
        Reminder.objects.all().delete()

    def clear_next() -> None:
        Reminder.objects.filter(armed_on=next_day).delete()

    # One day on an empty ledger, against the hand-written SQL.
    clear_all()
    scan(as_of=first_day)
    by_scan = _ledger()
    clear_all()
    raw_scan(first_day)
    by_raw = _ledger()
    clear_all()
    day_queries = _queries(lambda: scan(as_of=first_day))
    clear_all()
    scan_ms, _r, raw_ms, _s = _time_pair(
        _fresh(lambda: scan(as_of=first_day), clear=clear_all),
        _fresh(lambda: raw_scan(first_day), clear=clear_all),
        repeat,
    )
    note = f"{len(by_scan)} reminders armed for {context['live']:,} live agreements"
    if by_scan != by_raw:
        note += (
            f"; raw SQL differs: {len(by_scan - by_raw)} only in the scan,"
            f" {len(by_raw - by_scan)} only in SQL"
        )
    results.append(
        Measurement(
            "reminder scan, one day (empty ledger)",
            "system",
            scan_ms,
            day_queries,
            raw_samples_ms=raw_ms,
            same_rows=by_scan == by_raw,
            notes=note,
        )
    )

    # The next day, on top of the first (the same rows by the scan and by the SQL); then the
    # same day again (nothing to do).
    scan(as_of=first_day)
    before = _ledger()
    raw_scan(next_day)
    next_by_raw = _ledger() - before
    clear_next()
    next_queries = _queries(lambda: scan(as_of=next_day))
    next_by_scan = _ledger() - before
    armed_next = len(next_by_scan)
    clear_next()
    scan_ms, _r, raw_ms, _s = _time_pair(
        _fresh(lambda: scan(as_of=next_day), clear=clear_next),
        _fresh(lambda: raw_scan(next_day), clear=clear_next),
        repeat,
    )
    results.append(
        Measurement(
            "reminder scan, the next day",
            "system",
            scan_ms,
            next_queries,
            raw_samples_ms=raw_ms,
            same_rows=next_by_scan == next_by_raw,
            notes=f"{armed_next} more armed; raw SQL here inserts (and the ledger refuses) "
            "the first day's rows again"
            + (
                ""
                if next_by_scan == next_by_raw
                else f"; raw SQL differs: {len(next_by_scan - next_by_raw)} only in the scan,"
                f" {len(next_by_raw - next_by_scan)} only in SQL"
            ),
        )
    )
    scan(as_of=next_day)
    noop_ms, _r = _time(lambda: scan(as_of=next_day), repeat)
    results.append(
        Measurement(
            "reminder scan, repeated (nothing to do)",
            "system",
            noop_ms,
            _queries(lambda: scan(as_of=next_day)),
        )
    )

    client = Client()
    path = f"/calendar/{context['token']}.ics"

    def fetch() -> int:
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        return response.content.count(b"BEGIN:VEVENT")

    feed_cold_ms, _events = _time(_fresh(fetch, clear=RENDERED_EVENTS.clear), repeat)
    feed_ms, events = _time(fetch, repeat)
    queries = _queries(fetch)
    results.append(
        Measurement(
            "calendar feed (ICS, 30 days back to 2 years ahead)",
            "manager",
            feed_ms,
            queries,
            notes=f"{events:,} events; with no event rendered yet (a cold process)"
            f" p50 {median(feed_cold_ms):.0f} ms",
        )
    )
    results.append(
        Measurement(
            "calendar feed, cold process (no entry rendered yet)",
            "manager",
            feed_cold_ms,
            queries,
            notes=f"{events:,} events, each worded and written",
        )
    )
    results.extend(_desk(context, repeat=repeat))
    return results


def _desk(context: dict[str, Any], *, repeat: int) -> list[Measurement]:
    """The page each person lands on after signing in, as the browser asks for it."""
    results = []
    for role, user in (
        ("lo", context["lo"]),
        ("legal", context["legal_advisor"]),
        ("manager", context["manager"]),
    ):
        client = Client()
        client.force_login(user)

        def fetch(client: Client = client) -> int:
            response = client.get("/")
            assert response.status_code == 200, response.status_code
            return len(response.content)

        samples, size = _time(fetch, repeat)
        results.append(
            Measurement(
                "desk page (/)",
                role,
                samples,
                _queries(fetch),
                notes=f"{size / 1024:,.0f} KiB of HTML; today is {date.today():%d %b %Y},"
                f" the due dates sit around {ON:%d %b %Y}",
            )
        )
    return results
