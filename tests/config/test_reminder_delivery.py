"""Reminder delivery: the e-mail, the digest, claims, checks before sending, SMTP outcomes,
the sweeper, the command, the jobs and the ledger's admin."""

from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from agreements.models import Agreement
from config.celery import app as celery_app
from config.reminders import delivery
from config.reminders.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    deliver_digest,
    deliver_reminders,
    digest_release,
    reminders_lost,
    reminders_retry,
)
from config.reminders.models import Reminder, ReminderRule, ReminderSettings
from config.reminders.scan import scan
from tests.config.smtp_sink import Sink, smtp_mailers, smtp_sink
from tests.config.test_reminder_scan import TODAY, _agreement, _only_expiry_rule

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def _deliver_all(as_of: date, now: datetime = NOW) -> delivery.DeliveryResult:
    ids = list(delivery.deliverable(now=now).values_list("pk", flat=True))
    return deliver_reminders(reminder_ids=ids, as_of=as_of, now=now)


def _armed(personas, days: int = 30, **extra: Any) -> tuple[Agreement, Reminder]:
    _only_expiry_rule(recipients=["owner"])
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=days), **extra)
    scan(as_of=TODAY)
    return agreement, Reminder.objects.get()


def test_it_sends_the_30_day_reminder_once_with_what_when_why_and_a_link(personas) -> None:
    agreement, reminder = _armed(personas, reference="SR-JAM-1997-001")
    first = _deliver_all(TODAY)
    second = _deliver_all(TODAY)
    assert (first.sent, second.sent) == (1, 0), (first, second)
    [message] = mail.outbox
    assert message.subject == "Agreement expiry in 30 days: SR-JAM-1997-001"
    assert message.to == [f"María Ortega <{personas.lo.email}>"]
    assert message.extra_headers["Message-ID"] == (
        f"<reminder-{reminder.pk}.agreements.expiry@127.0.0.1>"
    )
    link = f"http://127.0.0.1:8000/agreements/{agreement.pk}/"
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert "SR-JAM-1997-001 expires on 3 February 2027" in body
        assert "in 30 days" in body
        assert "Why it matters" in body and "What to do" in body
        assert link in body
    assert f'href="{link}"' in html
    reminder.refresh_from_db()
    assert reminder.status == "sent" and reminder.sent_at is not None
    assert reminder.message_id == message.extra_headers["Message-ID"]
    assert reminder.attempts == 1 and reminder.claimed_until is None


def test_links_follow_the_base_url_setting(personas, settings) -> None:
    settings.ACCORD_BASE_URL = "https://accord.example.org"
    agreement, _ = _armed(personas)
    _deliver_all(TODAY)
    [message] = mail.outbox
    assert f"https://accord.example.org/agreements/{agreement.pk}/" in message.body
    assert message.extra_headers["Message-ID"].endswith("@accord.example.org>")


def test_a_row_held_by_a_live_claim_is_not_sent_and_an_expired_claim_is_taken_over(
    personas,
) -> None:
    _, reminder = _armed(personas)
    Reminder.objects.update(claimed_until=NOW + timedelta(minutes=1))
    assert _deliver_all(TODAY).sent == 0
    assert reminders_lost(now=NOW) == ([], [])
    later = NOW + timedelta(minutes=2)
    assert reminders_lost(now=later) == ([reminder.pk], [])
    assert _deliver_all(TODAY, now=later).sent == 1
    assert len(mail.outbox) == 1


def test_the_sweeper_leaves_a_just_armed_row_to_its_own_delivery(personas) -> None:
    with time_machine.travel(NOW, tick=False):
        _, reminder = _armed(personas)
    assert reminders_lost(now=NOW + timedelta(seconds=30)) == ([], [])
    assert reminders_lost(now=NOW + timedelta(minutes=3)) == ([reminder.pk], [])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("moved", "The date changed or no longer applies."),
        ("terminated", "The date changed or no longer applies."),
        ("deactivated", "The recipient's account is deactivated."),
        ("left", "The recipient can no longer read the record."),
        ("muted", "The recipient muted this kind of reminder."),
    ],
)
def test_a_reminder_that_no_longer_holds_is_cancelled_with_why_and_not_sent(
    personas, change: str, reason: str
) -> None:
    agreement, reminder = _armed(personas)
    if change == "moved":
        Agreement.objects.filter(pk=agreement.pk).update(expires_on=TODAY + timedelta(days=60))
    elif change == "terminated":
        Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.TERMINATED)
    elif change == "deactivated":
        type(personas.lo).objects.filter(pk=personas.lo.pk).update(is_active=False)
    elif change == "left":
        Agreement.objects.filter(pk=agreement.pk).update(owner=personas.other_lo)
        personas.colombia.liaison_officers.remove(personas.lo)
    elif change == "muted":
        ReminderSettings.objects.create(user=personas.lo, muted_kinds=["agreements.expiry"])
    result = _deliver_all(TODAY)
    reminder.refresh_from_db()
    assert (result.sent, result.cancelled, mail.outbox) == (0, 1, [])
    assert (reminder.status, reminder.cancelled_reason) == ("cancelled", reason)


