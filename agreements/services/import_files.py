"""Reading a register file (CSV or XLSX) into a table, with every limit checked first.

A hostile file is refused with a message that names the problem, in bounded time and memory,
before any row is read: an .xlsx that is not a zip or is cut short, a zip bomb (total unpacked
size or compression ratio), XML with a DTD or entities (billion laughs), a sheet that declares
more rows or columns than the limits, more rows than ACCORD_IMPORT_MAX_ROWS, lines or cells
longer than their limits. The limits are settings (see README.md).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings

#: Parts of an OOXML package that are XML, and so scanned for DTDs and entities.
XML_PARTS = (".xml", ".rels", ".vml")
MAX_ZIP_MEMBERS = 1_000
#: Only a large part can be a bomb; small parts (styles, themes) compress very well legitimately.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
SCAN_CHUNK_BYTES = 64 * 1024
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, encoding, limits, missing columns)."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


def read_table(*, content: bytes, filename: str) -> list[list[Any]]:
    """The file's rows as lists of cell values, header first; limits checked as it is read."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        return _csv_table(content)
    if suffix == ".xlsx":
        check_xlsx_archive(content)
        return _xlsx_table(content)
    raise ImportFileError(f"“{suffix or filename}” files are not read; upload .csv or .xlsx.")


def _too_many_rows() -> ImportFileError:
    limit = settings.ACCORD_IMPORT_MAX_ROWS
    return ImportFileError(
        f"The file has more than {limit:,} rows below the header; the limit is {limit:,} "
        "(ACCORD_IMPORT_MAX_ROWS). Split it into several files."
    )


def _check_cells(values: list[Any], *, row: int) -> None:
    if len(values) > settings.ACCORD_IMPORT_MAX_COLUMNS:
        raise ImportFileError(
            f"Row {row} has {len(values):,} columns; the limit is "
            f"{settings.ACCORD_IMPORT_MAX_COLUMNS:,}."
        )
    limit = settings.ACCORD_IMPORT_MAX_CELL_CHARS
    for index, value in enumerate(values, start=1):
        if isinstance(value, str) and len(value) > limit:
            raise ImportFileError(
                f"Row {row}, column {index}: the value is {len(value):,} characters long; "
                f"the limit is {limit:,}."
            )


# --- CSV -------------------------------------------------------------------------------------


def _csv_table(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte {error.start} cannot be read). Save it as "
            "“CSV UTF-8” and upload it again."
        ) from None
    reader = csv.reader(_checked_lines(text))
    table: list[list[Any]] = []
    try:
        for values in reader:
            if len(table) > settings.ACCORD_IMPORT_MAX_ROWS:
                raise _too_many_rows()
            _check_cells(values, row=len(table) + 1)
            table.append(values)
    except csv.Error as error:
        if "field limit" in str(error):
            message = (
                f"Line {reader.line_num} of the file: a value is longer than "
                f"{csv.field_size_limit():,} characters; the limit is "
                f"{settings.ACCORD_IMPORT_MAX_CELL_CHARS:,}."
            )
        else:
            message = f"Line {reader.line_num} of the file is not valid CSV ({error})."
        raise ImportFileError(message) from None
    return table


def _checked_lines(text: str) -> Iterator[str]:
    """The file's lines for the CSV reader, each refused past the line limit: one pass, that
    stops where the reader stops."""
    limit = settings.ACCORD_IMPORT_MAX_LINE_CHARS
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limit:
            raise ImportFileError(
                f"Line {number} of the file is {len(line):,} characters long; the limit is "
                f"{limit:,}."
            )
        yield line


# --- XLSX ------------------------------------------------------------------------------------


