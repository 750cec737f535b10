"""What changed since the previous done edition of the same scope: new gaps, closed gaps,
slipped dates (same gap, later date) and level changes per partner."""

from __future__ import annotations

from datetime import date
from typing import Any

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


#: Up to this many closed gaps have their contents read by id; more are read with the
#: previous edition's gaps whole (one query either way, within any database's parameter limit).
_CLOSED_BY_ID = 5000


def _previous_rows(previous: GapReport) -> dict[tuple[str, str], dict[str, Any]]:
    """The previous edition's rows without their contents, which only the score rows (their
    level) need here: decoding every row's JSON was most of the comparison's time."""
    rows = GapReportRow.objects.filter(report=previous).exclude(section=Section.CHANGES)
    before = {
        (r["section"], r["key"]): dict(r, data={})
        for r in rows.values("pk", "section", "key", "kind", "partner_id", "is_gap", "due_on")
    }
    levels: dict[Any, Any] = dict(rows.filter(kind__in=_LEVEL_KINDS).values_list("pk", "data"))
    for row in before.values():
        row["data"] = levels.get(row["pk"], {})
    return before


def _with_contents(previous: GapReport, closed: list[dict[str, Any]]) -> None:
    """The contents of the closed gaps, which their change rows describe: one query."""
    if not closed:
        return
    rows = GapReportRow.objects.filter(report=previous, is_gap=True)
    if len(closed) <= _CLOSED_BY_ID:
        rows = rows.filter(pk__in=[row["pk"] for row in closed])
    contents: dict[Any, Any] = dict(rows.values_list("pk", "data"))
    for row in closed:
        row["data"] = contents.get(row["pk"], {})


def change_rows(drafts: list[RowDraft], previous: GapReport | None) -> list[RowDraft]:
    """Three queries: the previous edition's rows (key, section, kind, partner, date), its
    score rows' levels, and the contents of the gaps closed since."""
    if previous is None:
        return []
    before = _previous_rows(previous)
    now = {(d.section, d.key): d for d in drafts}
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

    def row_of(draft: RowDraft) -> dict[str, Any]:
        return {
            "section": draft.section,
            "key": draft.key,
            "kind": draft.kind,
            "partner_id": draft.partner_id,
            "data": draft.data,
        }

    # Most gaps are unchanged: a row is built only for one that changed.
    for (_, key), draft in now.items():
        old = before.get((draft.section, key))
        if draft.is_gap and old is None:
            add("new", key, row_of(draft), f"New: {_describe(draft.data)}")
        elif draft.is_gap and old is not None:
            is_ = draft.due_on
            if old["due_on"] and is_ and is_ > old["due_on"]:
                _slipped(add, key, row_of(draft), old["due_on"], is_, _label(draft.data))
        elif draft.kind in _LEVEL_KINDS and old is not None:
            was, is_ = old["data"].get("level"), draft.data.get("level")
            if was != is_:
                area = draft.data.get("area", "")
                where = draft.data.get("area_label") or "overall"
                add(
                    "level",
                    key,
                    row_of(draft),
                    f"Level {where}: {was} → {is_}.",
                    area=area,
                    before=was,
                    after=is_,
                )
    closed = [old for at, old in before.items() if old["is_gap"] and at not in now]
    _with_contents(previous, closed)
    for old in closed:
        add("closed", old["key"], old, f"Closed: {_describe(old['data'])}")
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
