"""What a person does with a reminder (acknowledge, snooze) is in its audit history — on the
inbox page and at `/api/v1/reminders/{id}/history/` — while the system's own writes (the scan's
inserts, delivery) leave none and deleting ledger rows stays possible."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from agreements.models import Agreement
from config.reminders import services
from config.reminders.delivery import deliver_due, reminders_retry
from config.reminders.models import Reminder
from config.reminders.scan import scan
from tests.factories import AgreementFactory

TODAY = date(2027, 1, 4)
NOON = datetime(2027, 1, 4, 12, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOON, tick=False):
        yield


def _reminder(personas) -> Reminder:
    AgreementFactory(
        status=Agreement.Status.IN_FORCE,
        expires_on=TODAY + timedelta(days=7),
        owner=personas.lo,
        parties=[personas.colombia],
    )
    scan(as_of=TODAY)
    return Reminder.objects.get(recipient=personas.lo, kind="agreements.expiry")


def test_the_scan_delivery_and_a_retry_leave_no_history(personas) -> None:
    reminder = _reminder(personas)
    deliver_due(as_of=TODAY)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT and len(mail.outbox) == 1
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.FAILED)
    assert reminders_retry(by=personas.admin, reminders=Reminder.objects.all()) == [reminder.pk]
    assert reminder.history.count() == 0


def test_snoozing_and_acknowledging_are_in_the_api_history_with_who_and_old_and_new(
    personas, api
) -> None:
    reminder = _reminder(personas)
    client = api(personas.lo)
    assert client.get(f"/api/v1/reminders/{reminder.pk}/history/").json() == []
    client.post(f"/api/v1/reminders/{reminder.pk}/snooze/", {"until": "2027-01-06"})
    client.post(f"/api/v1/reminders/{reminder.pk}/snooze/", {"until": "2027-01-09"})
    client.post(f"/api/v1/reminders/{reminder.pk}/acknowledge/")
    client.post(f"/api/v1/reminders/{reminder.pk}/acknowledge/")  # twice changes nothing
    answer = client.get(f"/api/v1/reminders/{reminder.pk}/history/")
    assert answer.status_code == 200, answer.content
    entries = answer.json()
    assert len(entries) == 3, entries
    changes = [{c["field"]: (c["old"], c["new"]) for c in e["changes"]} for e in entries]
    assert changes == [
        {"acknowledged_at": ("—", "2027-01-04 12:00")},
        {"snoozed_until": ("2027-01-06", "2027-01-09")},
        {"snoozed_until": ("—", "2027-01-06")},
    ]
    assert all("(maria)" in e["by"] for e in entries)


def test_someone_elses_reminder_history_answers_404(personas, api) -> None:
    reminder = _reminder(personas)
    services.reminder_acknowledge(by=personas.lo, reminder=reminder)
    path = f"/api/v1/reminders/{reminder.pk}/history/"
    assert api(personas.other_lo).get(path).status_code == 404
    assert api(personas.manager).get(path).status_code == 404


def test_the_inbox_page_shows_each_reminders_history(
    personas, django_assert_max_num_queries
) -> None:
    reminder = _reminder(personas)
    page = Client()
    page.force_login(personas.lo)
    assert "reminder-history" not in page.get("/reminders/").content.decode()
    page.post(f"/reminders/{reminder.pk}/snooze/", {"until": "2027-01-20"})
    with django_assert_max_num_queries(15):
        html = page.get("/reminders/?state=snoozed").content.decode()
    assert "History (1)" in html and "Snoozed until" in html and "2027-01-20" in html
    page.post(f"/reminders/{reminder.pk}/acknowledge/")
    html = page.get("/reminders/?state=acknowledged").content.decode()
    assert "History (2)" in html and "Acknowledged at" in html


def test_deleting_ledger_rows_with_a_history_still_works(personas) -> None:
    reminder = _reminder(personas)
    services.reminder_acknowledge(by=personas.lo, reminder=reminder)
    Reminder.objects.all().delete()
    assert not Reminder.objects.exists()
    assert Reminder.history.count() == 1  # deleting ledger rows writes no snapshot
