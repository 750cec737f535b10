"""Tabular export written once: a door gives columns and rows, this writes CSV or XLSX.

Every export (the list pages, coverage, the gap report sections) goes through here, so
spreadsheet formula injection is neutralised in one place: a text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return would be read as a formula by Excel or LibreOffice, so
CSV writes it behind an apostrophe and XLSX stores it as text that is never evaluated. Numbers
and dates stay typed in XLSX; characters no spreadsheet file may hold are dropped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text openpyxl would not store as text as it is: formulas, and error codes ("#N/A", "#REF!").
_NOT_PLAIN_TEXT = (*FORMULA_STARTS, "#")
# Control characters an XML file (XLSX) cannot hold and that break CSV readers (NUL);
# tab, line feed and carriage return are kept, they are ordinary text in a cell.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SHEET_TITLE_MAX = 31


@dataclass(frozen=True)
class Column:
    """One column: its header and how to read its value from a row."""

    header: str
    value: Callable[[Any], object]


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Any]


def _clean_text(text: str) -> str:
    return _CONTROL.sub("", text)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """A value as a CSV cell may hold it: text that a spreadsheet would evaluate is put behind
    an apostrophe (which spreadsheets read as "this is text"), control characters are dropped.
    Numbers, dates and None pass through; a negative number is a number, not a formula."""
    if isinstance(value, str):
        text = _clean_text(value)
        return "'" + text if is_formula_like(text) else text
    return value


def _local(value: datetime) -> datetime:
    """Spreadsheets know no time zones: a moment is written in Accord's local time."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    return neutralise(str(value))


class _Line:
    """A file-like that hands back what csv.writer writes, so rows stream one at a time."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(columns: Sequence[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte-order mark makes Excel read the file as UTF-8 (accents, “quotes”) instead of
    # the machine's legacy code page.
    yield "\ufeff" + writer.writerow([neutralise(column.header) for column in columns])
    for row in rows:
        yield writer.writerow([_csv_cell(column.value(row)) for column in columns])


def csv_bytes(columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    return "".join(_csv_lines(columns, rows)).encode("utf-8")


def sheet_titles(titles: Iterable[str]) -> list[str]:
    """Titles a workbook accepts: no []:*?/\\, at most 31 characters, not starting or ending
    with an apostrophe, and unique regardless of case (as Excel compares them)."""
    seen: set[str] = set()
    valid: list[str] = []
    for title in titles:
        base = _SHEET_FORBIDDEN.sub(" ", _clean_text(title)).strip().strip("'").strip()
        base = base[:SHEET_TITLE_MAX].rstrip() or "Sheet"
        candidate, number = base, 1
        while candidate.casefold() in seen:
            number += 1
            suffix = f" ({number})"
            candidate = base[: SHEET_TITLE_MAX - len(suffix)].rstrip() + suffix
        seen.add(candidate.casefold())
        valid.append(candidate)
    return valid


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """A value as a write-only sheet takes it: plain (openpyxl types it), or a cell where its
    typing must be overridden. A cell object per value was most of a large workbook's time
    (openpyxl tries each appended value as a value first, and fails on a cell)."""
    if value is None or isinstance(value, bool | int | float | Decimal | time):
        return value
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_local(value))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        return value  # openpyxl writes it as a date, formatted yyyy-mm-dd
    text = _clean_text(str(value))
    if not text.startswith(_NOT_PLAIN_TEXT):
        return text
    # openpyxl stores a str beginning with "=" as a formula and "#N/A" as an error; force
    # text, and mark a formula-like one with the quote prefix so an edit in Excel or
    # LibreOffice keeps it text too.
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def _write_sheet(sheet: WriteOnlyWorksheet, columns: Sequence[Column], rows: Iterable[Any]) -> None:
    bold = Font(bold=True)
    for index, column in enumerate(columns):
        letter = get_column_letter(index + 1)
        # A write-only sheet takes column widths before its first row; the stubs omit them.
        width = max(12, min(60, len(column.header) + 4))
        sheet.column_dimensions[letter].width = width  # type: ignore[attr-defined]
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        text = _clean_text(column.header)
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cell.quotePrefix = is_formula_like(text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    values = [column.value for column in columns]
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value(row)) for value in values])


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    sheets = list(sheets)
    workbook = Workbook(write_only=True)
    for sheet, title in zip(sheets, sheet_titles(s.title for s in sheets), strict=True):
        _write_sheet(workbook.create_sheet(title=title), sheet.columns, sheet.rows)
    if not sheets:
        workbook.create_sheet(title="Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def safe_filename(filename: str, *, default: str = "export") -> str:
    """A download name any browser and file system take: letters, digits, dot, dash,
    underscore; e.g. "agreements-2026-12-01.csv"."""
    name = _FILENAME_UNSAFE.sub("-", filename).strip("-.")
    return name[:150] or default


def dated_filename(stem: str, extension: str, *, on: date | None = None) -> str:
    """ "agreements-2026-12-01.csv": what it is and the day it was taken."""
    on = on or timezone.localdate()
    return safe_filename(f"{stem}-{on.isoformat()}.{extension}")


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    disposition = content_disposition_header(as_attachment=True, filename=safe_filename(filename))
    if disposition:
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"


def csv_response(
    *, filename: str, columns: Sequence[Column], rows: Iterable[Any]
) -> StreamingHttpResponse:
    """Streams the rows as they are read: a long list never sits whole in memory."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in _csv_lines(columns, rows)), content_type=CSV_TYPE
    )
    _attachment(response, filename)
    return response


def xlsx_response(*, filename: str, sheets: Iterable[Sheet]) -> HttpResponse:
    return file_response(filename=filename, content=xlsx_bytes(sheets), content_type=XLSX_TYPE)


def file_response(*, filename: str, content: bytes, content_type: str) -> HttpResponse:
    """A file made beforehand (or just now), as a download with its length."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Length"] = str(len(content))
    _attachment(response, filename)
    return response
