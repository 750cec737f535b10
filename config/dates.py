from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    return day + relativedelta(months=months)


def days_between(start: date, end: date) -> int:
    return (end - start).days


def minus_days(day: date, days: int) -> date:
    return day - timedelta(days=days)
