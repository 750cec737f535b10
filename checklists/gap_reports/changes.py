"""What changed since the previous done edition of the same scope: new gaps, closed gaps,
slipped dates (same gap, later date) and level changes per partner."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.gap_reports.sections import RowDraft

Section = GapReportRow.Section
_LEVEL_KINDS = ("partner_score", "area_score")


def previous_edition(report: GapReport) -> GapReport | None:
    return (
        GapReport.objects.filter(
            scope_key=report.scope_key, status=GapReport.Status.DONE, as_of__lte=report.as_of
        )
        .exclude(pk=report.pk)
        .order_by("-as_of", "-finished_at", "-id")
        .first()
    )


def _label(data: dict[str, Any]) -> str:
    for name in ("reference", "title", "item_code", "activity_type_name"):
        if data.get(name):
            return str(data[name])
    return ""


def _describe(data: dict[str, Any]) -> str:
    """ "MOU-COL-2024-001: Expires in 40 days." — what the gap is, named."""
    label = _label(data)
    what = data.get("detail") or data.get("requirement") or ""
    return ": ".join(part for part in (label, what) if part) or "a gap"


_FIELDS = ("section", "key", "kind", "partner_id", "due_on", "data")


def _changed(report: GapReport, previous: GapReport) -> tuple[list[Any], list[Any], list[Any]]:
    """Compared in the database, row by row on the gap's key (an index of both editions):
    this edition's new gaps and gaps whose date moved later, with the earlier date; and
    the previous edition's gaps this one no longer has. Only changed rows are read."""
    if connection.vendor == "postgresql":
        # This edition's rows are new to the planner, which would take them for a handful
        # and compare every pair (minutes at 100,000 rows): give it their statistics (it
        # counts the transaction's own rows). SQLite probes the key index either way.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(GapReportRow._meta.db_table)
            cursor.execute(f"ANALYZE {table} (report_id, section, key, is_gap)")
    rows = GapReportRow.objects.exclude(section=Section.CHANGES)
    now, before = rows.filter(report=report), rows.filter(report=previous)

    def same(side: QuerySet[GapReportRow]) -> QuerySet[GapReportRow]:
        return side.filter(section=OuterRef("section"), key=OuterRef("key"))

    gaps = now.filter(is_gap=True).annotate(
        existed=Exists(same(before)),
        was_due=Subquery(same(before).order_by().values("due_on")[:1]),
    )
    new_or_later = gaps.filter(Q(existed=False) | Q(was_due__lt=F("due_on")))
    found = list(new_or_later.order_by("pk").values(*_FIELDS, "existed", "was_due"))
    closed = list(
        before.filter(is_gap=True).exclude(Exists(same(now))).order_by("pk").values(*_FIELDS)
    )
    return [r for r in found if not r["existed"]], [r for r in found if r["existed"]], closed


def change_rows(
    report: GapReport, previous: GapReport | None, drafts: list[RowDraft]
) -> list[RowDraft]:
    """What changed since `previous`, once this edition's rows are written (in the same
    transaction): four queries whatever the number of rows. Level changes compare the
    score rows among `drafts` with the previous edition's levels."""
    if previous is None:
        return []
    new, later, closed = _changed(report, previous)
    changes: list[RowDraft] = []

    def add(kind: str, gap_key: str, row: dict[str, Any], detail: str, **extra: Any) -> None:
        data = row["data"]
        changes.append(
            RowDraft(
                Section.CHANGES,
                kind,
                f"{kind}:{row['section']}:{gap_key}",
                row["partner_id"],
                {
                    "partner_name": data.get("partner_name", ""),
                    "section": row["section"],
                    "kind": row["kind"],
                    "gap_key": gap_key,
                    "detail": detail,
                    **extra,
                },
                is_gap=False,
                sort_key=(["new", "slipped", "level", "closed"].index(kind), row["section"]),
            )
        )

    for row in new:
        add("new", row["key"], row, f"New: {_describe(row['data'])}")
    for row in later:
        _slipped(add, row["key"], row, row["was_due"], row["due_on"], _label(row["data"]))
    levels = dict(
        GapReportRow.objects.filter(report=previous, kind__in=_LEVEL_KINDS)
        .exclude(section=Section.CHANGES)
        .values_list("key", "data__level")
    )
    for draft in drafts:
        if draft.kind not in _LEVEL_KINDS or draft.key not in levels:
            continue
        was, is_ = levels[draft.key], draft.data.get("level")
        if was != is_:
            row = {
                "section": draft.section,
                "kind": draft.kind,
                "partner_id": draft.partner_id,
                "data": draft.data,
            }
            add(
                "level",
                draft.key,
                row,
                f"Level {draft.data.get('area_label') or 'overall'}: {was} → {is_}.",
                area=draft.data.get("area", ""),
                before=was,
                after=is_,
            )
    for row in closed:
        add("closed", row["key"], row, f"Closed: {_describe(row['data'])}")
    return changes


def _slipped(
    add: Any, key: str, row: dict[str, Any], was: date | None, is_: date | None, label: str
) -> None:
    # Deadlines that moved later; a review already overdue moving nowhere is not a slip.
    if was and is_ and is_ > was and row["kind"] not in ("legal_review", "pending_review"):
        add(
            "slipped",
            key,
            row,
            f"{label}: date moved from {was.isoformat()} to {is_.isoformat()}.",
            before=was.isoformat(),
            after=is_.isoformat(),
        )
