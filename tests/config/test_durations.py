"""How long until, or how long overdue: days up to two months, then months, then years — the
same words on the desk, in the inbox and in e-mails ("overdue by 25 years", not 9182 days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from agreements.models import Agreement
from config.display import span_of_days
from config.reminders.delivery import Notice
from config.reminders.models import Reminder
from config.reminders.registry import Wording, get_kind
from tests.factories import AgreementFactory

TODAY = date(2027, 1, 4)
NOON = datetime(2027, 1, 4, 12, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (0, "0 days"),
        (1, "1 day"),
        (-1, "1 day"),
        (9, "9 days"),
        (60, "60 days"),
        (61, "2 months"),
        (75, "2 months"),
        (400, "13 months"),
        (729, "23 months"),
        (730, "23 months"),
        (731, "2 years"),
        (1500, "4 years"),
        (-9182, "25 years"),
    ],
)
def test_a_span_of_days_reads_in_days_then_months_then_years(days, said) -> None:
    assert span_of_days(days) == said


def _agreement(personas, days: int) -> Agreement:
    return AgreementFactory(
        status=Agreement.Status.IN_FORCE,
        expires_on=TODAY + timedelta(days=days),
        owner=personas.lo,
        parties=[personas.colombia],
    )


def test_the_desk_says_how_long_in_months_and_years_beyond_two_months(personas) -> None:
    assert timezone.localdate() == TODAY
    _agreement(personas, -1500)
    _agreement(personas, -3)
    _agreement(personas, 75)
    client = Client()
    client.force_login(personas.lo)
    html = client.get("/").content.decode()
    assert "4 years overdue" in html and "3 days overdue" in html and "in 2 months" in html
    assert "1500 days" not in html and "75 days" not in html


def test_the_inbox_says_how_long_ago_in_years(personas) -> None:
    agreement = _agreement(personas, -800)
    Reminder.objects.create(
        kind="agreements.expiry",
        subject_id=agreement.pk,
        due_on=agreement.expires_on,
        lead_days=0,
        recipient=personas.lo,
        armed_on=agreement.expires_on,
    )
    client = Client()
    client.force_login(personas.lo)
    html = client.get("/reminders/").content.decode()
    assert "2 years ago" in html and "800 days" not in html


def test_an_email_says_overdue_by_years_in_its_subject_and_body(personas) -> None:
    notice = Notice(
        reminder=Reminder(kind="agreements.expiry", due_on=date(2001, 11, 10), lead_days=-7),
        kind=get_kind("agreements.expiry"),
        wording=Wording(subject="SR-JAM-1997-001 — Ship-rider", sentence="", why="", action=""),
        url="http://127.0.0.1:8000/agreements/1/",
        days_left=-9182,
    )
    assert notice.when == "overdue by 25 years"
    assert notice.subject_line == "Agreement expiry overdue by 25 years: SR-JAM-1997-001"
    assert Notice(**{**notice.__dict__, "days_left": 75}).when == "in 2 months"
