"""Gap report pages, the briefing PDF and the XLSX/CSV downloads, per role."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from checklists.gap_reports.charts import edition_charts_store
from checklists.gap_reports.models import GapReport, GapReportChart, GapReportRow
from checklists.services.gap_reports import gap_report_generate, gap_report_request

Section = GapReportRow.Section
AS_OF = date(2026, 11, 30)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _row(report, section, kind, partner, rank, key, **fields) -> GapReportRow:
    data = {"partner_name": partner.name if partner else "", **fields.pop("data", {})}
    return GapReportRow.objects.create(
        report=report,
        section=section,
        kind=kind,
        partner=partner,
        rank=rank,
        importance=fields.pop("importance", rank),
        key=key,
        data=data,
        **fields,
    )


def _edition(personas, *, as_of, previous=None, **fields) -> GapReport:
    return GapReport.objects.create(
        scope=fields.pop("scope", GapReport.Scope.PORTFOLIO),
        as_of=as_of,
        status=fields.pop("status", GapReport.Status.DONE),
        generated_by=personas.manager,
        finished_at=timezone.now(),
        previous=previous,
        progress=100,
        **fields,
    )


@pytest.fixture
def editions(personas):
    """Two portfolio editions a week apart: the newer one has rows of Colombia (maria's),
    Panama (james's) and a mandate of no partner, and what changed since the older one."""
    colombia, panama = personas.colombia, personas.panama
    older = _edition(personas, as_of=AS_OF - timedelta(days=7))
    for partner, score in [(colombia, 50.0), (panama, 70.0)]:
        _row(
            older,
            Section.INTEROPERABILITY,
            "partner_score",
            partner,
            0,
            f"score:{partner.pk}",
            is_gap=False,
            score=score,
            data={"score": score, "level": 1},
        )
    report = _edition(personas, as_of=AS_OF, previous=older)
    for n, (partner, score, area, code) in enumerate(
        [(colombia, 55.0, "communications", "COM-1"), (panama, 80.0, "logistics", "LOG-2")]
    ):
        _row(
            report,
            Section.INTEROPERABILITY,
            "partner_score",
            partner,
            n,
            f"score:{partner.pk}",
            is_gap=False,
            score=score,
            data={"score": score, "level": 1},
        )
        _row(
            report,
            Section.INTEROPERABILITY,
            "area_score",
            partner,
            10 + n,
            f"area:{partner.pk}:{area}",
            is_gap=False,
            score=score - 15,
            data={
                "area": area,
                "area_label": area.capitalize(),
                "score": score - 15,
                "level": 1,
                "items": 4,
                "unmet_high": 1,
            },
        )
        _row(
            report,
            Section.INTEROPERABILITY,
            "item",
            partner,
            20 + n,
            f"item:{partner.pk}:{code}",
            severity="high",
            due_on=AS_OF - timedelta(days=3),
            data={
                "item_code": code,
                "requirement": f"Requirement {code}",
                "area": area,
                "area_label": area.capitalize(),
                "result": "not_met",
                "result_label": "Not met",
                "criticality": "high",
                "weight": 3,
                "owner": "María Ortega",
                "remediation_due_on": "2026-11-27",
                "overdue": True,
            },
        )
    _row(
        report,
        Section.AGREEMENTS,
        "notice",
        colombia,
        0,
        "agreement:1:notice",
        severity="high",
        blocks_planned_work=True,
        due_on=AS_OF + timedelta(days=20),
        importance=0,
        data={
            "reference": "MOU-COL-2024-003",
            "title": '=HYPERLINK("x")',
            "date": "2026-12-20",
            "days": 20,
            "engagements": 2,
            "activity_types": ["Ship-rider embarkation"],
            "detail": "Notice deadline of MOU-COL-2024-003 in 20 days",
        },
    )
    _row(
        report,
        Section.AGREEMENTS,
        "expiring",
        panama,
        1,
        "agreement:2:expiring",
        severity="medium",
        data={
            "reference": "MOU-PAN-2025-001",
            "title": "Panama ship-rider",
            "date": "2027-01-15",
            "days": 46,
            "detail": "MOU-PAN-2025-001 expires in 46 days",
        },
    )
    _row(
        report,
        Section.MANDATES,
        "pending_review",
        None,
        0,
        "mandate:7:pending",
        data={"title": "Counter-narcotics statute", "detail": "Pending legal review for 40 days"},
    )
    _row(
        report,
        Section.SOVEREIGNTY,
        "consent",
        panama,
        0,
        "engagement:3:consent",
        data={
            "title": "Pacific patrol",
            "starts_on": "2027-01-10",
            "request_by": "2026-12-11",
            "detail": "Panama consent must be requested",
        },
    )
    _row(
        report,
        Section.CHANGES,
        "new",
        colombia,
        0,
        "change:new:agreement:1:notice",
        is_gap=False,
        data={
            "section": "agreements",
            "kind": "notice",
            "detail": "New: notice deadline of MOU-COL-2024-003",
        },
    )
    _row(
        report,
        Section.CHANGES,
        "closed",
        panama,
        1,
        "change:closed:panama",
        is_gap=False,
        data={
            "section": "agreements",
            "kind": "review_overdue",
            "detail": "Closed: Panama review done",
        },
    )
    return older, report


def test_every_role_finds_gap_reports_in_the_navigation(personas) -> None:
    for user in [personas.lo, personas.legal_advisor, personas.manager, personas.admin]:
        page = _client(user).get(reverse("partner-list"))
        assert b'href="/gap-reports/"' in page.content


def test_the_list_shows_each_edition_with_its_downloads_in_a_fixed_number_of_queries(
    personas, editions, django_assert_max_num_queries
) -> None:
    _, report = editions
    for n in range(5):
        _edition(personas, as_of=AS_OF - timedelta(days=14 + n))
    client = _client(personas.manager)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("gap-report-list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("Portfolio") >= 7
    assert reverse("gap-report-pdf", args=[report.pk]) in text
    assert reverse("gap-report-xlsx", args=[report.pk]) in text
    assert "Generate a report" in text


def test_the_list_filters_by_scope_and_names_a_bad_filter(personas, editions) -> None:
    partner_edition = _edition(
        personas, as_of=AS_OF, scope=GapReport.Scope.PARTNER, partner=personas.panama
    )
    client = _client(personas.manager)
    text = client.get(reverse("gap-report-list"), {"scope": "partner"}).content.decode()
    assert reverse("gap-report", args=[partner_edition.pk]) in text
    assert reverse("gap-report", args=[editions[1].pk]) not in text
    bad = client.get(reverse("gap-report-list"), {"scope": "galaxy"})
    assert bad.status_code == 200
    assert "scope: Select a valid choice" in bad.content.decode()


def test_the_edition_page_shows_summary_heat_map_changes_trend_and_sections(
    personas, editions, django_assert_max_num_queries
) -> None:
    _, report = editions
    client = _client(personas.manager)
    edition_charts_store(report=report)  # as generating it does
    with django_assert_max_num_queries(16):  # the 15 of the page, and the header's reminders
        page = client.get(reverse("gap-report", args=[report.pk]))
    text = page.content.decode()
    assert "Executive summary" in text
    assert "MOU-COL-2024-003" in text and "MOU-PAN-2025-001" in text
    assert "blocks planned work" in text
    assert "<svg" in text and "Colombia" in text and "Panama" in text
    cell = reverse("gap-report-section", args=[report.pk, "interoperability"])
    assert f"{cell}?partner={personas.colombia.pk}&amp;area=communications" in text
    assert "New: notice deadline of MOU-COL-2024-003" in text
    assert "Trend across editions" in text
    assert f"{reverse('gap-report-csv', args=[report.pk])}?section=sovereignty" in text


def test_the_query_count_of_the_edition_page_does_not_grow_with_its_rows(
    personas, editions, django_assert_max_num_queries
) -> None:
    _, report = editions
    client = _client(personas.manager)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("gap-report", args=[report.pk]))
    GapReportRow.objects.bulk_create(
        GapReportRow(
            report=report,
            section=Section.AGREEMENTS,
            kind="expiring",
            partner=personas.panama,
            rank=100 + n,
            importance=100 + n,
            key=f"agreement:{1000 + n}:expiring",
            data={"partner_name": "Panama", "reference": f"A-{n}", "detail": "x"},
        )
        for n in range(60)
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("gap-report", args=[report.pk]))
    assert "All 62 agreements gaps" in page.content.decode()


def test_a_liaison_officer_sees_only_their_partners_rows_of_a_portfolio_edition(
    personas, editions
) -> None:
    _, report = editions
    text = _client(personas.lo).get(reverse("gap-report", args=[report.pk])).content.decode()
    assert "Colombia" in text and "MOU-COL-2024-003" in text
    assert "Counter-narcotics statute" in text  # a mandate of no partner
    assert "Panama" not in text and "MOU-PAN-2025-001" not in text and "LOG-2" not in text


def test_another_liaison_officer_gets_404_for_a_partner_edition_they_may_not_read(
    personas,
) -> None:
    mine = _edition(personas, as_of=AS_OF, scope=GapReport.Scope.PARTNER, partner=personas.colombia)
    other = _client(personas.other_lo)
    for name in ["gap-report", "gap-report-pdf", "gap-report-xlsx", "gap-report-status"]:
        assert other.get(reverse(name, args=[mine.pk])).status_code == 404, name
    assert (
        other.get(reverse("gap-report-csv", args=[mine.pk]), {"section": "agreements"}).status_code
        == 404
    )
    section = reverse("gap-report-section", args=[mine.pk, "agreements"])
    assert other.get(section).status_code == 404
    assert _client(personas.lo).get(reverse("gap-report", args=[mine.pk])).status_code == 200
    assert _client(personas.outsider).get(reverse("gap-report", args=[mine.pk])).status_code == 403


def test_a_heat_map_cell_opens_the_items_of_that_partner_and_area(personas, editions) -> None:
    _, report = editions
    url = reverse("gap-report-section", args=[report.pk, "interoperability"])
    client = _client(personas.manager)
    text = client.get(
        url, {"partner": personas.colombia.pk, "area": "communications"}
    ).content.decode()
    assert "COM-1" in text and "LOG-2" not in text
    assert "Interoperability · Colombia · Communications" in text
    bad = client.get(url, {"area": "astrology"})
    assert "area: Select a valid choice" in bad.content.decode()
    assert client.get(reverse("gap-report-section", args=[report.pk, "gossip"])).status_code == 404


def _pdf_text(content: bytes, tmp_path: Path, *pages: int) -> str:
    path = tmp_path / "briefing.pdf"
    path.write_bytes(content)
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run(
        [*args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pdf_pages(content: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )


def test_the_briefing_pdf_has_a_cover_the_marking_on_every_page_and_page_numbers(
    personas, editions, tmp_path, settings
) -> None:
    settings.ACCORD_REPORT_MARKING = "RESTRICTED — TEST MARKING"
    _, report = editions
    response = _client(personas.manager).get(reverse("gap-report-pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "gap-report-portfolio-2026-11-30.pdf" in response["Content-Disposition"]
    pages = _pdf_pages(response.content, tmp_path)
    assert pages >= 5  # cover, summary, heat map, trend, changes and sections
    for n in range(1, pages + 1):
        text = _pdf_text(response.content, tmp_path, n)
        assert text.count("RESTRICTED — TEST MARKING") >= 2, f"page {n}"  # header and footer
        assert f"Page {n} of {pages}" in text
    cover = _pdf_text(response.content, tmp_path, 1)
    assert "As of" in cover and "30 Nov 2026" in cover and "Portfolio" in cover
    everything = _pdf_text(response.content, tmp_path)
    for expected in [
        "Executive summary",
        "Colombia",
        "Panama",
        "MOU-COL-2024-003",
        "COM-1",
        "What changed",
        "Trend across editions",
    ]:
        assert expected in everything, expected


def test_a_liaison_officers_pdf_holds_only_their_partners(personas, editions, tmp_path) -> None:
    _, report = editions
    response = _client(personas.lo).get(reverse("gap-report-pdf", args=[report.pk]))
    text = _pdf_text(response.content, tmp_path)
    assert "Colombia" in text and "MOU-COL-2024-003" in text
    assert "Panama" not in text and "MOU-PAN-2025-001" not in text


def _workbook(content: bytes):
    return load_workbook(io.BytesIO(content), read_only=True)


def test_the_xlsx_has_a_summary_and_one_sheet_per_section_read_back(personas, editions) -> None:
    _, report = editions
    response = _client(personas.manager).get(reverse("gap-report-xlsx", args=[report.pk]))
    assert response.status_code == 200
    book = _workbook(response.content)
    assert book.sheetnames == [
        "Summary",
        "Interoperability",
        "Agreements",
        "Mandates",
        "Sovereignty",
        "What changed",
    ]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Scope"] == "Portfolio"
    assert summary["Open gaps: Agreements"] == 2
    assert summary["Gaps blocking planned work"] == 1
    agreements = list(book["Agreements"].iter_rows(values_only=True))
    header = agreements[0]
    assert header[:3] == ("Partner", "Gap", "Reference")
    first = dict(zip(header, agreements[1], strict=True))
    assert first["Reference"] == "MOU-COL-2024-003"
    assert first["Date"].date() == date(2026, 12, 20)  # typed, not text
    assert first["Days"] == 20
    assert first["Title"] == '=HYPERLINK("x")'  # kept as text, never a formula
    assert {r[0] for r in agreements[1:]} == {"Colombia", "Panama"}
    items = [r for r in book["Interoperability"].iter_rows(values_only=True)][1:]
    assert {r[5] for r in items if r[1] == "Open item"} == {"COM-1", "LOG-2"}


def test_a_liaison_officers_xlsx_and_csv_hold_only_their_partners(personas, editions) -> None:
    _, report = editions
    client = _client(personas.lo)
    book = _workbook(client.get(reverse("gap-report-xlsx", args=[report.pk])).content)
    for sheet in book.sheetnames[1:]:
        cells = {c for row in book[sheet].iter_rows(values_only=True) for c in row}
        assert "Panama" not in cells, sheet
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Open gaps: Agreements"] == 1
    response = client.get(reverse("gap-report-csv", args=[report.pk]), {"section": "agreements"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["Colombia"]


def test_each_section_downloads_as_csv_and_a_bad_section_is_named(personas, editions) -> None:
    _, report = editions
    client = _client(personas.manager)
    url = reverse("gap-report-csv", args=[report.pk])
    for section, expected in [
        ("interoperability", "COM-1"),
        ("agreements", "MOU-PAN-2025-001"),
        ("mandates", "Counter-narcotics statute"),
        ("sovereignty", "Pacific patrol"),
        ("changes", "Closed: Panama review done"),
    ]:
        response = client.get(url, {"section": section})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"gap-report-portfolio-{section}-2026-11-30.csv" in response["Content-Disposition"]
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert expected in body, section
    agreements = b"".join(client.get(url, {"section": "agreements"}).streaming_content)
    assert b"'=HYPERLINK" in agreements
    for bad in [{}, {"section": "gossip"}]:
        refused = client.get(url, bad)
        assert refused.status_code == 400
        assert refused.content.startswith(b"section:")


def test_a_failed_edition_shows_why_and_retry_queues_it_again(personas) -> None:
    failed = _edition(
        personas, as_of=AS_OF, status=GapReport.Status.FAILED, reason="The worker was lost."
    )
    client = _client(personas.manager)
    text = client.get(reverse("gap-report", args=[failed.pk])).content.decode()
    assert "This edition failed" in text and "The worker was lost." in text
    assert reverse("gap-report-retry", args=[failed.pk]) in text
    assert client.get(reverse("gap-report-pdf", args=[failed.pk])).status_code == 404
    response = client.post(reverse("gap-report-retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == GapReport.Status.QUEUED
    text = client.get(reverse("gap-report", args=[failed.pk]), follow=True).content.decode()
    assert "Generating the edition again." in text
    assert f'hx-get="{reverse("gap-report-status", args=[failed.pk])}"' in text
    again = client.post(reverse("gap-report-retry", args=[failed.pk]), follow=True)
    assert "Only a failed report is retried" in again.content.decode()


def test_the_status_fragment_polls_while_open_and_reloads_the_page_when_done(personas) -> None:
    report = _edition(personas, as_of=AS_OF, status=GapReport.Status.RUNNING)
    GapReport.objects.filter(pk=report.pk).update(progress=40, progress_label="Agreements")
    client = _client(personas.manager)
    url = reverse("gap-report-status", args=[report.pk])
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert b"every 2s" in fragment.content and b"Agreements" in fragment.content
    GapReport.objects.filter(pk=report.pk).update(status=GapReport.Status.DONE)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_a_manager_generates_a_report_from_the_form_and_follows_it(personas) -> None:
    client = _client(personas.manager)
    form = client.get(reverse("gap-report-create"))
    assert b'name="horizon_days"' in form.content
    response = client.post(
        reverse("gap-report-create"),
        {"scope": "portfolio", "as_of": timezone.localdate().isoformat(), "horizon_days": "90"},
    )
    report = GapReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("gap-report", args=[report.pk])
    assert report.generated_by == personas.manager


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"horizon_days": "3"}, "horizon_days"),
        ({"horizon_days": "lots"}, "horizon_days"),
        ({"as_of": "2026-02-31"}, "as_of"),
        ({"scope": "partner"}, "partner"),
        ({"scope": "region", "region": "atlantis"}, "region"),
    ],
)
def test_bad_input_on_the_generate_form_is_named_and_nothing_is_written(
    personas, values, field
) -> None:
    data = {"scope": "portfolio", "as_of": timezone.localdate().isoformat(), "horizon_days": "90"}
    response = _client(personas.manager).post(reverse("gap-report-create"), {**data, **values})
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not GapReport.objects.exists()


def test_a_liaison_officer_cannot_generate_another_partners_report(personas) -> None:
    response = _client(personas.lo).post(
        reverse("gap-report-create"),
        {
            "scope": "partner",
            "partner": personas.panama.pk,
            "as_of": timezone.localdate().isoformat(),
            "horizon_days": "90",
        },
    )
    assert response.status_code == 200
    assert "partner" in response.context["form"].errors
    assert not GapReport.objects.exists()


def test_a_generated_edition_renders_as_page_pdf_and_xlsx(personas, tmp_path) -> None:
    report = gap_report_request(
        by=personas.manager, scope="portfolio", as_of=timezone.localdate(), horizon_days=90
    )
    report = gap_report_generate(report=report)
    assert report.status == GapReport.Status.DONE, report.reason
    client = _client(personas.manager)
    assert client.get(reverse("gap-report", args=[report.pk])).status_code == 200
    pdf = client.get(reverse("gap-report-pdf", args=[report.pk]))
    assert "Colombia" in _pdf_text(pdf.content, tmp_path)
    book = _workbook(client.get(reverse("gap-report-xlsx", args=[report.pk])).content)
    assert book.sheetnames[0] == "Summary"


def test_charts_stay_plain_inline_svg_on_pages_after_a_pdf_was_rendered(personas, editions) -> None:
    """WeasyPrint re-registers XML namespaces on import; the page's charts must still be
    `<svg>` (a browser draws no `<ns0:svg>` inline)."""
    _, report = editions
    client = _client(personas.manager)
    assert client.get(reverse("gap-report-pdf", args=[report.pk])).status_code == 200
    text = client.get(reverse("gap-report", args=[report.pk])).content.decode()
    assert "<svg " in text
    assert "ns0:" not in text


def test_the_bench_times_the_edition_page_pdf_and_xlsx_for_each_reader(personas, editions) -> None:
    from checklists.bench import measure_report_files

    results = measure_report_files({"manager": personas.manager, "lo": personas.lo}, repeat=1)
    names = {(m.name.split(" (")[0], m.role) for m in results}
    assert names == {
        (name, role)
        for name in ["gap report edition page", "gap report briefing PDF", "gap report XLSX"]
        for role in ["manager", "lo"]
    } | {
        ("gap report briefing PDF made and stored by the task", "system"),
        ("gap report XLSX made and stored by the task", "system"),
    }
    assert all(m.notes.endswith("KiB") and m.samples_ms for m in results)
    assert all(m.notes.startswith(f"{len(m.samples_ms)} run") for m in results)
    files = [m for m in results if m.role != "system" and "page" not in m.name]
    assert {m.role: "the stored file" in m.notes for m in files} == {"manager": True, "lo": False}


def test_at_tier_l_the_bench_renders_each_file_once_and_says_so(personas, editions) -> None:
    from checklists.bench import measure_report_files

    results = measure_report_files(
        {"manager": personas.manager, "lo": personas.lo}, repeat=10, tier="L"
    )
    for m in results:
        files = "PDF" in m.name or "XLSX" in m.name
        assert len(m.samples_ms) == (1 if files else 10), m
        assert m.notes.startswith("1 run;" if files else "10 runs;"), m.notes
        assert m.queries > 0


def test_charts_are_drawn_once_per_audience_and_an_lo_gets_only_their_partners(
    personas, editions, monkeypatch
) -> None:
    _, report = editions
    _client(personas.manager).get(reverse("gap-report", args=[report.pk]))
    _client(personas.lo).get(reverse("gap-report", args=[report.pk]))
    charts = GapReportChart.objects.filter(report=report, name=GapReportChart.Name.HEAT_MAP)
    assert charts.count() == 2
    everyone = charts.get(audience=GapReportChart.EVERYONE)
    assert "Colombia" in everyone.svg and "Panama" in everyone.svg
    mine = charts.exclude(audience=GapReportChart.EVERYONE).get()
    assert "Colombia" in mine.svg and "Panama" not in mine.svg

    def refuse(**_: object) -> str:
        raise AssertionError("a stored chart was drawn again")

    monkeypatch.setattr("checklists.gap_reports.charts.heat_map_svg", refuse)
    monkeypatch.setattr("checklists.gap_reports.charts.trend_svg", refuse)
    for user in (personas.manager, personas.lo):
        page = _client(user).get(reverse("gap-report", args=[report.pk]))
        assert page.status_code == 200 and "<svg" in page.content.decode()
    assert GapReportChart.objects.filter(report=report).count() == 6
