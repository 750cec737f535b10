from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from config.exports import (
    Column,
    Sheet,
    csv_bytes,
    csv_response,
    dated_filename,
    neutralise,
    sheet_titles,
    xlsx_bytes,
    xlsx_response,
)

COLUMNS = [Column("Text", lambda row: row[0]), Column("Value", lambda row: row[1])]
FORMULAS = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "\r=x"]


def _read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _read_xlsx(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.mark.parametrize("text", FORMULAS)
def test_a_csv_cell_that_a_spreadsheet_would_evaluate_is_written_behind_an_apostrophe(
    text: str,
) -> None:
    rows = _read_csv(csv_bytes(COLUMNS, [(text, 1)]))
    assert rows[1][0] == "'" + text


@pytest.mark.parametrize("text", FORMULAS)
def test_an_xlsx_cell_that_looks_like_a_formula_is_stored_as_text(text: str) -> None:
    sheet = _read_xlsx(xlsx_bytes([Sheet("Rows", COLUMNS, [(text, 1)])])).active
    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    # XML reads a carriage return back as a line feed; the text is otherwise intact.
    assert cell.value == text.replace("\r", "\n")


@pytest.mark.parametrize("text", ["#N/A", "#REF!", "# of partners", "plain"])
def test_an_xlsx_text_cell_that_reads_like_an_error_code_stays_that_text(text: str) -> None:
    sheet = _read_xlsx(xlsx_bytes([Sheet("Rows", COLUMNS, [(text, 1)])])).active
    cell = sheet["A2"]
    assert (cell.value, cell.data_type) == (text, "s")
    assert cell.quotePrefix is False


def test_the_xlsx_file_holds_no_formula_at_all() -> None:
    content = xlsx_bytes([Sheet("Rows", COLUMNS, [(text, 1) for text in FORMULAS])])
    sheet = _read_xlsx(content).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_numbers_and_dates_stay_typed_in_xlsx_and_a_negative_number_stays_a_number() -> None:
    moment = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    rows = [("n", -2), ("d", Decimal("3.25")), ("f", 1.5), ("day", date(2026, 12, 1))]
    rows += [("at", moment), ("yes", True), ("none", None)]
    sheet = _read_xlsx(xlsx_bytes([Sheet("Rows", COLUMNS, rows)])).active
    values = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == [
        -2,
        3.25,
        1.5,
        datetime(2026, 12, 1),
        datetime(2026, 3, 4, 10, 30),
        True,
        None,
    ]
    assert sheet["B2"].data_type == "n"
    assert sheet["B5"].is_date


def test_a_negative_number_in_csv_is_written_as_a_number() -> None:
    assert _read_csv(csv_bytes(COLUMNS, [("x", -2), ("y", Decimal("-0.5"))]))[1:] == [
        ["x", "-2"],
        ["y", "-0.5"],
    ]
    assert neutralise(-2) == -2
    assert neutralise("-2") == "'-2"


def test_control_characters_never_break_either_file() -> None:
    rows = [("a\x00b\x01c\x1fd", "line\nbreak"), ("tab\tinside", "\x0bvertical")]
    read = _read_csv(csv_bytes(COLUMNS, rows))
    assert read[1:] == [["abcd", "line\nbreak"], ["tab\tinside", "vertical"]]
    sheet = _read_xlsx(xlsx_bytes([Sheet("Rows", COLUMNS, rows)])).active
    assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ["abcd", "line\nbreak"],
        ["tab\tinside", "vertical"],
    ]


def test_accents_survive_the_csv_round_trip() -> None:
    assert _read_csv(csv_bytes(COLUMNS, [("Armada de Colombia — São Tomé", 1)]))[1][0] == (
        "Armada de Colombia — São Tomé"
    )


def test_sheet_titles_are_made_valid_short_and_unique() -> None:
    titles = sheet_titles(
        ["Agreements: [in force]?", "a" * 40, "A" * 40, "", "'quoted'", "x/y\\z*"]
    )
    assert titles[0] == "Agreements   in force"
    assert titles[1] == "a" * 31
    assert titles[2] == "A" * 27 + " (2)"
    assert titles[3] == "Sheet"
    assert titles[4] == "quoted"
    assert titles[5] == "x y z"
    assert all(len(title) <= 31 for title in titles)


def test_a_workbook_has_one_sheet_per_section_in_order() -> None:
    content = xlsx_bytes(
        [Sheet("Agreements", COLUMNS, [("a", 1)]), Sheet("Agreements", COLUMNS, [("b", 2)])]
    )
    workbook = _read_xlsx(content)
    assert workbook.sheetnames == ["Agreements", "Agreements (2)"]
    assert workbook["Agreements (2)"]["A2"].value == "b"
    assert workbook["Agreements"]["A1"].value == "Text"


def test_the_csv_response_streams_an_attachment_with_a_safe_name() -> None:
    response = csv_response(
        filename='agree"ments\r\n 2026.csv', columns=COLUMNS, rows=iter([("=1", 1)])
    )
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="agree-ments-2026.csv"'
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert _read_csv(body) == [["Text", "Value"], ["'=1", "1"]]


def test_the_xlsx_response_is_an_attachment_of_the_workbook() -> None:
    response = xlsx_response(filename="coverage.xlsx", sheets=[Sheet("Coverage", COLUMNS, [])])
    assert response["Content-Disposition"] == 'attachment; filename="coverage.xlsx"'
    assert _read_xlsx(response.content).sheetnames == ["Coverage"]


def test_a_dated_filename_names_the_day() -> None:
    assert dated_filename("agreements", "csv", on=date(2026, 12, 1)) == "agreements-2026-12-01.csv"
