"""Date arithmetic that never raises.

Validated input cannot overflow (see config.bounds), but a stored value from before the bounds,
or one written around the services, still must not take a page down: each function answers
None when the result would leave the calendar, and callers show that as a problem to fix.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def add_months(day: date, months: int) -> date | None:
    """Calendar months, clamped to the month's end (31 January + 1 month = 28/29 February);
    None if the result is not a representable date."""
    try:
        return day + relativedelta(months=months)
    except (OverflowError, ValueError):
        return None


def days_between(start: date, end: date) -> int:
    return (end - start).days


def plus_days(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except (OverflowError, ValueError):
        return None


def minus_days(day: date, days: int) -> date | None:
    try:
        return day - timedelta(days=days)
    except (OverflowError, ValueError):
        return None
