"""`{% load gap_reports %}`: one cell of a gap report table, shown the same in page and PDF."""

from __future__ import annotations

from datetime import date

from django import template

from config import display

register = template.Library()


@register.filter
def report_cell(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return display.day(value)
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)
