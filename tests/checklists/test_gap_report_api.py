"""The gap report API: 202 with a status address, rows by access, retry, bad input."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.utils import timezone

from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.services.gap_reports import gap_report_generate, gap_report_request
from tests.checklists.gap_portfolio import TODAY

URL = "/api/v1/gap-reports/"


@pytest.fixture
def edition(portfolio, personas) -> GapReport:
    report = gap_report_request(by=personas.manager, scope="portfolio", as_of=TODAY)
    return gap_report_generate(report=report)


def test_a_request_answers_202_with_the_status_address(
    portfolio,
    personas,
    api,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(personas.manager).post(
            URL, {"scope": "portfolio", "as_of": TODAY.isoformat()}, format="json"
        )
    assert response.status_code == 202, response.json()
    location = response["Location"]
    assert location.endswith(f"{URL}{response.json()['id']}/")
    status = api(personas.manager).get(location).json()
    assert status["status"] == "done" and status["progress"] == 100  # eager: already run
    assert status["summary"]["counts"]["agreements"] >= 2


def test_the_same_request_again_while_queued_answers_with_that_edition(
    portfolio,
    personas,
    api,
) -> None:
    body = {"scope": "portfolio", "as_of": TODAY.isoformat(), "horizon_days": 60}
    first = api(personas.manager).post(URL, body, format="json").json()
    second = api(personas.lo).post(URL, body, format="json").json()
    assert first["id"] == second["id"] and GapReport.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "portfolio", "as_of": "1950-01-01"}, "as_of"),
        ({"scope": "portfolio", "as_of": "2999-01-01"}, "as_of"),
        ({"scope": "portfolio", "as_of": "soon"}, "as_of"),
        ({"scope": "portfolio", "as_of": TODAY.isoformat(), "horizon_days": 0}, "horizon_days"),
        ({"scope": "partner", "as_of": TODAY.isoformat(), "partner": 99999}, "partner"),
        ({"scope": "region", "as_of": TODAY.isoformat(), "region": "mars"}, "region"),
        ({"scope": "everything", "as_of": TODAY.isoformat()}, "scope"),
    ],
)
def test_bad_requests_answer_400_naming_the_field(
    portfolio,
    personas,
    api,
    body,
    field,
) -> None:
    response = api(personas.manager).post(URL, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not GapReport.objects.exists()


def test_a_liaison_officer_reads_only_their_rows_and_not_others_partner_editions(
    edition, personas, api
) -> None:
    rows = api(personas.lo).get(f"{URL}{edition.pk}/rows/").json()["results"]
    mine = {personas.colombia.pk, personas.colombian_navy.pk, None}
    assert rows and {r["partner"] for r in rows} <= mine
    everything = api(personas.manager).get(f"{URL}{edition.pk}/rows/?section=agreements").json()
    assert personas.panama.pk in {r["partner"] for r in everything["results"]}
    panama = gap_report_generate(
        report=gap_report_request(
            by=personas.other_lo, scope="partner", partner=personas.panama, as_of=TODAY
        )
    )
    assert api(personas.lo).get(f"{URL}{panama.pk}/").status_code == 404
    assert api(personas.lo).get(f"{URL}{panama.pk}/rows/").status_code == 404
    assert panama.pk not in {r["id"] for r in api(personas.lo).get(URL).json()["results"]}
    assert api(personas.outsider).get(URL).status_code == 403
    refused = api(personas.lo).post(
        URL,
        {"scope": "partner", "partner": personas.panama.pk, "as_of": TODAY.isoformat()},
        format="json",
    )
    assert refused.status_code == 400 and "partner" in refused.json()


def test_rows_filter_by_section_partner_and_area(edition, personas, api) -> None:
    colombia = personas.colombia.pk
    cell = api(personas.manager).get(
        f"{URL}{edition.pk}/rows/?section=interoperability&kind=item"
        f"&partner={colombia}&area=communications"
    )
    assert [r["data"]["item_code"] for r in cell.json()["results"]] == ["C-1"]
    assert api(personas.manager).get(f"{URL}{edition.pk}/rows/?section=x").status_code == 400


def test_reading_a_stored_edition_takes_a_fixed_number_of_queries(
    edition, personas, api, django_assert_max_num_queries
) -> None:
    client = api(personas.lo)
    with django_assert_max_num_queries(12):
        assert client.get(f"{URL}{edition.pk}/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"{URL}{edition.pk}/rows/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200


def test_a_failed_edition_is_retried_through_the_api(portfolio, personas, api) -> None:
    report = gap_report_request(by=personas.manager, scope="portfolio", as_of=TODAY)
    GapReport.objects.filter(pk=report.pk).update(
        status="failed", reason="The worker stopped.", finished_at=timezone.now()
    )
    assert api(personas.outsider).post(f"{URL}{report.pk}/retry/").status_code == 403
    response = api(personas.manager).post(f"{URL}{report.pk}/retry/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    again = api(personas.manager).post(f"{URL}{report.pk}/retry/")
    assert again.status_code == 400  # only a failed one is retried
    assert GapReport.objects.count() == 1


def test_a_full_readers_rows_page_reports_the_stored_count_and_a_liaisons_their_own(
    edition, personas, api, django_assert_num_queries
) -> None:
    rows = GapReportRow.objects.filter(report=edition)
    assert edition.totals["rows"]["agreements"] == rows.filter(section="agreements").count()
    # The stored counts are what a full-view reader's pages report: no COUNT over the rows.
    GapReport.objects.filter(pk=edition.pk).update(
        totals={**edition.totals, "rows": {**edition.totals["rows"], "agreements": 999}}
    )
    manager = api(personas.manager)
    everything = manager.get(f"{URL}{edition.pk}/rows/").json()
    assert everything["count"] == rows.count() + 999 - rows.filter(section="agreements").count()
    assert manager.get(f"{URL}{edition.pk}/rows/?section=agreements").json()["count"] == 999
    # Any other filter, and a liaison officer, count the rows they get.
    kind = manager.get(f"{URL}{edition.pk}/rows/?section=agreements&kind=notice").json()
    assert kind["count"] == rows.filter(section="agreements", kind="notice").count()
    mine = Q(partner__isnull=True) | Q(partner__in=[personas.colombia, personas.colombian_navy])
    liaison = api(personas.lo).get(f"{URL}{edition.pk}/rows/?section=agreements").json()
    assert liaison["count"] == rows.filter(mine, section="agreements").count() < 999
    with django_assert_num_queries(4):
        manager.get(f"{URL}{edition.pk}/rows/")


def test_an_edition_stored_before_its_row_counts_counts_its_rows(edition, personas, api) -> None:
    totals = {k: v for k, v in edition.totals.items() if k != "rows"}
    GapReport.objects.filter(pk=edition.pk).update(totals=totals)
    page = api(personas.manager).get(f"{URL}{edition.pk}/rows/").json()
    assert page["count"] == GapReportRow.objects.filter(report=edition).count()