def test_a_digest_reader_gets_one_email_grouped_by_kind_soonest_first(personas) -> None:
    _only_expiry_rule(recipients=["owner"])
    ReminderRule.objects.filter(kind="agreements.review_due").update(
        enabled=True, lead_days=[30, 7, 0], recipients=["owner"], escalate=False
    )
    ReminderSettings.objects.create(user=personas.lo, delivery="digest")
    later = _agreement(personas, expires_on=TODAY + timedelta(days=7), reference="A-LATER")
    sooner = _agreement(personas, expires_on=TODAY + timedelta(days=1), reference="A-SOONER")
    review = _agreement(personas, expires_on=TODAY + timedelta(days=400), reference="A-REVIEW")
    Agreement.objects.filter(pk=review.pk).update(next_review_on=TODAY + timedelta(days=3))
    scan(as_of=TODAY)
    assert _deliver_all(TODAY).sent == 0, "digest rows never go out on their own"
    readers = digest_release(now=NOW)
    first = deliver_digest(user_id=personas.lo.pk, as_of=TODAY, now=NOW)
    again = deliver_digest(user_id=personas.lo.pk, as_of=TODAY, now=NOW)
    assert readers == [personas.lo.pk]
    assert (first.sent, first.messages, again.sent) == (3, 1, 0), (first, again)
    [message] = mail.outbox
    assert message.subject == "Accord reminders for 4 January 2027: 3 items"
    body = message.body
    assert body.index("Agreement expiry") < body.index("A-SOONER") < body.index("A-LATER")
    assert body.index("A-LATER") < body.index("Agreement review due") < body.index("A-REVIEW")
    assert body.index("Agreement expiry") < body.index("Agreement review due")
    assert "A-REVIEW" in message.alternatives[0].content
    ids = set(Reminder.objects.values_list("status", "message_id"))
    assert ids == {("sent", message.extra_headers["Message-ID"])}, ids
    assert message.extra_headers["Message-ID"].startswith(f"<digest-{personas.lo.pk}.20270104.")
    assert {later.pk, sooner.pk} <= set(Reminder.objects.values_list("subject_id", flat=True))


def test_digest_rows_armed_after_the_days_digest_wait_for_the_next_one(personas) -> None:
    ReminderSettings.objects.create(user=personas.lo, delivery="digest")
    _armed(personas)
    assert digest_release(now=NOW) == [personas.lo.pk]
    deliver_digest(user_id=personas.lo.pk, as_of=TODAY, now=NOW)
    _agreement(personas, expires_on=TODAY + timedelta(days=7))
    scan(as_of=TODAY)
    assert reminders_lost(now=NOW + timedelta(hours=1)) == ([], [])
    assert deliver_digest(user_id=personas.lo.pk, as_of=TODAY, now=NOW).sent == 0
    assert len(mail.outbox) == 1


