"""The inbox says what each reminder is, read today: "Due today" only on the day, a reminder on
the day read (or delivered) later says how long ago, escalations say after how long."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from agreements.models import Agreement
from config.reminders.inbox import InboxEntry
from config.reminders.models import Reminder
from config.reminders.registry import Wording
from config.reminders.scan import scan
from tests.factories import AgreementFactory

TODAY = date(2027, 1, 4)
NOON = datetime(2027, 1, 4, 12, tzinfo=ZoneInfo("UTC"))


def _entry(*, lead: int, days_left: int) -> InboxEntry:
    reminder = Reminder(kind="agreements.expiry", due_on=TODAY + timedelta(days=days_left))
    reminder.lead_days = lead
    return InboxEntry(
        reminder=reminder,
        kind_label="Agreement expiry",
        wording=Wording(subject="s", sentence="x", why="y", action="z"),
        url="/",
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("lead", "days_left", "label"),
    [
        (0, 0, "Due today"),
        (0, -1, "Due 1 day ago"),
        (0, -3, "Due 3 days ago"),
        (30, 30, "30 days before the date"),
        (30, 25, "30 days before the date"),
        (1, 1, "1 day before the date"),
        (7, 0, "7 days before the date; due today"),
        (7, -2, "7 days before the date; due 2 days ago"),
        (-7, -7, "Escalation after 7 days overdue"),
        (-1, -4, "Escalation after 1 day overdue"),
    ],
)
def test_each_lead_and_escalation_reads_what_it_is_today(lead, days_left, label) -> None:
    assert _entry(lead=lead, days_left=days_left).reminded == label


def test_a_reminder_on_the_day_delivered_late_says_how_long_ago_on_the_page_and_in_the_api(
    personas, api
) -> None:
    with time_machine.travel(NOON, tick=False):
        AgreementFactory(
            status=Agreement.Status.IN_FORCE,
            expires_on=TODAY - timedelta(days=3),  # the run on the day was missed
            owner=personas.lo,
            parties=[personas.colombia],
        )
        scan(as_of=TODAY)
        reminder = Reminder.objects.get(recipient=personas.lo, kind="agreements.expiry")
        assert reminder.lead_days == 0
        page = Client()
        page.force_login(personas.lo)
        html = page.get("/reminders/").content.decode()
        rows = api(personas.lo).get("/api/v1/reminders/").json()["results"]
    assert "Due 3 days ago" in html and "On the day" not in html
    assert [row["reminded"] for row in rows if row["id"] == reminder.pk] == ["Due 3 days ago"]
