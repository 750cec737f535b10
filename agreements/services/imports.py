"""Import of an existing agreement register from CSV or XLSX, one row per party.

Rows with the same reference are one agreement (a multilateral instrument has one row per
party, each with its own dates). A dry run reports what would be created and every row's
errors; a real import writes every valid agreement, or nothing at all when asked to stop on
error. An agreement whose reference is already in the register is skipped, so running the same
file twice creates nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pycountry
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from agreements.models import ActivityType, Agreement, AgreementParty, Partner
from agreements.services.agreements import agreement_create
from agreements.services.import_files import ImportFileError, read_table
from config.bounds import MAX_DATE, MAX_INTERVAL_MONTHS, MAX_NOTICE_DAYS, MIN_DATE

__all__ = ["ImportFileError", "agreement_register_import", "plan_import", "read_rows"]

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
    party_rows: list[int] = field(default_factory=list)
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
    spreadsheet (the header is row 1). Limits are checked before any row is read."""
    table = read_table(content=content, filename=filename)
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


# --- checking: one cleaner per kind of column ------------------------------------------------

#: Text columns and the longest value the model keeps (None: a text field, no limit but the
#: file's cell limit).
TEXT_LIMITS: dict[str, int | None] = {
    "reference": Agreement._meta.get_field("reference").max_length,
    "title": Agreement._meta.get_field("title").max_length,
    "kind": Agreement._meta.get_field("kind").max_length,
    "status": Agreement._meta.get_field("status").max_length,
    "partner": Partner._meta.get_field("name").max_length,
    "activity_types": None,
    "summary": None,
    "party_role": AgreementParty._meta.get_field("role").max_length,
    "reservations": None,
}
#: Columns that may hold several lines (tab and line breaks allowed there, nowhere else).
MULTILINE_COLUMNS = frozenset({"summary", "reservations"})
NUMBER_LIMITS = {
    "notice_period_days": (MAX_NOTICE_DAYS, "days"),
    "review_interval_months": (MAX_INTERVAL_MONTHS, "months"),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def _shown(text: str) -> str:
    """A value as quoted in an error: never a megabyte of it."""
    return text if len(text) <= 40 else f"{text[:40]}…"


def _raw_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def clean_text(row: dict[str, Any], column: str, errors: list[RowError]) -> str:
    text = _raw_text(row.get(column))
    control = (_CONTROL if column in MULTILINE_COLUMNS else _CONTROL_OR_BREAK).search(text)
    if control:
        errors.append(
            RowError(
                row["_row"],
                column,
                f"Contains a control character (U+{ord(control.group()):04X}) at position "
                f"{control.start() + 1}; remove it.",
            )
        )
        return ""
    limit = TEXT_LIMITS.get(column)
    if limit is not None and len(text) > limit:
        errors.append(
            RowError(
                row["_row"],
                column,
                f"“{_shown(text)}” is {len(text):,} characters long; the limit is {limit:,}.",
            )
        )
        return ""
    return text


def clean_date(row: dict[str, Any], column: str, errors: list[RowError]) -> date | None:
    value = row.get(column)
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = _raw_text(value)
        if not text:
            return None
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError:
            errors.append(
                RowError(row["_row"], column, f"“{_shown(text)}” is not a date; use YYYY-MM-DD.")
            )
            return None
    if not MIN_DATE <= value <= MAX_DATE:
        errors.append(
            RowError(
                row["_row"],
                column,
                f"{value.isoformat()} is out of range: dates are from {MIN_DATE.isoformat()} "
                f"to {MAX_DATE.isoformat()}.",
            )
        )
        return None
    return value


def clean_number(row: dict[str, Any], column: str, errors: list[RowError]) -> int | None:
    """A whole number of ASCII digits (not ², not ٣), within the column's bounds."""
    maximum, unit = NUMBER_LIMITS[column]
    value = row.get(column)
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = _raw_text(value)
        if not text:
            return None
        if not _WHOLE_NUMBER.fullmatch(text):
            kind = "out of range" if text.isascii() and text.isdigit() else "not a whole number"
            errors.append(
                RowError(
                    row["_row"],
                    column,
                    f"“{_shown(text)}” is {kind}: use digits 0–9, from 0 to {maximum:,} {unit}.",
                )
            )
            return None
        number = int(text)
    if not 0 <= number <= maximum:
        errors.append(
            RowError(
                row["_row"],
                column,
                f"{_shown(str(number))} is out of range: from 0 to {maximum:,} {unit}.",
            )
        )
        return None
    return number


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
    """Group rows into agreements and check every value with the same rules the write applies
    (the model's full validation included), so a row the dry run calls valid is written;
    errors go into the report."""
    lookup = _Lookup()
    planned: dict[str, PlannedAgreement] = {}
    for row in rows:
        errors: list[RowError] = []
        cells = {column: clean_text(row, column, errors) for column in TEXT_LIMITS}
        reference = cells["reference"].upper()
        for column in REQUIRED_COLUMNS:
            if not cells[column] and not any(e.column == column for e in errors):
                errors.append(RowError(row["_row"], column, "This column is required."))
        if not reference:
            report.errors.extend(errors)
            continue
        agreement = planned.setdefault(reference, PlannedAgreement(reference, rows=[]))
        agreement.rows.append(row["_row"])
        if reference.lower() in lookup.existing:
            agreement.outcome = "skipped"
            continue
        _plan_row(row, cells, agreement=agreement, lookup=lookup, errors=errors)
        if errors:
            agreement.outcome = "invalid"
            report.errors.extend(errors)
    for agreement in planned.values():
        if agreement.outcome != "create":
            continue
        problems = _agreement_problems(agreement)
        if problems:
            agreement.outcome = "invalid"
            report.errors.extend(problems)
    report.agreements = list(planned.values())


class _Lookup:
    """What rows refer to: partners, activity types, the references already recorded."""

    def __init__(self) -> None:
        self.partners = _PartnerIndex()
        self.activities = {
            code.lower(): pk for code, pk in ActivityType.objects.values_list("code", "pk")
        }
        self.existing = set(
            Agreement.objects.annotate(ref=Lower("reference")).values_list("ref", flat=True)
        )


def _plan_row(
    row: dict[str, Any],
    cells: dict[str, str],
    *,
    agreement: PlannedAgreement,
    lookup: _Lookup,
    errors: list[RowError],
) -> None:
    number = row["_row"]
    fields = {
        "title": cells["title"],
        "kind": cells["kind"].lower(),
        "status": cells["status"].lower() or Agreement.Status.DRAFT,
        "signed_on": clean_date(row, "signed_on", errors),
        "effective_on": clean_date(row, "effective_on", errors),
        "expires_on": clean_date(row, "expires_on", errors),
        "notice_period_days": clean_number(row, "notice_period_days", errors),
        "review_interval_months": clean_number(row, "review_interval_months", errors),
        "summary": cells["summary"],
    }
    kinds, roles = set(Agreement.Kind.values), set(AgreementParty.Role.values)
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
                f"“{fields['status']}” is not a status that can be imported; use one of "
                f"{', '.join(sorted(IMPORTABLE_STATUSES))}.",
            )
        )
    codes = [c.strip().lower() for c in cells["activity_types"].split(";") if c.strip()]
    for code in codes:
        if code not in lookup.activities:
            errors.append(RowError(number, "activity_types", f"Unknown activity “{_shown(code)}”."))
    partner, problem = lookup.partners.find(cells["partner"]) if cells["partner"] else (None, None)
    if problem:
        errors.append(RowError(number, "partner", problem))
    role = cells["party_role"].lower() or AgreementParty.Role.PARTY
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
        "signed_on": clean_date(row, "party_signed_on", errors),
        "in_force_on": clean_date(row, "party_in_force_on", errors),
        "withdrawn_on": clean_date(row, "party_withdrawn_on", errors),
        "reservations": cells["reservations"],
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
                        f"Differs from row {agreement.rows[0]} of the same agreement "
                        f"({_shown(str(agreement.fields[name]))}).",
                    )
                )
    if partner is not None and any(p["partner"] == partner for p in agreement.parties):
        errors.append(
            RowError(number, "partner", f"{partner} is listed twice for {agreement.reference}.")
        )
    if not errors:
        agreement.parties.append(party)
        agreement.party_rows.append(number)


