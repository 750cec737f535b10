"""How Accord writes what it shows people: one date format on every page and in findings."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone


def day(value: date | datetime | None, empty: str = "") -> str:
    """A date as "14 Mar 2027" (day without a leading zero, the month's short English name)."""
    if value is None:
        return empty
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.day} {value:%b %Y}"


@lru_cache(maxsize=4096)  # a feed words the same few hundred days thousands of times
def long_day(value: date) -> str:
    """A date as "14 March 2027", for sentences in reminders and reports."""
    return f"{value.day} {value:%B %Y}"


def span_of_days(days: int) -> str:
    """A number of days as people say it: days up to two months ("9 days"), then months up to
    two years ("7 months"), then years ("25 years"), counted down (never more than it is).
    Used for "in …" and "overdue by …" on the desk, in the inbox and in e-mails."""
    days = abs(days)
    if days <= 60:
        count, unit = days, "day"
    elif days <= 730:
        count, unit = int(days // 30.4375), "month"
    else:
        count, unit = int(days // 365.25), "year"
    return f"{count} {unit}{'s' if count != 1 else ''}"