def check_xlsx_archive(content: bytes) -> None:
    """Refuse a workbook whose package is not a sound, reasonably sized zip of plain XML."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportFileError(
            "The file is not an XLSX workbook: it is not a zip archive, or it is cut short. "
            "Save it from the spreadsheet program as .xlsx and upload it again."
        ) from None
    with archive:
        members = archive.infolist()
        _check_sizes(members)
        for member in members:
            if member.filename.lower().endswith(XML_PARTS):
                _scan_xml_part(archive, member)


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError(
            f"The workbook holds {len(members):,} parts; a register has a few dozen at most."
        )
    limit = settings.ACCORD_IMPORT_MAX_UNZIPPED_BYTES
    total = sum(member.file_size for member in members)
    if total > limit:
        raise ImportFileError(
            f"The workbook unpacks to {total:,} bytes; the limit is {limit:,} "
            "(ACCORD_IMPORT_MAX_UNZIPPED_BYTES)."
        )
    ratio_limit = settings.ACCORD_IMPORT_MAX_ZIP_RATIO
    for member in members:
        if member.flag_bits & 0x1:
            raise ImportFileError("The workbook is encrypted; save it without a password.")
        if member.file_size < RATIO_CHECKED_FROM_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > ratio_limit:
            raise ImportFileError(
                f"The workbook part {member.filename} is compressed {ratio:,.0f} to 1; the "
                f"limit is {ratio_limit:,} to 1 (ACCORD_IMPORT_MAX_ZIP_RATIO)."
            )


def _scan_xml_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Stream one part (which also checks its checksum) looking for a DTD or an entity, and,
    in a worksheet, the dimension it declares."""
    # A worksheet's head (up to its cell data) is kept to read the size it declares.
    head: bytes | None = b"" if member.filename.lower().startswith("xl/worksheets/") else None
    tail = b""
    try:
        with archive.open(member) as part:
            for chunk in iter(lambda: part.read(SCAN_CHUNK_BYTES), b""):
                window = tail + chunk
                if _DTD.search(window):
                    raise ImportFileError(
                        f"The workbook part {member.filename} declares a DTD or entities, "
                        "which a spreadsheet never needs (they can expand without end); "
                        "save the workbook again from the spreadsheet program."
                    )
                if head is not None:
                    head += chunk
                    if _SHEET_DATA.search(head) or len(head) > SCAN_CHUNK_BYTES:
                        _check_dimension(head, member.filename)
                        head = None
                tail = window[-16:]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise ImportFileError(
            f"The workbook is damaged: part {member.filename} cannot be unpacked ({error}). "
            "It may be cut short; save it again and upload it again."
        ) from None
    if head:
        _check_dimension(head, member.filename)


def _check_dimension(head: bytes, part: str) -> None:
    from openpyxl.utils.cell import range_boundaries

    match = _DIMENSION.search(head)
    if match is None:
        return
    ref = match.group(1).decode("ascii", "replace")
    try:
        _, _, max_column, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        raise ImportFileError(f"The sheet {part} declares an unreadable size “{ref}”.") from None
    rows, columns = settings.ACCORD_IMPORT_MAX_ROWS, settings.ACCORD_IMPORT_MAX_COLUMNS
    if (max_row or 0) > rows + 1 or (max_column or 0) > columns:
        raise ImportFileError(
            f"The sheet declares its size as {ref} ({max_row or 0:,} rows, "
            f"{max_column or 0:,} columns); the limits are {rows:,} rows below the header "
            f"and {columns:,} columns. Delete the empty rows and columns, or split the file."
        )


# The errors openpyxl (and the XML parser under it) raise on a malformed workbook.
_XLSX_ERRORS = (
    KeyError,
    IndexError,
    OSError,
    ValueError,
    TypeError,
    OverflowError,
    AttributeError,
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
)


def _xlsx_table(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_ERRORS) as error:
        raise ImportFileError(f"The file is not a readable XLSX workbook ({error}).") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("The workbook has no sheet.")
        return list(_sheet_rows(workbook.worksheets[0]))
    except _XLSX_ERRORS as error:
        raise ImportFileError(
            f"The sheet cannot be read ({type(error).__name__}: {error})."
        ) from None
    finally:
        workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[list[Any]]:
    # The declared size is not trusted (it was checked, but a sheet may also leave it out):
    # rows are counted as they stream, gaps included, and no row is wider than the limit.
    sheet.reset_dimensions()
    limit = settings.ACCORD_IMPORT_MAX_ROWS
    for number, values in enumerate(
        sheet.iter_rows(max_col=settings.ACCORD_IMPORT_MAX_COLUMNS, values_only=True), start=1
    ):
        if number > limit + 1:
            raise _too_many_rows()
        row = list(values)
        _check_cells(row, row=number)
        yield row
