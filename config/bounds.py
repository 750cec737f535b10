"""Bounds on dates and periods that the models and the register import both check."""

from __future__ import annotations

from datetime import date

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
MAX_INTERVAL_MONTHS = 600
MAX_NOTICE_DAYS = 3650
MAX_CONSENT_LEAD_DAYS = 3650
