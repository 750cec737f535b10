"""A done edition's full-view briefing PDF and XLSX: made once by a task after the edition is
done, served to readers who see every row, never to a liaison officer; a failed or stale file
leaves the live rendering in place."""

from __future__ import annotations

import io
import logging
from datetime import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from checklists.gap_reports import files
from checklists.gap_reports.models import GapReport, GapReportFile
from checklists.gap_reports.subscriptions import gap_report_subscribe
from checklists.services.gap_reports import gap_report_generate, gap_report_request
from checklists.tasks import store_gap_report_file
from config.exports import XLSX_TYPE
from tests.checklists.gap_portfolio import TODAY, build_portfolio

Kind = GapReportFile.Kind
#: Both renders at one frozen moment: the XLSX records when it was written (its properties
#: and its zip entries), so only then may two renders be equal byte for byte.
MOMENT = timezone.make_aware(datetime.combine(TODAY, datetime.min.time())).replace(hour=9)
DOWNLOADS = {Kind.PDF: "gap-report-pdf", Kind.XLSX: "gap-report-xlsx"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _generate(personas, django_capture_on_commit_callbacks) -> GapReport:
    """A portfolio edition generated as the worker does: the hooks run after commit."""
    build_portfolio(personas)
    with django_capture_on_commit_callbacks(execute=True):
        report = gap_report_request(
            by=personas.manager, scope=GapReport.Scope.PORTFOLIO, as_of=TODAY
        )
    with django_capture_on_commit_callbacks(execute=True):
        report = gap_report_generate(report=report)
    assert report.status == GapReport.Status.DONE, report.reason
    return report


def _cells(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def _summary(content: bytes) -> dict[object, object]:
    return {row[0]: row[1] for row in _cells(content)["Summary"] if row[0]}


@pytest.fixture
def edition(personas, django_capture_on_commit_callbacks) -> GapReport:
    with time_machine.travel(MOMENT, tick=False):
        return _generate(personas, django_capture_on_commit_callbacks)


def test_a_done_editions_full_view_pdf_and_xlsx_are_stored_once_it_is_done(edition) -> None:
    stored = {f.kind: f for f in GapReportFile.objects.filter(report=edition)}
    assert set(stored) == {Kind.PDF, Kind.XLSX}
    assert bytes(stored[Kind.PDF].content).startswith(b"%PDF-")
    assert bytes(stored[Kind.XLSX].content).startswith(b"PK")  # a zip: the workbook
    for file in stored.values():
        assert file.size == len(bytes(file.content)) > 0


def test_an_edition_not_done_gets_no_stored_file(personas) -> None:
    queued = gap_report_request(by=personas.manager, scope=GapReport.Scope.PORTFOLIO, as_of=TODAY)
    assert store_gap_report_file.delay(queued.pk, Kind.PDF).get() is None
    assert not GapReportFile.objects.exists()


@pytest.mark.parametrize("kind", [Kind.PDF, Kind.XLSX])
def test_the_managers_download_is_the_stored_file_equal_to_the_live_rendering(
    personas, edition, kind, monkeypatch
) -> None:
    stored = GapReportFile.objects.get(report=edition, kind=kind)
    with time_machine.travel(MOMENT, tick=False):
        live = files.render_full_view(edition, kind)
    assert bytes(stored.content) == live  # byte for byte: the same rendering, made once
    # Served without rendering anything: the renderers would fail now.
    monkeypatch.setattr("checklists.gap_reports.views.briefing_pdf", _broken)
    monkeypatch.setattr("checklists.gap_reports.views.workbook_bytes", _broken)
    for reader in (personas.manager, personas.legal_advisor, personas.admin):
        response = _client(reader).get(reverse(DOWNLOADS[kind], args=[edition.pk]))
        assert response.status_code == 200
        assert response.content == live
        assert response["Content-Length"] == str(len(live))
        assert response["Content-Type"] == ("application/pdf" if kind == Kind.PDF else XLSX_TYPE)
        assert (
            f"gap-report-portfolio-{TODAY.isoformat()}.{kind}" in (response["Content-Disposition"])
        )


def _broken(*args: object) -> bytes:
    raise RuntimeError("the renderer broke")


@pytest.mark.parametrize("kind", [Kind.PDF, Kind.XLSX])
def test_a_liaison_officer_never_gets_the_stored_full_view_file(personas, edition, kind) -> None:
    GapReportFile.objects.filter(report=edition, kind=kind).update(content=b"FULL VIEW")
    url = reverse(DOWNLOADS[kind], args=[edition.pk])
    assert _client(personas.manager).get(url).content == b"FULL VIEW"
    response = _client(personas.lo).get(url)
    assert response.status_code == 200
    assert response.content != b"FULL VIEW"
    assert response["Content-Length"] == str(len(response.content))
    if kind == Kind.XLSX:
        cells = {c for rows in _cells(response.content).values() for row in rows for c in row}
        assert "Colombia" in cells and "Panama" not in cells  # only María's partner
    assert _client(personas.outsider).get(url).status_code in (403, 404)


def test_the_task_run_twice_stores_one_file_per_kind_and_renders_nothing_again(
    edition, monkeypatch
) -> None:
    before = {f.kind: (f.pk, f.created_at) for f in GapReportFile.objects.filter(report=edition)}
    monkeypatch.setattr(files, "render_full_view", _broken)
    for kind in Kind.values:
        assert store_gap_report_file.delay(edition.pk, kind).get() is not None
    after = {f.kind: (f.pk, f.created_at) for f in GapReportFile.objects.filter(report=edition)}
    assert after == before


def test_two_workers_racing_store_one_file(edition) -> None:
    """The second worker found no file before the first one's was written: the unique
    constraint keeps one, and both end with it."""
    first = GapReportFile.objects.get(report=edition, kind=Kind.PDF)
    real_first = GapReportFile.objects.filter

    class LateLook:
        calls = 0

        def filter(self, *args: object, **kwargs: object):
            found = real_first(*args, **kwargs)
            LateLook.calls += 1
            return found.none() if LateLook.calls == 1 else found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GapReportFile.objects, "filter", LateLook().filter)
        again = files.gap_report_file_store(report=edition, kind=Kind.PDF)
    assert again is not None and again.pk == first.pk
    assert GapReportFile.objects.filter(report=edition, kind=Kind.PDF).count() == 1


def test_a_failing_render_is_logged_stores_nothing_and_downloads_render_live(
    personas, django_capture_on_commit_callbacks, monkeypatch, caplog, tmp_path
) -> None:
    monkeypatch.setattr(files, "render_full_view", _broken)
    with caplog.at_level(logging.ERROR, logger="checklists.gap_reports.files"):
        report = _generate(personas, django_capture_on_commit_callbacks)
    assert not GapReportFile.objects.filter(report=report).exists()
    assert "full-view pdf could not be made" in caplog.text
    assert "full-view xlsx could not be made" in caplog.text
    client = _client(personas.manager)
    pdf = client.get(reverse("gap-report-pdf", args=[report.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    xlsx = client.get(reverse("gap-report-xlsx", args=[report.pk]))
    assert _summary(xlsx.content)["Scope"] == "Portfolio"


def test_a_file_made_under_another_marking_is_not_served_and_is_made_again(
    personas, edition, settings
) -> None:
    settings.ACCORD_REPORT_MARKING = "RESTRICTED — NEW MARKING"
    stale = GapReportFile.objects.get(report=edition, kind=Kind.XLSX)
    url = reverse("gap-report-xlsx", args=[edition.pk])
    live = _client(personas.manager).get(url).content
    assert live != bytes(stale.content)
    assert _summary(live)["Marking"] == "RESTRICTED — NEW MARKING"
    store_gap_report_file.delay(edition.pk, Kind.XLSX)
    fresh = GapReportFile.objects.get(report=edition, kind=Kind.XLSX)
    assert fresh.pk != stale.pk and fresh.marking == "RESTRICTED — NEW MARKING"
    assert _client(personas.manager).get(url).content == bytes(fresh.content)


def test_a_full_view_subscriber_is_e_mailed_the_stored_pdf_and_an_lo_their_own(
    personas, django_capture_on_commit_callbacks
) -> None:
    gap_report_subscribe(by=personas.manager, scope="portfolio")
    gap_report_subscribe(by=personas.lo, scope="portfolio")
    with time_machine.travel(MOMENT, tick=False):
        report = _generate(personas, django_capture_on_commit_callbacks)
    stored = bytes(GapReportFile.objects.get(report=report, kind=Kind.PDF).content)
    attached = {
        message.to[0].split("<")[-1].rstrip(">"): message.attachments[0][1]
        for message in mail.outbox
    }
    assert attached[personas.manager.email] == stored
    assert attached[personas.lo.email] != stored
