"""What each section of an edition shows as a table: one column list per section, read by the
page's detail tables, the PDF's and the XLSX/CSV downloads alike (config.exports writes the
files), so the three never disagree about what a gap report contains."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.gap_reports.selectors import Summary
from config.exports import Column

Section = GapReportRow.Section

KIND_LABELS = {
    "partner_score": "Partner score",
    "area_score": "Area score",
    "item": "Open item",
    "not_assessed": "No approved assessment",
    "expiring": "Expires",
    "notice": "Notice deadline",
    "review_overdue": "Review overdue",
    "lapsed": "Lapsed, no successor",
    "legal_review": "Stuck in legal review",
    "pending_review": "Pending legal review",
    "unmandated_activity": "Activity without approved mandate",
    "blocked": "Engagement blocked",
    "consent": "Engagement needs consent",
    "new": "New gap",
    "closed": "Closed gap",
    "slipped": "Date slipped",
    "level": "Level changed",
}
LEVEL_LABELS = {
    3: "3 interoperable",
    2: "2 compatible",
    1: "1 deconflicted",
    0: "0 not interoperable",
}


CHANGE_PHRASES = {
    "new": ("new gap", "new gaps"),
    "closed": ("closed gap", "closed gaps"),
    "slipped": ("slipped date", "slipped dates"),
    "level": ("level change", "level changes"),
}


def change_words(kind: str, count: int) -> str:
    """ "new gaps" after 7, "closed gap" after 1: how the summary says what changed."""
    one, many = CHANGE_PHRASES.get(kind, (kind, kind))
    return one if count == 1 else many


def generated_by(report: GapReport) -> str:
    if report.generated_by is not None:
        return report.generated_by.get_full_name() or report.generated_by.get_username()
    if report.trigger == GapReport.Trigger.SCHEDULED:
        return "the weekly schedule"
    return "the system (manage.py generate_gap_report)"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _data(key: str) -> Callable[[GapReportRow], object]:
    return lambda row: row.data.get(key)


def _date(key: str) -> Callable[[GapReportRow], object]:
    def value(row: GapReportRow) -> object:
        raw = row.data.get(key)
        if not raw:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            return raw

    return value


def _join(key: str) -> Callable[[GapReportRow], object]:
    return lambda row: ", ".join(str(v) for v in row.data.get(key) or [])


def _level(row: GapReportRow) -> object:
    level = row.data.get("level")
    return LEVEL_LABELS.get(level, level) if isinstance(level, int) else level


def _partner(row: GapReportRow) -> object:
    return row.data.get("partner_name") or ("All partners" if row.partner_id is None else "")


def _change_value(key: str) -> Callable[[GapReportRow], object]:
    def value(row: GapReportRow) -> object:
        raw = row.data.get(key)
        if row.kind == "level" and isinstance(raw, int):
            return LEVEL_LABELS.get(raw, raw)
        return raw

    return value


def gap_title(row: GapReportRow) -> str:
    """One readable line for a gap: the row's own sentence, or its item and requirement."""
    data = row.data
    if row.kind == "item":
        result = data.get("result_label", "")
        return f"{data.get('item_code', '')} {data.get('requirement', '')} ({result})"
    return str(data.get("detail") or kind_label(row.kind))


PARTNER = Column("Partner", _partner)
GAP = Column("Gap", lambda row: kind_label(row.kind))
SEVERITY = Column("Severity", lambda row: row.severity)
BLOCKS = Column("Blocks planned work", lambda row: row.blocks_planned_work)
DETAIL = Column("Detail", _data("detail"))

MANDATE_OR_ACTIVITY = Column(
    "Mandate or activity",
    lambda row: row.data.get("title") or row.data.get("activity_type_name"),
)


def _gap_file_columns(*own: Column) -> list[Column]:
    """A legal section's columns in the files: who, which gap, its own facts, how serious."""
    return [PARTNER, GAP, *own, SEVERITY, DETAIL]


def _gap_detail_columns(*own: Column) -> list[Column]:
    """The same section on the page and in the PDF: fewer facts, no severity column (the rows
    are already in order of importance)."""
    return [PARTNER, GAP, *own, DETAIL]


