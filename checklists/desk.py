"""What the checklists app adds to the desk: the latest portfolio gap report's summary on a
manager's desk."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User

from checklists.gap_reports import tables
from checklists.gap_reports.selectors import (
    gap_report_summary,
    gap_report_trend,
    latest_gap_report,
)
from config.desk import DeskPanel, register_panel
from config.roles import Role

TOP_GAPS = 5


def _latest_gap_report(user: User, today: date) -> dict[str, Any]:
    report = latest_gap_report(user)
    if report is None:
        return {"report": None}
    summary = gap_report_summary(report, user)
    trend = gap_report_trend(report, user, limit=6)
    return {
        "report": report,
        "summary": summary,
        "counts": [(tables.section_label(s), n) for s, n in summary.counts.items()],
        "change_counts": [(n, tables.change_words(k, n)) for k, n in summary.changes.items()],
        "top": [
            (row, tables.kind_label(row.kind), tables.gap_title(row))
            for row in summary.top[:TOP_GAPS]
        ],
        "trend": trend,
        "age_days": (today - report.as_of).days,
    }


def register() -> None:
    register_panel(
        DeskPanel(
            code="checklists.latest_gap_report",
            role=Role.MANAGER,
            template="checklists/gap_reports/_desk_summary.html",
            context=_latest_gap_report,
        )
    )
