"""Import of an existing agreement register from CSV or XLSX, one row per party.

Rows with the same reference are one agreement (a multilateral instrument has one row per
party, each with its own dates). A dry run reports what would be created and every row's
errors; a real import writes every valid agreement, or nothing at all when asked to stop on
error. An agreement whose reference is already in the register is skipped, so running the same
file twice creates nothing twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import pycountry
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from agreements.models import ActivityType, Agreement, AgreementImport, AgreementParty, Partner
from agreements.services.agreements import agreement_create

REQUIRED_COLUMNS = ("reference", "title", "kind", "partner")
AGREEMENT_COLUMNS = (
    "title",
    "kind",
    "status",
    "signed_on",
    "effective_on",
    "expires_on",
    "notice_period_days",
    "review_interval_months",
    "activity_types",
    "summary",
)
PARTY_COLUMNS = (
    "party_role",
    "party_signed_on",
    "party_in_force_on",
    "party_withdrawn_on",
    "reservations",
)
ALL_COLUMNS = ("reference", "partner", *AGREEMENT_COLUMNS, *PARTY_COLUMNS)
DATE_COLUMNS = frozenset(
    {
        "signed_on",
        "effective_on",
        "expires_on",
        "party_signed_on",
        "party_in_force_on",
        "party_withdrawn_on",
    }
)
IMPORTABLE_STATUSES = frozenset(Agreement.Status.values) - {Agreement.Status.SUPERSEDED}


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, encoding, missing columns)."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class PlannedAgreement:
    reference: str
    rows: list[int]
    fields: dict[str, Any] = field(default_factory=dict)
    activity_codes: list[str] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "create"  # create | created | skipped | invalid


@dataclass
class ImportReport:
    dry_run: bool
    stop_on_error: bool
    rows: int = 0
    agreements: list[PlannedAgreement] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    def as_dict(self) -> dict[str, Any]:
        count = {
            o: sum(1 for a in self.agreements if a.outcome == o)
            for o in ("create", "created", "skipped", "invalid")
        }
        return {
            "dry_run": self.dry_run,
            "stop_on_error": self.stop_on_error,
            "rows": self.rows,
            "written": self.written,
            "counts": count,
            "agreements": [
                {
                    "reference": a.reference,
                    "rows": a.rows,
                    "parties": len(a.parties),
                    "outcome": a.outcome,
                }
                for a in self.agreements
            ],
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
            ],
        }


# --- reading ---------------------------------------------------------------------------------


def read_rows(*, content: bytes, filename: str) -> list[dict[str, Any]]:
    """The file's rows as dictionaries keyed by lower-case column name; row numbers as in a
    spreadsheet (the header is row 1)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"The file is not UTF-8 text (byte {error.start} cannot be read). Save it as "
                "“CSV UTF-8” and upload it again."
            ) from None
        reader = csv.reader(io.StringIO(text))
        table = [row for row in reader]
    elif suffix == ".xlsx":
        table = _xlsx_rows(content)
    else:
        raise ImportFileError(f"“{suffix or filename}” files are not read; upload .csv or .xlsx.")
    if not table:
        raise ImportFileError("The file is empty.")
    header = [str(cell or "").strip().lower() for cell in table[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"The columns are: {', '.join(ALL_COLUMNS)}.",
            column=missing[0],
        )
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(str(v or "").strip() for v in values):
            continue
        row = {name: values[i] if i < len(values) else "" for i, name in enumerate(header) if name}
        row["_row"] = number
        rows.append(row)
    return rows


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(f"The file is not a readable XLSX workbook ({error}).") from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


# --- checking --------------------------------------------------------------------------------


def _text(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(row: dict[str, Any], column: str, errors: list[RowError]) -> date | None:
    value = row.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(row, column)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(row["_row"], column, f"“{text}” is not a date; use YYYY-MM-DD."))
        return None


def _number(row: dict[str, Any], column: str, errors: list[RowError]) -> int | None:
    text = _text(row, column)
    if not text:
        return None
    if not text.isdigit():
        errors.append(RowError(row["_row"], column, f"“{text}” is not a whole number."))
        return None
    return int(text)


class _PartnerIndex:
    """Partners by name, short name, or ISO 3166 alpha-2 / alpha-3 code (case ignored)."""

    def __init__(self) -> None:
        self.by_key: dict[str, Partner | None] = {}
        for partner in Partner.objects.exclude(status=Partner.Status.INACTIVE):
            keys = {partner.name.lower()}
            if partner.short_name:
                keys.add(partner.short_name.lower())
            if partner.country_code and partner.kind == Partner.Kind.NATION:
                keys.add(partner.country_code.lower())
                country = pycountry.countries.get(alpha_2=partner.country_code)
                if country:
                    keys.add(country.alpha_3.lower())
            for key in keys:
                # Two partners under one key make it ambiguous: refuse rather than guess.
                self.by_key[key] = None if key in self.by_key else partner

    def find(self, text: str) -> tuple[Partner | None, str | None]:
        key = text.strip().lower()
        if key not in self.by_key:
            return None, f"No partner named or coded “{text}”; create it first."
        partner = self.by_key[key]
        if partner is None:
            return None, f"“{text}” matches more than one partner; use the full name."
        return partner, None


def plan_import(rows: list[dict[str, Any]], *, report: ImportReport) -> None:
    """Group rows into agreements and check every value; errors go into the report."""
    partners = _PartnerIndex()
    activities = {code.lower(): pk for code, pk in ActivityType.objects.values_list("code", "pk")}
    existing = set(Agreement.objects.annotate(ref=Lower("reference")).values_list("ref", flat=True))
    planned: dict[str, PlannedAgreement] = {}
    kinds, roles = set(Agreement.Kind.values), set(AgreementParty.Role.values)
    for row in rows:
        number = row["_row"]
        errors: list[RowError] = []
        reference = _text(row, "reference").upper()
        for column in REQUIRED_COLUMNS:
            if not _text(row, column):
                errors.append(RowError(number, column, "This column is required."))
        if not reference:
            report.errors.extend(errors)
            continue
        agreement = planned.setdefault(reference, PlannedAgreement(reference, rows=[]))
        agreement.rows.append(number)
        if reference.lower() in existing:
            agreement.outcome = "skipped"
            continue
        fields = {
            "title": _text(row, "title"),
            "kind": _text(row, "kind").lower(),
            "status": _text(row, "status").lower() or Agreement.Status.DRAFT,
            "signed_on": _date(row, "signed_on", errors),
            "effective_on": _date(row, "effective_on", errors),
            "expires_on": _date(row, "expires_on", errors),
            "notice_period_days": _number(row, "notice_period_days", errors),
            "review_interval_months": _number(row, "review_interval_months", errors),
            "summary": _text(row, "summary"),
        }
        if fields["kind"] and fields["kind"] not in kinds:
            errors.append(
                RowError(
                    number,
                    "kind",
                    f"“{fields['kind']}” is not a kind; use one of {', '.join(sorted(kinds))}.",
                )
            )
        if fields["status"] not in IMPORTABLE_STATUSES:
            errors.append(
                RowError(
                    number,
                    "status",
                    f"“{fields['status']}” is not a status "
                    f"that can be imported; use one of "
                    f"{', '.join(sorted(IMPORTABLE_STATUSES))}.",
                )
            )
        codes = [c.strip().lower() for c in _text(row, "activity_types").split(";") if c.strip()]
        for code in codes:
            if code not in activities:
                errors.append(RowError(number, "activity_types", f"Unknown activity “{code}”."))
        partner, problem = (
            partners.find(_text(row, "partner")) if _text(row, "partner") else (None, None)
        )
        if problem:
            errors.append(RowError(number, "partner", problem))
        role = _text(row, "party_role").lower() or AgreementParty.Role.PARTY
        if role not in roles:
            errors.append(
                RowError(
                    number,
                    "party_role",
                    f"“{role}” is not a role; use one of {', '.join(sorted(roles))}.",
                )
            )
        party = {
            "partner": partner,
            "role": role,
            "signed_on": _date(row, "party_signed_on", errors),
            "in_force_on": _date(row, "party_in_force_on", errors),
            "withdrawn_on": _date(row, "party_withdrawn_on", errors),
            "reservations": _text(row, "reservations"),
        }
        if not agreement.fields:
            agreement.fields = fields
            agreement.activity_codes = codes
        else:
            for name in ("title", "kind", "status", "signed_on", "effective_on", "expires_on"):
                if (
                    fields[name]
                    and agreement.fields.get(name)
                    and fields[name] != agreement.fields[name]
                ):
                    errors.append(
                        RowError(
                            number,
                            name,
                            f"Differs from row {agreement.rows[0]} of "
                            f"the same agreement ({agreement.fields[name]}).",
                        )
                    )
        if partner is not None and any(p["partner"] == partner for p in agreement.parties):
            errors.append(
                RowError(number, "partner", f"{partner} is listed twice for {reference}.")
            )
        if errors:
            agreement.outcome = "invalid"
            report.errors.extend(errors)
        else:
            agreement.parties.append(party)

    for agreement in planned.values():
        if agreement.outcome != "create":
            continue
        problems = _agreement_problems(agreement)
        if problems:
            agreement.outcome = "invalid"
            report.errors.extend(problems)
    report.agreements = list(planned.values())


def _agreement_problems(agreement: PlannedAgreement) -> list[RowError]:
    """The model's own rules, checked before anything is written."""
    first = agreement.rows[0]
    model_fields = {k: v for k, v in agreement.fields.items() if k != "status"}
    candidate = Agreement(reference=agreement.reference, **model_fields)
    problems = []
    try:
        candidate.full_clean(validate_constraints=False)
    except ValidationError as error:
        for column, messages in error.message_dict.items():
            problems.extend(RowError(first, column, m) for m in messages)
    status = agreement.fields.get("status")
    if status in {Agreement.Status.IN_FORCE, Agreement.Status.SUSPENDED}:
        for column in ("signed_on", "effective_on"):
            if not agreement.fields.get(column):
                problems.append(RowError(first, column, f"An agreement {status} needs {column}."))
    for index, party in enumerate(agreement.parties):
        check = AgreementParty(**party)
        try:
            check.clean()
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                problems.extend(
                    RowError(
                        agreement.rows[index],
                        f"party_{column}".replace("party_party_", "party_"),
                        m,
                    )
                    for m in messages
                )
    return problems


# --- running ---------------------------------------------------------------------------------


def agreement_register_import(
    *,
    content: bytes,
    filename: str,
    by: User,
    dry_run: bool,
    stop_on_error: bool,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run, stop_on_error=stop_on_error)
    rows = read_rows(content=content, filename=filename)
    report.rows = len(rows)
    plan_import(rows, report=report)
    if dry_run or (stop_on_error and report.errors):
        return report
    activities = {t.code: t for t in ActivityType.objects.all()}
    with transaction.atomic():
        for agreement in report.agreements:
            if agreement.outcome != "create":
                continue
            fields = dict(agreement.fields)
            status = fields.pop("status")
            created = agreement_create(
                by=by,
                reference=agreement.reference,
                activity_types=[activities[c] for c in agreement.activity_codes],
                parties=agreement.parties,
                **fields,
            )
            if status != Agreement.Status.DRAFT:
                # The register's current state, recorded as it stands (not a lifecycle move).
                Agreement.objects.filter(pk=created.pk).update(
                    status=status, status_changed_at=timezone.now()
                )
            agreement.outcome = "created"
        report.written = True
    return report


def agreement_import_run(*, job: AgreementImport) -> AgreementImport:
    """Run a queued import job once: the claim is a conditional update that only one worker
    can win."""
    claimed = AgreementImport.objects.filter(
        pk=job.pk, status=AgreementImport.Status.QUEUED
    ).update(status=AgreementImport.Status.RUNNING, started_at=timezone.now())
    job.refresh_from_db()
    if claimed != 1:
        return job
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        report = agreement_register_import(
            content=content,
            filename=job.original_name,
            by=job.created_by,
            dry_run=job.dry_run,
            stop_on_error=job.stop_on_error,
        )
    except ImportFileError as error:
        job.status = AgreementImport.Status.FAILED
        job.error = error.message
        job.report = {
            "errors": [{"row": 1, "column": error.column or "file", "message": error.message}]
        }
    else:
        job.status = AgreementImport.Status.DONE
        job.report = report.as_dict()
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "report", "finished_at"])
    return job


def agreement_import_start(
    *, by: User, upload: Any, dry_run: bool, stop_on_error: bool
) -> AgreementImport:
    """Store the upload and queue the import; the caller answers 202 with the job's address."""
    from agreements.tasks import run_agreement_import  # tasks import services: import late

    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    if size > settings.ACCORD_IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": [
                    f"The file is {size:,} bytes; the limit is "
                    f"{settings.ACCORD_IMPORT_MAX_BYTES:,} bytes."
                ]
            }
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ValidationError({"file": ["Upload a .csv or .xlsx file."]})
    job = AgreementImport.objects.create(
        file=upload,
        original_name=PurePath(upload.name).name,
        dry_run=dry_run,
        stop_on_error=stop_on_error,
        created_by=by,
    )
    transaction.on_commit(lambda: run_agreement_import.delay(job.pk))
    return job