COLUMNS: dict[str, Sequence[Column]] = {
    Section.INTEROPERABILITY: [
        PARTNER,
        Column("Row", lambda row: kind_label(row.kind)),
        Column("Area", _data("area_label")),
        Column("Score", lambda row: row.score),
        Column("Level", _level),
        Column("Item", _data("item_code")),
        Column("Requirement", _data("requirement")),
        Column("Result", _data("result_label")),
        Column("Criticality", _data("criticality")),
        Column("Weight", _data("weight")),
        Column("Owner", _data("owner")),
        Column("Remediation due", _date("remediation_due_on")),
        Column("Overdue", _data("overdue")),
        DETAIL,
    ],
    Section.AGREEMENTS: _gap_file_columns(
        Column("Reference", _data("reference")),
        Column("Title", _data("title")),
        Column("Status", _data("status_label")),
        Column("Activities", _join("activity_types")),
        Column("Date", _date("date")),
        Column("Days", _data("days")),
        Column("In review since", _date("since")),
        Column("Planned engagements", _data("engagements")),
        BLOCKS,
    ),
    Section.MANDATES: _gap_file_columns(
        MANDATE_OR_ACTIVITY,
        Column("Citation", _data("citation")),
        Column(
            "Date",
            lambda row: _date("date")(row) or _date("since")(row) or _date("first_starts_on")(row),
        ),
        Column("Days", _data("days")),
        Column("Planned engagements", _data("engagements")),
        BLOCKS,
    ),
    Section.SOVEREIGNTY: _gap_file_columns(
        Column("Engagement", _data("title")),
        Column("Activity", _data("activity_type_name")),
        Column("Starts", _date("starts_on")),
        Column("Ends", _date("ends_on")),
        Column("Verdict", _data("verdict")),
        Column("Request consent by", _date("request_by")),
        Column("Overdue", _data("overdue")),
    ),
    Section.CHANGES: [
        Column("Change", lambda row: kind_label(row.kind)),
        Column(
            "Section",
            lambda row: (
                str(Section(row.data["section"]).label)
                if row.data.get("section") in Section.values
                else row.data.get("section")
            ),
        ),
        PARTNER,
        Column("Was", _change_value("before")),
        Column("Now", _change_value("after")),
        DETAIL,
    ],
}

#: The page's and the PDF's detail tables: the gaps a reader acts on, fewer columns than the
#: files (scores are in the heat map; the files keep every column for analysis).
DETAIL_COLUMNS: dict[str, Sequence[Column]] = {
    Section.INTEROPERABILITY: [
        PARTNER,
        Column("Area", _data("area_label")),
        Column(
            "Item", lambda row: gap_title(row) if row.kind == "item" else row.data.get("detail")
        ),
        Column("Criticality", _data("criticality")),
        Column("Weight", _data("weight")),
        Column("Owner", _data("owner")),
        Column("Remediation due", _date("remediation_due_on")),
    ],
    Section.AGREEMENTS: _gap_detail_columns(
        Column("Agreement", _data("reference")),
        Column("Date", _date("date")),
        Column("Planned engagements", _data("engagements")),
    ),
    Section.MANDATES: _gap_detail_columns(MANDATE_OR_ACTIVITY),
    Section.SOVEREIGNTY: _gap_detail_columns(
        Column("Engagement", _data("title")),
        Column("Starts", _date("starts_on")),
        Column("Request consent by", _date("request_by")),
    ),
    Section.CHANGES: COLUMNS[Section.CHANGES],
}


def section_label(section: str) -> str:
    return str(Section(section).label)


def summary_lines(report: GapReport, summary: Summary, *, marking: str) -> list[tuple[str, object]]:
    """The executive summary as label/value lines: the XLSX's first sheet."""
    lines: list[tuple[str, object]] = [
        ("Marking", marking),
        ("Scope", report.scope_label),
        ("As of", report.as_of),
        ("Horizon (days)", report.horizon_days),
        ("Generated", report.finished_at),
        ("Generated by", generated_by(report)),
        ("Partners scored", summary.partners),
        ("Average score", summary.average_score),
        ("Gaps blocking planned work", summary.blocking),
    ]
    lines += [(f"Open gaps: {section_label(s)}", n) for s, n in summary.counts.items()]
    lines += [(f"Changes: {kind_label(k)}", n) for k, n in summary.changes.items()]
    lines += [
        (f"Top gap {n}", f"{_partner(row) or '—'}: {gap_title(row)}")
        for n, row in enumerate(summary.top, start=1)
    ]
    return lines


SUMMARY_COLUMNS = [Column("", lambda line: line[0]), Column("", lambda line: line[1])]


def table(columns: Sequence[Column], rows: Sequence[Any]) -> dict[str, Any]:
    """Headers and cell values for a template: `{% for cell in row %}`."""
    return {
        "headers": [c.header for c in columns],
        "rows": [(row, [c.value(row) for c in columns]) for row in rows],
    }