#: A party's model fields and the import columns they come from.
PARTY_COLUMN = {
    "partner": "partner",
    "role": "party_role",
    "signed_on": "party_signed_on",
    "in_force_on": "party_in_force_on",
    "withdrawn_on": "party_withdrawn_on",
    "reservations": "reservations",
}


def _column_of(name: str, *, default: str) -> str:
    return default if name == NON_FIELD_ERRORS else name


def _agreement_problems(agreement: PlannedAgreement) -> list[RowError]:
    """The model's own rules (full validation, derived dates included), checked before
    anything is written, exactly as agreement_create will check them."""
    first = agreement.rows[0]
    model_fields = {k: v for k, v in agreement.fields.items() if k != "status"}
    candidate = Agreement(reference=agreement.reference, **model_fields)
    problems: list[RowError] = []
    try:
        candidate.full_clean(validate_constraints=False)
    except ValidationError as error:
        for column, messages in error.message_dict.items():
            problems.extend(
                RowError(first, _column_of(column, default="reference"), m) for m in messages
            )
    status = agreement.fields.get("status")
    if status in {Agreement.Status.IN_FORCE, Agreement.Status.SUSPENDED}:
        for column in ("signed_on", "effective_on"):
            if not agreement.fields.get(column):
                problems.append(RowError(first, column, f"An agreement {status} needs {column}."))
    for number, party in zip(agreement.party_rows, agreement.parties, strict=True):
        check = AgreementParty(**party)
        try:
            check.full_clean(exclude=["agreement"], validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = PARTY_COLUMN.get(name, _column_of(name, default="partner"))
                problems.extend(RowError(number, column, m) for m in messages)
    return problems


# --- running ---------------------------------------------------------------------------------


def agreement_register_import(
    *,
    content: bytes,
    filename: str,
    by: User,
    dry_run: bool,
    stop_on_error: bool,
    on_written: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check the file and, unless a dry run, write it. Each agreement is written in its own
    transaction (with its parties), and `on_written` is called inside it with the count so
    far, so a count recorded there is exactly what was committed. With `stop_on_error` the
    whole file is one transaction: everything or nothing."""
    report = ImportReport(dry_run=dry_run, stop_on_error=stop_on_error)
    rows = read_rows(content=content, filename=filename)
    report.rows = len(rows)
    plan_import(rows, report=report)
    if dry_run or (stop_on_error and report.errors):
        return report
    if stop_on_error:
        try:
            with transaction.atomic():
                _write_agreements(report, by=by, on_written=None, strict=True)
        except ValidationError as error:
            # Only a rule the plan does not know could get here: then nothing is written.
            for agreement in report.agreements:
                if agreement.outcome == "created":
                    agreement.outcome = "create"
            report.errors.extend(_write_errors(error, row=1))
            return report
    else:
        _write_agreements(report, by=by, on_written=on_written, strict=False)
    report.written = True
    return report


def _write_agreements(
    report: ImportReport,
    *,
    by: User,
    on_written: Callable[[int], None] | None,
    strict: bool,
) -> None:
    activities = {t.code.lower(): t for t in ActivityType.objects.all()}
    written = 0
    for agreement in report.agreements:
        if agreement.outcome != "create":
            continue
        try:
            with transaction.atomic():
                _write_agreement(agreement, by=by, activities=activities)
                if on_written is not None:
                    on_written(written + 1)
        except ValidationError as error:
            if strict:
                raise
            agreement.outcome = "invalid"
            report.errors.extend(_write_errors(error, row=agreement.rows[0]))
            continue
        agreement.outcome = "created"
        written += 1


def _write_agreement(
    agreement: PlannedAgreement, *, by: User, activities: dict[str, ActivityType]
) -> None:
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
        # The register's current state, recorded as it stands (not a lifecycle move), by a
        # save so that the history's snapshot carries the activity types too.
        created.status = status
        created.status_changed_at = timezone.now()
        created._history_user = by
        created._change_reason = f"Imported with status {status}."
        created.save()


def _write_errors(error: ValidationError, *, row: int) -> list[RowError]:
    return [
        RowError(row, _column_of(column, default="reference"), message)
        for column, messages in error.message_dict.items()
        for message in messages
    ]