class _Refusing:
    """A mail backend whose send raises the staged errors, then accepts."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.sent: list[Any] = []

    @property
    def default(self) -> _Refusing:
        return self

    def send_messages(self, messages: list[Any]) -> int:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.extend(messages)
        return len(messages)


TEMPORARY = [
    smtplib.SMTPDataError(451, b"4.3.0 Try again later"),
    smtplib.SMTPSenderRefused(421, b"Service not available", "accord@localhost"),
    smtplib.SMTPRecipientsRefused({"m@x": (450, b"Mailbox busy")}),
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError("timed out"),
]
PERMANENT = [
    (smtplib.SMTPDataError(554, b"5.7.1 Rejected"), "SMTP 554: 5.7.1 Rejected"),
    (
        smtplib.SMTPRecipientsRefused({"m@x": (550, b"No such user")}),
        "Recipient refused: m@x (550 No such user)",
    ),
    (smtplib.SMTPSenderRefused(553, b"Sender refused", "a@b"), "SMTP 553: Sender refused"),
]


@pytest.mark.parametrize("error", TEMPORARY, ids=lambda e: type(e).__name__)
def test_a_temporary_failure_backs_off_then_sends_once(personas, monkeypatch, error) -> None:
    _, reminder = _armed(personas)
    backend = _Refusing([error])
    monkeypatch.setattr(delivery, "mailers", backend)
    first = _deliver_all(TODAY)
    reminder.refresh_from_db()
    assert (first.retrying, reminder.status, reminder.attempts) == (1, "pending", 1)
    assert reminder.next_attempt_at == NOW + RETRY_DELAYS[0]
    assert reminder.last_error and reminder.claimed_until is None
    assert _deliver_all(TODAY, now=NOW + timedelta(minutes=1)).sent == 0, "before the back-off"
    after = NOW + RETRY_DELAYS[0]
    assert reminders_lost(now=after) == ([reminder.pk], [])
    assert _deliver_all(TODAY, now=after).sent == 1
    assert _deliver_all(TODAY, now=after + timedelta(hours=1)).sent == 0
    assert len(backend.sent) == 1


@pytest.mark.parametrize(("error", "text"), PERMANENT, ids=lambda e: type(e).__name__)
def test_a_permanent_failure_marks_the_reminder_failed_with_the_error(
    personas, monkeypatch, error, text
) -> None:
    _, reminder = _armed(personas)
    monkeypatch.setattr(delivery, "mailers", _Refusing([error]))
    result = _deliver_all(TODAY)
    reminder.refresh_from_db()
    assert (result.failed, reminder.status, reminder.last_error) == (1, "failed", text)
    assert reminders_lost(now=NOW + timedelta(days=2)) == ([], [])


def test_temporary_failures_give_up_after_the_last_attempt(personas, monkeypatch) -> None:
    _, reminder = _armed(personas)
    monkeypatch.setattr(
        delivery, "mailers", _Refusing([smtplib.SMTPServerDisconnected("gone")] * MAX_ATTEMPTS)
    )
    moment = NOW
    for _ in range(MAX_ATTEMPTS):
        _deliver_all(TODAY, now=moment)
        moment += timedelta(days=1)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("failed", MAX_ATTEMPTS)
    assert reminder.last_error == "SMTPServerDisconnected: gone"


def test_a_delivery_interrupted_on_every_attempt_ends_failed_by_the_sweeper(personas) -> None:
    _, reminder = _armed(personas)
    Reminder.objects.update(attempts=MAX_ATTEMPTS, claimed_until=NOW)
    assert reminders_lost(now=NOW + timedelta(seconds=1)) == ([], [])
    reminder.refresh_from_db()
    assert reminder.status == "failed" and "worker stopped" in reminder.last_error


def test_a_recipient_without_an_email_address_is_failed_visibly(personas) -> None:
    type(personas.lo).objects.filter(pk=personas.lo.pk).update(email="")
    _, reminder = _armed(personas)
    assert _deliver_all(TODAY).failed == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == (
        "failed",
        "The recipient has no e-mail address.",
    )


def test_an_smtp_server_answering_4xx_then_accepting_gets_the_reminder_once(
    personas, settings
) -> None:
    _, reminder = _armed(personas)
    sink = Sink(replies=["451 4.3.0 Try again later"])
    with smtp_sink(sink) as port:
        settings.MAILERS = smtp_mailers(port)
        _deliver_all(TODAY)
        reminder.refresh_from_db()
        assert (reminder.status, reminder.last_error) == (
            "pending",
            "SMTP 451: 4.3.0 Try again later",
        )
        _deliver_all(TODAY, now=NOW + RETRY_DELAYS[0])
        _deliver_all(TODAY, now=NOW + RETRY_DELAYS[0] + timedelta(minutes=1))
    reminder.refresh_from_db()
    assert sink.counts == {reminder.message_id: 1}, sink.report(due=1)
    assert (reminder.status, sink.refused) == ("sent", 1), sink.report(due=1)


def test_an_smtp_server_answering_5xx_leaves_the_reminder_failed_with_its_answer(
    personas, settings
) -> None:
    _, reminder = _armed(personas)
    sink = Sink(replies=["554 5.7.1 Message rejected"] * 3)
    with smtp_sink(sink) as port:
        settings.MAILERS = smtp_mailers(port)
        _deliver_all(TODAY)
        _deliver_all(TODAY, now=NOW + timedelta(days=1))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == ("failed", "SMTP 554: 5.7.1 Message rejected")
    assert sink.refused == 1 and not sink.received, sink.report(due=0)


def test_an_administrator_sends_a_failed_reminder_again_and_others_may_not(
    personas, django_capture_on_commit_callbacks
) -> None:
    _, reminder = _armed(personas)
    Reminder.objects.update(status="failed", last_error="SMTP 554: no", attempts=1)
    for someone in (personas.manager, personas.lo, personas.outsider):
        with pytest.raises(PermissionDenied):
            reminders_retry(by=someone, reminders=Reminder.objects.all())
    assert Reminder.objects.get().status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        retried = reminders_retry(by=personas.admin, reminders=Reminder.objects.all())
    assert retried == [reminder.pk]
    reminder.refresh_from_db()
    assert (reminder.status, len(mail.outbox)) == ("sent", 1)
    assert reminders_retry(by=personas.admin, reminders=Reminder.objects.all()) == []


def test_the_ledger_admin_lists_failures_with_filters_and_retries_through_the_service(
    personas, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
) -> None:
    _, reminder = _armed(personas)
    Reminder.objects.update(status="failed", last_error="SMTP 554: 5.7.1 Message rejected")
    client.force_login(personas.admin)
    with django_assert_max_num_queries(12):
        page = client.get("/admin/accord/reminder/?status__exact=failed&kind=agreements.expiry")
    assert page.status_code == 200
    assert b"SMTP 554: 5.7.1 Message rejected" in page.content
    assert b"Send the selected failed reminders again" in page.content
    assert client.get(f"/admin/accord/reminder/{reminder.pk}/change/").status_code == 200
    assert client.get("/admin/accord/reminder/add/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/admin/accord/reminder/",
            {"action": "retry", "_selected_action": [reminder.pk]},
            follow=True,
        )
    assert b"1 reminders will be sent again." in answer.content
    reminder.refresh_from_db()
    assert reminder.status == "sent", reminder.last_error
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2027-13-01", "--as-of: “2027-13-01” is not a date (use YYYY-MM-DD)."),
        ("tomorrow", "--as-of: “tomorrow” is not a date (use YYYY-MM-DD)."),
        ("1899-12-31", "--as-of: 1899-12-31 is out of range"),
        ("2201-01-01", "--as-of: 2201-01-01 is out of range"),
    ],
)
def test_send_reminders_refuses_a_bad_day_naming_the_option(personas, as_of, message) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("send_reminders", "--as-of", as_of)
    assert not Reminder.objects.exists()


def test_send_reminders_arms_and_sends_and_says_what_it_did(personas) -> None:
    _only_expiry_rule(recipients=["owner"])
    _agreement(personas, expires_on=TODAY + timedelta(days=7))
    _agreement(personas, expires_on=TODAY + timedelta(days=30))
    output = StringIO()
    call_command("send_reminders", "--as-of", TODAY.isoformat(), stdout=output)
    call_command("send_reminders", "--as-of", TODAY.isoformat(), stdout=output)
    lines = output.getvalue().splitlines()
    assert lines == [
        "Reminders for 4 January 2027: 2 armed, 0 cancelled (date changed or rule off).",
        "2 sent in 2 e-mails, 0 to retry later, 0 failed, 0 cancelled before sending.",
        "Reminders for 4 January 2027: 0 armed, 0 cancelled (date changed or rule off).",
        "0 sent in 0 e-mails, 0 to retry later, 0 failed, 0 cancelled before sending.",
    ]
    assert len(mail.outbox) == 2


def test_the_jobs_are_scheduled_in_code_and_take_ids_and_days() -> None:
    schedule = celery_app.conf.beat_schedule
    assert schedule["reminder-scan"]["task"] == "config.reminders.scan"
    assert schedule["reminder-digest"]["task"] == "config.reminders.digest"
    assert schedule["reminder-sweep"]["task"] == "config.reminders.sweep"
    for name in ("scan", "deliver", "digest", "deliver_digest", "sweep"):
        task = celery_app.tasks[f"config.reminders.{name}"]
        assert task.acks_late and task.reject_on_worker_lost, name
        assert task.time_limit and task.soft_time_limit, name


def test_the_scan_job_fans_out_and_running_it_twice_sends_each_reminder_once(
    personas, django_capture_on_commit_callbacks
) -> None:
    from config.reminders.tasks import scan_reminders, send_digests

    _only_expiry_rule(recipients=["owner", "liaison_officers"])
    personas.colombia.liaison_officers.add(personas.other_lo)
    ReminderSettings.objects.create(user=personas.other_lo, delivery="digest")
    _agreement(personas, expires_on=TODAY + timedelta(days=30))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            scan_reminders.delay(TODAY.isoformat())
            send_digests.delay(TODAY.isoformat())
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("Accord reminders for")
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


def _simulate(personas, days: range, *, skip: set[int] = frozenset()) -> list[str]:
    for day in days:
        if day in skip:
            continue
        as_of = TODAY + timedelta(days=day)
        scan(as_of=as_of)
        _deliver_all(as_of, now=NOW + timedelta(days=day))
    return [m.extra_headers["Message-ID"] for m in mail.outbox]


def test_a_simulated_year_sends_every_threshold_of_every_subject_once(personas) -> None:
    _only_expiry_rule(recipients=["owner"])
    for days in (0, 8, 45, 200, 364):
        _agreement(personas, expires_on=TODAY + timedelta(days=days))
    message_ids = _simulate(personas, range(366))
    # On the first day each subject gets the latest threshold already crossed, then each
    # later one: 0 → [0]; 8 → [30, 7, 0]; 45 → [60, 30, 7, 0]; 200 and 364 → all five.
    due = 1 + 3 + 4 + 5 + 5
    duplicates = len(message_ids) - len(set(message_ids))
    report = f"due {due} / sent {len(set(message_ids))} / duplicates {duplicates}"
    assert len(message_ids) == due and not duplicates, report


def test_beat_down_for_three_days_sends_one_catch_up_reminder_not_three(personas) -> None:
    _only_expiry_rule(recipients=["owner"], lead_days=[10, 9, 8, 7, 0])
    _agreement(personas, expires_on=TODAY + timedelta(days=10))
    # Beat is down on days 1–3, when thresholds 9, 8 and 7 are crossed: day 4 catches up once.
    message_ids = _simulate(personas, range(11), skip={1, 2, 3})
    subjects = [m.subject.split(":")[0] for m in mail.outbox]
    expected = [
        "Agreement expiry in 10 days",
        "Agreement expiry in 6 days",
        "Agreement expiry today",
    ]
    assert subjects == expected, f"due 3 / sent {len(message_ids)}: {subjects}"


def test_a_date_moved_after_the_30_day_reminder_keeps_it_and_sends_the_new_schedule(
    personas,
) -> None:
    _only_expiry_rule(recipients=["owner"])
    agreement = _agreement(personas, expires_on=TODAY + timedelta(days=30))
    _simulate(personas, range(1))
    Agreement.objects.filter(pk=agreement.pk).update(expires_on=TODAY + timedelta(days=40))
    _simulate(personas, range(1, 41))
    subjects = [m.subject.split(":")[0] for m in mail.outbox]
    # The new date is 39 days away on day 1: its latest crossed threshold (60) goes out once.
    assert subjects == [
        "Agreement expiry in 30 days",
        "Agreement expiry in 39 days",
        "Agreement expiry in 30 days",
        "Agreement expiry in 7 days",
        "Agreement expiry today",
    ], f"due 5 / sent {len(subjects)}: {subjects}"
    old = Reminder.objects.filter(due_on=TODAY + timedelta(days=30)).values_list(
        "status", flat=True
    )
    assert list(old) == ["sent"]


def test_the_console_shows_a_readable_email(personas, settings, capsys) -> None:
    settings.MAILERS = {"default": {"BACKEND": "config.mail.ReadableConsoleBackend"}}
    _armed(personas, reference="SR-JAM-1997-001")
    _deliver_all(TODAY)
    shown = capsys.readouterr().out
    assert "Subject: Agreement expiry in 30 days: SR-JAM-1997-001" in shown
    assert "To: María Ortega <maria@accord.test>" in shown
    assert "Hello María," in shown
    assert "[also sent as text/html" in shown
