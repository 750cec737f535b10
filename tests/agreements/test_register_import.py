"""Import of agreement registers, proved on the public reference register of 89 agreements."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pycountry
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from agreements.models import Agreement, AgreementImport, AgreementParty, Partner
from agreements.services.imports import ImportFileError, agreement_register_import
from tests.factories import PartnerFactory

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "agreements.csv"
HEADER = [
    "reference",
    "title",
    "kind",
    "status",
    "partner",
    "party_role",
    "party_signed_on",
    "party_in_force_on",
    "signed_on",
    "effective_on",
    "activity_types",
]
KINDS = {
    "maritime_law_enforcement_shiprider": "ship_rider",
    "shipboarding_wmd_psi": "other",
    "sofa": "sofa",
    "sofa_multilateral": "sofa",
    "mlat": "mlat",
    "extradition_treaty": "treaty",
    "defence_treaty": "treaty",
    "regional_maritime_agreement": "treaty",
    "implementing_arrangement": "implementing_arrangement",
    "mou_overflight": "mou",
}


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def reference_register() -> tuple[bytes, set[str]]:
    """The reference register in Accord's documented columns. Rows that share a treaty-series
    reference and are regional agreements are one multilateral instrument, one row per party
    with its own dates; the others are bilateral, one agreement per row."""
    if not REFERENCE.exists():
        pytest.skip("the reference register (../shared/reference) is not beside this clone")
    rows, iso3 = [], set()
    with REFERENCE.open(encoding="utf-8") as handle:
        for source in csv.DictReader(handle):
            multilateral = (
                source["agreement_type"] == "regional_maritime_agreement" and source["reference"]
            )
            reference = (
                "RMA-" + source["reference"].replace(" ", "").replace(",", "-")
                if multilateral
                else source["id"]
            )
            in_force = bool(source["entry_into_force_date"])
            rows.append(
                [
                    reference,
                    source["agreement_title"],
                    KINDS[source["agreement_type"]],
                    "in_force" if in_force and not multilateral else "signed",
                    source["partner_iso3"] or source["partner"],
                    "party" if in_force else "signatory",
                    source["signed_date"] if multilateral else "",
                    source["entry_into_force_date"] if multilateral else "",
                    "" if multilateral else source["signed_date"],
                    "" if multilateral else source["entry_into_force_date"],
                    "maritime-interdiction" if "maritime" in source["agreement_type"] else "",
                ]
            )
            if source["partner_iso3"]:
                iso3.add(source["partner_iso3"])
    return csv_bytes(rows), iso3


@pytest.fixture
def reference_partners(personas) -> None:
    for code in sorted(reference_register()[1]):
        country = pycountry.countries.get(alpha_3=code)
        if not Partner.objects.filter(country_code=country.alpha_2).exists():
            PartnerFactory(name=country.name, country_code=country.alpha_2)


def test_a_dry_run_of_the_reference_register_reports_without_writing(
    reference_partners, personas
) -> None:
    content, _ = reference_register()
    report = agreement_register_import(
        content=content,
        filename="register.csv",
        by=personas.admin,
        dry_run=True,
        stop_on_error=False,
    ).as_dict()
    assert report["rows"] == 89
    assert not Agreement.objects.exists()
    messages = {(e["column"], e["message"].split(";")[0]) for e in report["errors"]}
    assert ("signed_on", "“2011” is not a date") in messages  # year-only dates
    assert any(c == "partner" and "NATO member states" in m for c, m in messages)
    assert report["counts"] == {"create": 48, "created": 0, "skipped": 0, "invalid": 31}
    multilateral = next(a for a in report["agreements"] if a["reference"] == "RMA-TRB.2003-82")
    assert multilateral["parties"] == 11 and multilateral["outcome"] == "create"


def test_a_real_import_writes_every_valid_agreement_once(reference_partners, personas) -> None:
    content, _ = reference_register()
    report = agreement_register_import(
        content=content,
        filename="register.csv",
        by=personas.admin,
        dry_run=False,
        stop_on_error=False,
    ).as_dict()
    created = report["counts"]["created"]
    assert created == Agreement.objects.count() == 48
    san_jose = Agreement.objects.get(reference="RMA-TRB.2003-82")
    belize = san_jose.parties.get(partner__country_code="BZ")
    assert (belize.signed_on, belize.in_force_on) == (date(2004, 12, 14), date(2008, 9, 18))
    assert san_jose.parties.filter(role=AgreementParty.Role.SIGNATORY).count() == 9
    barbados = Agreement.objects.get(reference="AGR-001")
    assert barbados.status == "in_force" and barbados.effective_on == date(1998, 10, 11)
    again = agreement_register_import(
        content=content,
        filename="register.csv",
        by=personas.admin,
        dry_run=False,
        stop_on_error=False,
    ).as_dict()
    assert again["counts"]["created"] == 0
    assert again["counts"]["skipped"] == created
    assert Agreement.objects.count() == created


def test_stop_on_error_writes_nothing_when_any_row_is_wrong(reference_partners, personas):
    content, _ = reference_register()
    report = agreement_register_import(
        content=content,
        filename="register.csv",
        by=personas.admin,
        dry_run=False,
        stop_on_error=True,
    )
    assert report.errors and not report.written
    assert not Agreement.objects.exists()


def test_rows_name_the_row_and_column_of_each_problem(personas) -> None:
    content = csv_bytes(
        [
            [
                "MOU-1",
                "Training",
                "mou",
                "in_force",
                "Colombia",
                "party",
                "",
                "",
                "2024-01-01",
                "",
                "",
            ],
            ["MOU-2", "Exercise", "pact", "draft", "Atlantis", "party", "", "", "", "", "diving"],
            ["MOU-3", "Twice", "mou", "draft", "Colombia", "party", "", "", "", "", ""],
            ["MOU-3", "Twice", "mou", "draft", "Colombia", "party", "", "", "", "", ""],
        ]
    )
    report = agreement_register_import(
        content=content, filename="r.csv", by=personas.admin, dry_run=True, stop_on_error=False
    ).as_dict()
    errors = {(e["row"], e["column"]) for e in report["errors"]}
    assert {
        (2, "effective_on"),
        (3, "kind"),
        (3, "partner"),
        (3, "activity_types"),
        (5, "partner"),
    } <= errors


def test_a_file_with_missing_columns_or_another_encoding_is_refused(personas) -> None:
    with pytest.raises(ImportFileError, match="Missing columns: kind, partner"):
        agreement_register_import(
            content=b"reference,title\nA,B\n",
            filename="r.csv",
            by=personas.admin,
            dry_run=True,
            stop_on_error=False,
        )
    latin1 = (
        csv_bytes([["MOU-1", "Coopération", "mou", "", "Colombia", "", "", "", "", "", ""]])
        .decode()
        .encode("latin-1")
    )
    with pytest.raises(ImportFileError, match="not UTF-8"):
        agreement_register_import(
            content=latin1, filename="r.csv", by=personas.admin, dry_run=True, stop_on_error=False
        )
    with pytest.raises(ImportFileError, match=r"upload \.csv or \.xlsx"):
        agreement_register_import(
            content=b"x", filename="r.pdf", by=personas.admin, dry_run=True, stop_on_error=False
        )


def test_an_xlsx_register_imports_like_a_csv(personas) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(
        [
            "SR-COL-1997-001",
            "Ship-rider",
            "ship_rider",
            "in_force",
            "COL",
            "party",
            None,
            None,
            date(1997, 2, 20),
            date(1998, 3, 10),
            "maritime-interdiction",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    report = agreement_register_import(
        content=buffer.getvalue(),
        filename="register.xlsx",
        by=personas.admin,
        dry_run=False,
        stop_on_error=True,
    ).as_dict()
    assert report["counts"]["created"] == 1, report["errors"]
    agreement = Agreement.objects.get(reference="SR-COL-1997-001")
    assert agreement.parties.get().partner == personas.colombia


def test_the_api_answers_202_and_the_status_address_gives_the_report(
    personas, api, django_capture_on_commit_callbacks
) -> None:
    upload = SimpleUploadedFile(
        "register.csv",
        csv_bytes(
            [
                ["MOU-COL-1", "Training", "mou", "draft", "Colombia", "", "", "", "", "", ""],
            ]
        ),
        "text/csv",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api(personas.admin).post(
            "/api/v1/agreement-imports/",
            {"file": upload, "dry_run": "false"},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    status_url = response["Location"]
    job = api(personas.admin).get(status_url).json()
    assert job["status"] == "done"
    assert job["report"]["counts"]["created"] == 1
    assert Partner.objects.get(name="Colombia").agreement_parties.count() == 1
    assert AgreementImport.objects.get().created_by == personas.admin


@pytest.mark.parametrize("who", ["lo", "legal_advisor", "manager"])
def test_only_administrators_import_registers(personas, api, who) -> None:
    upload = SimpleUploadedFile("r.csv", b"reference,title,kind,partner\n", "text/csv")
    response = api(getattr(personas, who)).post(
        "/api/v1/agreement-imports/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 403


def test_the_import_pages_follow_a_dry_run_to_a_real_import(
    personas, django_capture_on_commit_callbacks
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(personas.admin)
    upload = SimpleUploadedFile(
        "register.csv",
        csv_bytes(
            [
                ["MOU-COL-9", "Training", "mou", "draft", "Colombia", "", "", "", "", "", ""],
                ["MOU-BAD", "Bad", "mou", "draft", "Atlantis", "", "", "", "", "", ""],
            ]
        ),
        "text/csv",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agreements/import/", {"file": upload, "dry_run": "on"})
    job_page = client.get(response["Location"]).content.decode()
    assert "would create <strong>1</strong>" in job_page
    assert "No partner named or coded “Atlantis”" in job_page
    assert not Agreement.objects.exists()
    dry = AgreementImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/agreements/imports/{dry.pk}/confirm/")
    assert "created <strong>1</strong>" in client.get(response["Location"]).content.decode()
    assert Agreement.objects.get().reference == "MOU-COL-9"
    lo = Client()
    lo.force_login(personas.lo)
    assert lo.get("/agreements/import/").status_code == 403
