"""Downloads of the agreements, assessments and coverage lists: the rows the page shows with
its filters, exactly those the user may read, formula-safe; and the coverage filters."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.test import Client

from agreements.models import Partner
from checklists.services import assessment_create
from tests.checklists.test_assessments import load
from tests.factories import AgreementFactory, PartnerFactory, activity


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def xlsx_rows(response) -> list[dict[str, object]]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def register(personas):
    AgreementFactory(
        reference="MOU-COL-001",
        title='=HYPERLINK("http://evil")',
        owner=personas.lo,
        parties=[personas.colombia],
        expires_on=date(2031, 1, 1),
        activity_types=[activity("maritime-interdiction")],
    )
    AgreementFactory(
        reference="MOU-COL-002",
        title="Navy training",
        owner=personas.lo,
        parties=[personas.colombian_navy],
        activity_types=[activity("joint-training")],
    )
    AgreementFactory(
        reference="MOU-PAN-001",
        title="Panama port visits",
        owner=personas.other_lo,
        parties=[personas.panama],
        activity_types=[activity("port-visit")],
    )


def test_an_lo_downloads_only_their_portfolio_and_a_manager_everything(personas, register) -> None:
    lo = csv_rows(browser_as(personas.lo).get("/agreements/export.csv"))
    manager = csv_rows(browser_as(personas.manager).get("/agreements/export.csv"))
    assert [r["Reference"] for r in lo] == ["MOU-COL-001", "MOU-COL-002"]
    assert [r["Reference"] for r in manager] == ["MOU-COL-001", "MOU-COL-002", "MOU-PAN-001"]
    lo_xlsx = xlsx_rows(browser_as(personas.lo).get("/agreements/export.xlsx"))
    assert [r["Reference"] for r in lo_xlsx] == ["MOU-COL-001", "MOU-COL-002"]


def test_the_agreements_download_keeps_the_filters_and_the_order(personas, register) -> None:
    client = browser_as(personas.manager)
    rows = csv_rows(client.get("/agreements/export.csv", {"activity": "joint-training"}))
    assert [r["Reference"] for r in rows] == ["MOU-COL-002"]
    rows = csv_rows(client.get("/agreements/export.csv", {"sort": "-reference"}))
    assert [r["Reference"] for r in rows] == ["MOU-PAN-001", "MOU-COL-002", "MOU-COL-001"]


def test_the_agreements_download_is_formula_safe_and_typed(personas, register) -> None:
    row = csv_rows(browser_as(personas.lo).get("/agreements/export.csv"))[0]
    assert row["Title"] == '\'=HYPERLINK("http://evil")'
    assert row["Parties"] == "Colombia"
    assert row["Activity types"] == "maritime-interdiction"
    assert row["Expires on"] == "2031-01-01"
    row = xlsx_rows(browser_as(personas.lo).get("/agreements/export.xlsx"))[0]
    assert row["Title"] == '=HYPERLINK("http://evil")'  # text, never a formula
    assert row["Expires on"].date() == date(2031, 1, 1)


def test_the_agreements_page_links_its_downloads_with_the_current_filters(
    personas, register
) -> None:
    html = browser_as(personas.lo).get("/agreements/", {"activity": "joint-training"}).content
    assert b'href="/agreements/export.csv?activity=joint-training"' in html
    assert b'href="/agreements/export.xlsx?activity=joint-training"' in html


def test_a_bad_filter_on_a_download_names_the_field_and_sends_no_file(personas) -> None:
    response = browser_as(personas.lo).get("/agreements/export.csv", {"expires_before": "soon"})
    assert response.status_code == 400
    assert "Expires before" in response.content.decode()
    assert "Content-Disposition" not in response


def test_an_unknown_download_format_is_not_found(personas) -> None:
    assert browser_as(personas.lo).get("/agreements/export.pdf").status_code == 404


def test_someone_without_a_role_downloads_nothing(personas, register) -> None:
    response = browser_as(personas.outsider).get("/agreements/export.csv")
    assert response.status_code in {302, 403}
    assert "Content-Disposition" not in response


def test_the_agreements_download_reads_a_fixed_number_of_queries(
    personas, register, django_assert_max_num_queries
) -> None:
    for number in range(20):
        AgreementFactory(
            reference=f"MOU-X-{number:03}", owner=personas.lo, parties=[personas.colombia]
        )
    client = browser_as(personas.manager)
    with django_assert_max_num_queries(12):
        assert len(csv_rows(client.get("/agreements/export.csv"))) == 23


@pytest.fixture
def assessments(personas):
    template = load()
    assessment_create(by=personas.admin, partner=personas.panama, template=template)
    assessment_create(by=personas.admin, partner=personas.colombia, template=template)
    assessment_create(by=personas.admin, partner=personas.colombian_navy, template=template)


def test_the_assessments_download_holds_the_readers_rows_with_scores(
    personas, assessments, django_assert_max_num_queries
) -> None:
    lo = csv_rows(browser_as(personas.lo).get("/assessments/export.csv"))
    assert sorted(r["Partner"] for r in lo) == ["Colombia", "Colombian Navy"]
    client = browser_as(personas.manager)
    with django_assert_max_num_queries(12):
        manager = xlsx_rows(client.get("/assessments/export.xlsx"))
    assert sorted(r["Partner"] for r in manager) == ["Colombia", "Colombian Navy", "Panama"]
    assert {r["Template"] for r in manager} == {"Scores"}
    assert all(r["Answered (%)"] == 0 for r in manager)


def test_the_assessments_download_keeps_the_filters(personas, assessments) -> None:
    rows = csv_rows(browser_as(personas.manager).get("/assessments/export.csv", {"q": "Pana"}))
    assert [r["Partner"] for r in rows] == ["Panama"]
    html = browser_as(personas.manager).get("/assessments/", {"q": "Pana"}).content
    assert b'href="/assessments/export.csv?q=Pana"' in html


# --- coverage ---------------------------------------------------------------------------------


@pytest.fixture
def spread(personas, register):
    """Register plus a Caribbean partner, so region has something to tell apart."""
    jamaica = PartnerFactory(name="Jamaica", country_code="JM", region=Partner.Region.CARIBBEAN)
    AgreementFactory(
        reference="MOU-JAM-001",
        owner=personas.admin,
        parties=[jamaica],
        activity_types=[activity("port-visit")],
    )
    return jamaica


def coverage_partners(client: Client, **query: str) -> list[str]:
    response = client.get("/api/v1/coverage/", query)
    assert response.status_code == 200, response.content
    return sorted({cell["partner_name"] for cell in response.json()["cells"]})


def test_coverage_filters_by_partner_region_activity_and_verdict(personas, spread, api) -> None:
    client = api(personas.manager)
    everyone = coverage_partners(client)
    assert "Jamaica" in everyone and "Panama" in everyone
    assert coverage_partners(client, partner=str(personas.panama.pk)) == ["Panama"]
    assert coverage_partners(client, region="caribbean") == ["Jamaica"]
    cells = client.get("/api/v1/coverage/", {"activity": "port-visit"}).json()["cells"]
    assert {c["activity_type"] for c in cells} == {"port-visit"}
    gaps = client.get("/api/v1/coverage/", {"verdict": "gap"}).json()
    assert gaps["cells"] and {c["verdict"] for c in gaps["cells"]} == {"gap"}
    assert gaps["totals"]["gap"] == len(gaps["cells"]) and gaps["totals"]["cleared"] == 0
    assert client.get("/api/v1/coverage/", {"verdict": "cleared"}).json()["cells"] == []


def test_an_lo_filtering_coverage_never_sees_another_partner(personas, spread, api) -> None:
    client = api(personas.lo)
    assert coverage_partners(client) == ["Colombia", "Colombian Navy"]
    assert coverage_partners(client, region="caribbean") == []
    response = client.get("/api/v1/coverage/", {"partner": personas.panama.pk})
    assert response.status_code == 400
    assert "partner" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("partner", "abc"),
        ("partner", "0"),
        ("partner", "99999999999999999999999"),
        ("partner", "999999"),
        ("region", "atlantis"),
        ("activity", "no-such-activity"),
        ("verdict", "maybe"),
        ("on", "yesterday"),
        ("on", "0001-01-01"),
        ("on", "9999-12-31"),
    ],
)
def test_a_bad_coverage_filter_is_refused_naming_the_field_at_every_door(
    personas, api, field: str, value: str
) -> None:
    response = api(personas.manager).get("/api/v1/coverage/", {field: value})
    assert response.status_code == 400
    assert field in response.json()
    page = browser_as(personas.manager).get("/coverage/", {field: value})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="form-errors"' in html and f"{field.capitalize()}:" in html
    download = browser_as(personas.manager).get("/coverage/export.csv", {field: value})
    assert download.status_code == 400 and "Content-Disposition" not in download


def test_the_coverage_download_holds_what_the_filters_show(personas, spread) -> None:
    client = browser_as(personas.manager)
    rows = csv_rows(client.get("/coverage/export.csv", {"region": "caribbean", "on": "2027-02-01"}))
    assert {r["Partner"] for r in rows} == {"Jamaica"}
    assert {r["Region"] for r in rows} == {"Caribbean"}
    assert all(r["Verdict"] == "Gap" and r["On"] == "2027-02-01" for r in rows)
    assert all("No approved legal mandate" in r["Reasons"] for r in rows)
    lo_rows = xlsx_rows(browser_as(personas.lo).get("/coverage/export.xlsx"))
    assert {r["Partner"] for r in lo_rows} == {"Colombia", "Colombian Navy"}
    assert isinstance(lo_rows[0]["Agreements in force"], int)


def test_the_coverage_page_filters_and_links_its_downloads(personas, spread) -> None:
    html = browser_as(personas.manager).get("/coverage/", {"region": "caribbean"}).content.decode()
    assert f'href="/partners/{spread.pk}/"' in html
    assert f'href="/partners/{personas.panama.pk}/"' not in html
    assert 'href="/coverage/export.csv?region=caribbean"' in html
    assert 'href="/coverage/export.xlsx?region=caribbean"' in html


def test_the_coverage_page_and_download_keep_their_query_counts(
    personas, spread, django_assert_max_num_queries
) -> None:
    for number in range(15):
        PartnerFactory(name=f"Partner {number:02}", country_code="CO")
    client = browser_as(personas.manager)
    with django_assert_max_num_queries(16):
        assert client.get("/coverage/", {"verdict": "gap"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert len(csv_rows(client.get("/coverage/export.csv"))) > 15
