"""Hostile register files, built small with the zipfile module: for the tests and for
`manage.py bench`, which measures how fast and how cheaply each is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Register" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>reference</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>title</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>kind</t></is></c>'
    '<c r="D1" t="inlineStr"><is><t>partner</t></is></c></row>'
)


def _workbook(sheet_xml: str | None = None, *, workbook_xml: str = WORKBOOK) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook_xml)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if sheet_xml is not None:
            archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buffer.getvalue()


def huge_dimension_xlsx() -> bytes:
    """About 1 KB, declaring the whole grid: openpyxl in read-only mode would trust it."""
    return _workbook(
        f'{SHEET_OPEN}<dimension ref="A1:XFD1048576"/><sheetData>{HEADER_ROW}'
        "</sheetData></worksheet>"
    )


def far_row_xlsx() -> bytes:
    """No declared size, but a row numbered a billion: streaming fills the gap row by row."""
    return _workbook(
        f'{SHEET_OPEN}<sheetData>{HEADER_ROW}<row r="1000000000"><c r="A1000000000" '
        't="inlineStr"><is><t>X</t></is></c></row></sheetData></worksheet>'
    )


def billion_laughs_xlsx() -> bytes:
    """The workbook part declares ten nested entities, each ten of the one before."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    workbook = (
        '<?xml version="1.0"?><!DOCTYPE workbook ['
        + "".join(entities)
        + "]>"
        + WORKBOOK.split("?>", 1)[1].replace('name="Register"', 'name="&lol9;"')
    )
    return _workbook(
        f"{SHEET_OPEN}<sheetData>{HEADER_ROW}</sheetData></worksheet>", workbook_xml=workbook
    )


def zip_bomb_xlsx(path: Path, *, size: int = 1024**3) -> Path:
    """A workbook whose sheet inflates to `size` bytes (1 GB): a highly compressible stream,
    written in chunks so it is never held in memory."""
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f"{SHEET_OPEN}<sheetData>{HEADER_ROW}".encode())
            written = 0
            while written < size:
                sheet.write(chunk)
                written += len(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


def not_a_zip() -> bytes:
    return b"reference,title,kind,partner\nMOU-1,Training,mou,Colombia\n"


def long_line_csv(*, characters: int = 4_000_000) -> bytes:
    return b"reference,title,kind,partner\n" + b"x" * characters + b"\n"


def many_rows_csv(*, rows: int = 400_000) -> bytes:
    return b"reference,title,kind,partner\n" + b"MOU-1,Training,mou,Colombia\n" * rows
