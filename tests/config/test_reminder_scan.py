"""The reminder scan: thresholds, exactly-once, catch-up, moved dates, who is reminded."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from agreements.models import Agreement
from config.reminders.models import Reminder, ReminderRule, ReminderSettings
from config.reminders.scan import latest_threshold, scan
from tests.factories import AgreementFactory

TODAY = date(2027, 1, 4)
EXPIRY = "agreements.expiry"


def _only_expiry_rule(**changes: object) -> ReminderRule:
    ReminderRule.objects.exclude(kind=EXPIRY).update(enabled=False)
    rule = ReminderRule.objects.get(kind=EXPIRY)
    rule.lead_days = [90, 60, 30, 7, 0]
    rule.recipients = ["owner", "liaison_officers"]
    rule.escalate = False
    rule.escalate_after_days = None
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def _agreement(personas, *, expires_on: date, **extra: object) -> Agreement:
    extra.setdefault("status", Agreement.Status.IN_FORCE)
    return AgreementFactory(
        expires_on=expires_on,
        owner=personas.lo,
        parties=[personas.colombia],
        **extra,
    )


def _sent_counts() -> Counter:
    return Counter(
        Reminder.objects.exclude(status=Reminder.Status.CANCELLED).values_list(
            "subject_id", "due_on", "lead_days", "recipient_id"
        )
    )


def test_latest_threshold_is_the_smallest_lead_reached() -> None:
    leads = [0, 7, 30, 60, 90]
    due = date(2027, 3, 1)
    assert latest_threshold(leads, due_on=due, as_of=due - timedelta(days=91)) is None
    assert latest_threshold(leads, due_on=due, as_of=due - timedelta(days=90)) == 90
    assert latest_threshold(leads, due_on=due, as_of=due - timedelta(days=45)) == 60
    assert latest_threshold(leads, due_on=due, as_of=due - timedelta(days=3)) == 7
    assert latest_threshold(leads, due_on=due, as_of=due) == 0
    assert latest_threshold(leads, due_on=due, as_of=due + timedelta(days=30)) == 0
    assert latest_threshold(leads, due_on=due, as_of=due + timedelta(days=31)) is None


def test_the_scan_run_twice_for_the_same_day_arms_each_reminder_once(personas) -> None:
    _only_expiry_rule()
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=30))
    first = scan(as_of=TODAY)
    second = scan(as_of=TODAY)
    rows = list(Reminder.objects.values_list("subject_id", "lead_days", "recipient__username"))
    assert first.armed == 1 and second.armed == 0, (first, second)
    assert rows == [(agreement.pk, 30, "maria")], f"due 1 / rows {rows}"


def test_a_missed_run_catches_up_with_the_latest_threshold_only(personas) -> None:
    _only_expiry_rule()
    _agreement(personas, expires_on=TODAY + timedelta(days=5))
    # Beat was down the three days before (thresholds 30 → 7 crossed): one scan today.
    scan(as_of=TODAY)
    scan(as_of=TODAY + timedelta(days=1))
    leads = sorted(Reminder.objects.values_list("lead_days", flat=True))
    assert leads == [7], f"one catch-up reminder (7 days) expected, got {leads}"


def test_a_simulated_year_reminds_every_threshold_of_every_subject_once(personas) -> None:
    _only_expiry_rule()
    subjects = [
        _agreement(personas, expires_on=TODAY + timedelta(days=days))
        for days in (0, 1, 8, 29, 45, 90, 91, 200, 364)
    ]
    for day in range(366):
        scan(as_of=TODAY + timedelta(days=day))
    counts = _sent_counts()
    duplicates = {key: n for key, n in counts.items() if n > 1}
    assert not duplicates, f"duplicates: {duplicates}"
    for agreement in subjects:
        days_left = (agreement.expires_on - TODAY).days
        # Thresholds still ahead on the first day, plus the latest one already crossed then.
        ahead = {lead for lead in (90, 60, 30, 7, 0) if lead < days_left}
        crossed = [lead for lead in (90, 60, 30, 7, 0) if lead >= days_left]
        expected = sorted(ahead | ({min(crossed)} if crossed else set()))
        got = sorted(lead for (subject, _d, lead, _u) in counts if subject == agreement.pk)
        assert got == expected, f"{agreement.reference}: due {expected}, sent {got}"


def test_a_moved_date_cancels_the_old_schedule_and_arms_the_new_one_once(personas) -> None:
    _only_expiry_rule()
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=30))
    scan(as_of=TODAY)
    Agreement.objects.filter(pk=agreement.pk).update(expires_on=TODAY + timedelta(days=80))
    result = scan(as_of=TODAY)
    scan(as_of=TODAY)
    rows = sorted(Reminder.objects.values_list("due_on", "lead_days", "status", "cancelled_reason"))
    assert result.cancelled == 1
    assert rows == [
        (TODAY + timedelta(days=30), 30, "cancelled", "The date changed or no longer applies."),
        (TODAY + timedelta(days=80), 90, "pending", ""),
    ], rows


def test_a_sent_reminder_of_the_old_date_is_kept_as_sent(personas) -> None:
    _only_expiry_rule()
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=30))
    scan(as_of=TODAY)
    Reminder.objects.update(status=Reminder.Status.SENT)
    Agreement.objects.filter(pk=agreement.pk).update(expires_on=None)
    assert scan(as_of=TODAY).cancelled == 0
    assert list(Reminder.objects.values_list("status", flat=True)) == ["sent"]


def test_a_liaison_officer_outside_the_portfolio_and_a_deactivated_one_get_nothing(
    personas,
) -> None:
    _only_expiry_rule()
    # The owner is the other LO, who does not hold Colombia and does not own it any more…
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=7))
    personas.colombia.liaison_officers.add(personas.other_lo)
    personas.lo.is_active = False
    personas.lo.save()
    scan(as_of=TODAY)
    recipients = sorted(Reminder.objects.values_list("recipient__username", flat=True))
    assert recipients == ["james"], recipients
    personas.colombia.liaison_officers.remove(personas.other_lo)
    Agreement.objects.filter(pk=agreement.pk).update(expires_on=TODAY + timedelta(days=6))
    scan(as_of=TODAY)
    assert not Reminder.objects.filter(status="pending").exists()


def test_a_muted_kind_is_not_reminded_and_digest_readers_get_digest_rows(personas) -> None:
    _only_expiry_rule(recipients=["owner", "managers"])
    _agreement(personas, expires_on=TODAY)
    ReminderSettings.objects.create(user=personas.lo, muted_kinds=[EXPIRY])
    ReminderSettings.objects.create(user=personas.manager, delivery="digest")
    scan(as_of=TODAY)
    rows = list(Reminder.objects.values_list("recipient__username", "digest"))
    assert rows == [("samuel", True)], rows


def test_managers_are_escalated_to_once_after_the_delay(personas) -> None:
    _only_expiry_rule(escalate=True, escalate_after_days=7, recipients=["owner"])
    _agreement(personas, expires_on=TODAY)
    for day in range(0, 20):
        scan(as_of=TODAY + timedelta(days=day))
    rows = sorted(Reminder.objects.values_list("lead_days", "recipient__username", "armed_on"))
    assert rows == [(-7, "samuel", TODAY + timedelta(days=7)), (0, "maria", TODAY)], rows


def test_a_rule_switched_off_cancels_its_pending_reminders(personas) -> None:
    rule = _only_expiry_rule()
    _agreement(personas, expires_on=TODAY)
    scan(as_of=TODAY)
    rule.enabled = False
    rule.save()
    result = scan(as_of=TODAY)
    assert result.cancelled == 1 and result.armed == 0


@pytest.mark.parametrize("status", ["draft", "expired", "terminated"])
def test_agreements_no_longer_binding_are_not_reminded(personas, status: str) -> None:
    _only_expiry_rule()
    _agreement(personas, expires_on=TODAY, status=status)
    assert scan(as_of=TODAY).armed == 0


def test_an_item_long_overdue_is_escalated_once_when_the_rule_first_sees_it(personas) -> None:
    _only_expiry_rule(escalate=True, escalate_after_days=7, recipients=["owner"])
    _agreement(personas, expires_on=TODAY - timedelta(days=200))
    scan(as_of=TODAY)
    scan(as_of=TODAY + timedelta(days=1))
    rows = list(Reminder.objects.values_list("lead_days", "recipient__username"))
    assert rows == [(-7, "samuel")], rows


def test_a_legal_reviewer_is_reminded_only_while_they_may_read_the_agreement(personas) -> None:
    # The reviewer's path proves nothing about access (unlike the owner's or the portfolio's),
    # so the scan checks it: an LO outside Colombia's portfolio gets nothing.
    _only_expiry_rule(recipients=["legal_reviewer"])
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=7))
    Agreement.objects.filter(pk=agreement.pk).update(legal_reviewer=personas.other_lo)
    scan(as_of=TODAY)
    assert not Reminder.objects.exists()
    personas.colombia.liaison_officers.add(personas.other_lo)
    scan(as_of=TODAY)
    assert list(Reminder.objects.values_list("recipient", flat=True)) == [personas.other_lo.pk]


def test_one_scan_checks_each_limited_reader_on_a_path_and_spares_those_who_read_everything(
    personas,
) -> None:
    # Three reviewers on one path in one scan: an LO whose portfolio holds the agreement, an
    # LO whose portfolio does not, and a legal advisor (who reads everything).
    _only_expiry_rule(recipients=["legal_reviewer"])
    due = TODAY + timedelta(days=7)
    reviewers = {
        personas.lo: _agreement(personas, expires_on=due),
        personas.other_lo: _agreement(personas, expires_on=due),
        personas.legal_advisor: _agreement(personas, expires_on=due),
    }
    for reviewer, agreement in reviewers.items():
        Agreement.objects.filter(pk=agreement.pk).update(legal_reviewer=reviewer)
    assert scan(as_of=TODAY).armed == 2
    rows = set(Reminder.objects.values_list("subject_id", "recipient"))
    assert rows == {
        (reviewers[personas.lo].pk, personas.lo.pk),
        (reviewers[personas.legal_advisor].pk, personas.legal_advisor.pk),
    }, rows


def test_a_threshold_larger_than_one_already_reminded_is_not_armed(personas) -> None:
    # Reminded at 7 days; the rule then gains a 10-day lead: nothing more until 0.
    rule = _only_expiry_rule(lead_days=[7, 0], recipients=["owner"])
    _agreement(personas, expires_on=TODAY + timedelta(days=7))
    scan(as_of=TODAY)
    rule.lead_days = [10, 7, 0]
    rule.save()
    assert scan(as_of=TODAY - timedelta(days=1)).armed == 0
    assert scan(as_of=TODAY + timedelta(days=7)).armed == 1
    assert sorted(Reminder.objects.values_list("lead_days", flat=True)) == [0, 7]


def test_managers_are_escalated_to_once_even_if_the_delay_changes_afterwards(personas) -> None:
    rule = _only_expiry_rule(escalate=True, escalate_after_days=7, recipients=["owner"])
    _agreement(personas, expires_on=TODAY - timedelta(days=40))
    scan(as_of=TODAY)
    rule.escalate_after_days = 14
    rule.save()
    scan(as_of=TODAY + timedelta(days=1))
    rows = list(Reminder.objects.values_list("lead_days", "recipient__username"))
    assert rows == [(-7, "samuel")], rows


def test_an_owner_who_is_also_a_liaison_officer_of_the_partner_gets_one_row(personas) -> None:
    _only_expiry_rule(recipients=["owner", "liaison_officers", "managers"])
    personas.colombia.liaison_officers.add(personas.lo)
    _agreement(personas, expires_on=TODAY + timedelta(days=30))
    result = scan(as_of=TODAY)
    rows = Counter(Reminder.objects.values_list("recipient__username", "lead_days"))
    assert set(rows.values()) == {1} and ("maria", 30) in rows and ("samuel", 30) in rows, rows
    assert result.armed == len(rows) == result.per_kind[EXPIRY]
