"""Gap report subscriptions: who may subscribe to what, and each new edition e-mailed once
per subscriber, with the briefing PDF as that subscriber may read it, through the reminders'
ledger; the latest edition's summary on the manager's desk."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from checklists.gap_reports.models import GapReport, GapReportSubscription
from checklists.gap_reports.notify import edition_ready
from checklists.gap_reports.subscriptions import (
    NOTICE_KIND,
    gap_report_subscribe,
    gap_report_unsubscribe,
)
from checklists.services.gap_reports import gap_report_generate, gap_report_request
from config.reminders.models import Reminder
from config.reminders.scan import scan
from tests.checklists.gap_portfolio import TODAY, build_portfolio


def _generate(by, django_capture_on_commit_callbacks) -> GapReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = gap_report_request(by=by, scope=GapReport.Scope.PORTFOLIO, as_of=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        return gap_report_generate(report=report)


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "briefing.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_a_liaison_officer_subscribes_to_their_own_scopes_only(personas) -> None:
    lo = personas.lo
    portfolio = gap_report_subscribe(by=lo, scope="portfolio")
    again = gap_report_subscribe(by=lo, scope="portfolio")
    assert again.pk == portfolio.pk
    assert gap_report_subscribe(
        by=lo, scope="partner", partner=personas.colombia.pk
    ).scope_label == ("Colombia")
    with pytest.raises(ValidationError) as refused:
        gap_report_subscribe(by=lo, scope="partner", partner=personas.panama.pk)
    assert "partner" in refused.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        gap_report_subscribe(by=lo, scope="galaxy")
    assert "scope" in unknown.value.message_dict
    with pytest.raises(PermissionDenied):
        gap_report_subscribe(by=personas.outsider, scope="portfolio")
    with pytest.raises(PermissionDenied):
        gap_report_unsubscribe(by=personas.other_lo, subscription=portfolio)
    assert GapReportSubscription.objects.filter(user=lo).count() == 2


def test_each_new_edition_is_e_mailed_once_to_each_subscriber_with_their_view(
    personas, django_capture_on_commit_callbacks, tmp_path
) -> None:
    build_portfolio(personas)
    gap_report_subscribe(by=personas.manager, scope="portfolio")
    gap_report_subscribe(by=personas.lo, scope="portfolio")
    gap_report_subscribe(by=personas.other_lo, scope="partner", partner=personas.panama.pk)

    report = _generate(personas.manager, django_capture_on_commit_callbacks)
    assert report.status == GapReport.Status.DONE, report.reason
    with django_capture_on_commit_callbacks(execute=True):
        edition_ready(report)  # a second call (a retried hook) arms nothing new
    scan(as_of=TODAY)  # the deadline scan leaves notifications alone

    sent = {message.to[0].split("<")[-1].rstrip(">"): message for message in mail.outbox}
    rows = Reminder.objects.filter(kind=NOTICE_KIND)
    ledger = list(rows.values_list("recipient__username", "status"))
    assert len(mail.outbox) == 2, f"due 2 / sent {len(mail.outbox)} / ledger {ledger}"
    assert set(sent) == {personas.manager.email, personas.lo.email}
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    message_ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(message_ids) == 2

    lo_message = sent[personas.lo.email]
    assert "gap report as of" in lo_message.subject
    body = lo_message.body
    assert reverse("gap-report", args=[report.pk]) in body
    [(filename, content, mimetype)] = lo_message.attachments
    assert filename.endswith(".pdf") and mimetype == "application/pdf"
    lo_text = _pdf_text(content, tmp_path)
    assert "Colombia" in lo_text and "Panama" not in lo_text
    [(_, manager_pdf, _)] = sent[personas.manager.email].attachments
    assert "Panama" in _pdf_text(manager_pdf, tmp_path)


def test_a_subscriber_who_may_no_longer_read_the_scope_gets_nothing(
    personas, django_capture_on_commit_callbacks
) -> None:
    build_portfolio(personas)
    gap_report_subscribe(by=personas.lo, scope="partner", partner=personas.colombia.pk)
    personas.colombia.liaison_officers.remove(personas.lo)
    with django_capture_on_commit_callbacks(execute=True):
        report = gap_report_request(
            by=personas.manager, scope="partner", partner=personas.colombia.pk, as_of=TODAY
        )
    with django_capture_on_commit_callbacks(execute=True):
        gap_report_generate(report=report)
    assert mail.outbox == []
    assert not Reminder.objects.filter(kind=NOTICE_KIND).exists()


def test_subscriptions_on_the_page_and_in_the_api_with_their_history(personas, api) -> None:
    client = Client()
    client.force_login(personas.lo)
    answer = client.post(reverse("gap-report-subscribe"), {"scope": "portfolio"})
    assert answer.status_code == 302
    page = client.get(reverse("gap-report-list")).content.decode()
    assert "E-mail me each new edition" in page and "Stop" in page
    refused = client.post(
        reverse("gap-report-subscribe"), {"scope": "partner", "partner": personas.panama.pk}
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()

    rest = api(personas.lo)
    listed = rest.get("/api/v1/gap-report-subscriptions/").json()
    assert [s["scope_label"] for s in listed] == ["Portfolio"]
    bad = rest.post(
        "/api/v1/gap-report-subscriptions/", {"scope": "region", "region": "nowhere"}, format="json"
    )
    assert bad.status_code == 400 and "region" in bad.json()
    created = rest.post(
        "/api/v1/gap-report-subscriptions/",
        {"scope": "partner", "partner": personas.colombia.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (
        api(personas.other_lo)
        .delete(f"/api/v1/gap-report-subscriptions/{created.json()['id']}/")
        .status_code
        == 404
    )
    assert (
        rest.delete(f"/api/v1/gap-report-subscriptions/{created.json()['id']}/").status_code == 204
    )
    history = rest.get("/api/v1/gap-report-subscriptions/history/").json()
    assert [(h["change"], h["scope_label"], h["by"]) for h in history] == [
        ("ended", "Colombia", "maria"),
        ("subscribed", "Colombia", "maria"),
        ("subscribed", "Portfolio", "maria"),
    ]


def test_the_manager_desk_shows_the_latest_portfolio_edition(
    personas, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(personas.manager)
    assert "No portfolio gap report yet" in client.get("/").content.decode()
    build_portfolio(personas)
    report = _generate(personas.manager, django_capture_on_commit_callbacks)
    desk = client.get("/").content.decode()
    assert "Latest portfolio gap report" in desk
    assert reverse("gap-report", args=[report.pk]) in desk
    assert "block planned work" in desk


def test_an_edition_as_of_a_future_day_is_neither_mailed_nor_the_desk_s_latest(
    personas, django_capture_on_commit_callbacks
) -> None:
    from datetime import timedelta

    build_portfolio(personas)
    gap_report_subscribe(by=personas.manager, scope="portfolio")
    current = _generate(personas.manager, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        projection = gap_report_request(
            by=personas.lo, scope="portfolio", as_of=TODAY + timedelta(days=200)
        )
    with django_capture_on_commit_callbacks(execute=True):
        gap_report_generate(report=projection)
    assert mail.outbox == []
    client = Client()
    client.force_login(personas.manager)
    desk = client.get("/").content.decode()
    assert reverse("gap-report", args=[current.pk]) in desk
    assert reverse("gap-report", args=[projection.pk]) not in desk
