"""A liaison officer's reads of a portfolio edition: their rows are sought as two indexed
parts (rows of no partner, rows of their partners), and their summary, top gaps, section
heads and row counts are added up from their partners' shares stored with the edition (or,
for an edition stored before shares were, worked out from their rows); their rows API pages
are cut from the parts' ids. Each is checked here against the edition's rows filtered one
by one in Python."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Partner
from agreements.selectors import in_portfolio_of
from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.gap_reports.selectors import (
    CHANGE_KINDS,
    GAP_SECTIONS,
    HEAD_CHANGES,
    HEAD_UNASSESSED,
    gap_report_overview,
    gap_report_rows,
    gap_report_summary,
)
from checklists.services.gap_reports import (
    _insert_shares,
    gap_report_generate,
    gap_report_request,
)
from tests.checklists.gap_portfolio import TODAY

Section = GapReportRow.Section
URL = "/api/v1/gap-reports/"


@pytest.fixture
def edition(portfolio, personas) -> GapReport:
    report = gap_report_generate(
        report=gap_report_request(by=personas.manager, scope="portfolio", as_of=TODAY)
    )
    for n, section in enumerate([Section.MANDATES, Section.CHANGES]):  # rows of no partner
        GapReportRow.objects.create(
            report=report,
            section=section,
            kind="pending_review" if section == Section.MANDATES else "new",
            partner=None,
            rank=n,
            importance=n,
            key=f"no-partner:{n}",
            blocks_planned_work=True,
            data={"partner_name": "", "detail": "For every partner"},
        )
    _reshare(report)
    return report


def _reshare(report: GapReport) -> None:
    """The shares as the generation would have written them with the rows added since."""
    report.shares.all().delete()
    _insert_shares(report)


def _theirs(report: GapReport, user) -> list[GapReportRow]:
    """The rows the reader may see, by the rule itself: no partner, or one of theirs."""
    mine = set(Partner.objects.filter(in_portfolio_of(user)).values_list("pk", flat=True))
    everything = GapReportRow.objects.filter(report=report).order_by("section", "rank", "id")
    return [row for row in everything if row.partner_id is None or row.partner_id in mine]


def _ids(rows) -> list[int]:
    return [row.pk for row in rows]


def test_a_liaison_officer_sees_exactly_the_rows_of_no_partner_and_of_their_partners(
    edition, personas
) -> None:
    for reader in (personas.lo, personas.other_lo):
        expected = _theirs(edition, reader)
        assert any(r.partner_id is None for r in expected)  # a mandate of no partner
        assert any(r.partner_id is not None for r in expected)
        assert _ids(gap_report_rows(edition, reader)) == _ids(expected)
        assert gap_report_rows(edition, reader).count() == len(expected)
        agreements = [r for r in expected if r.section == Section.AGREEMENTS]
        assert _ids(gap_report_rows(edition, reader, section="agreements")) == _ids(agreements)
    everything = GapReportRow.objects.filter(report=edition).count()
    assert gap_report_rows(edition, personas.lo).count() < everything


def test_each_section_holds_exactly_the_readers_rows_and_each_part_seeks_the_section(
    edition, personas
) -> None:
    everything = list(GapReportRow.objects.filter(report=edition).order_by("section", "rank", "id"))
    for reader in (personas.lo, personas.other_lo, personas.manager):
        expected = everything if reader == personas.manager else _theirs(edition, reader)
        for section in Section.values:
            rows = gap_report_rows(edition, reader, section=section)
            assert _ids(rows) == _ids(r for r in expected if r.section == section), section
    assert any(r.partner_id is None for r in _theirs(edition, personas.lo))
    # A liaison officer's parts (no partner; their partners) each name the section, so the
    # (report, partner, section, rank) index finds only that section's rows.
    sql = str(gap_report_rows(edition, personas.lo, section="changes").query)
    assert sql.count('."section" = changes') + sql.count('"section" = changes') >= 2, sql


@pytest.mark.parametrize("shares", [True, False], ids=["from shares", "stored before shares"])
def test_a_liaison_officers_summary_and_section_heads_equal_their_rows_counted_one_by_one(
    edition, personas, shares
) -> None:
    if not shares:
        GapReport.objects.filter(pk=edition.pk).update(totals={**edition.totals, "shares": False})
        edition.refresh_from_db()
    rows = _theirs(edition, personas.lo)
    gaps = [r for r in rows if r.is_gap and r.section != Section.CHANGES]
    summary, heads = gap_report_overview(edition, personas.lo, limit=1)
    assert summary.counts == {str(s): sum(1 for r in gaps if r.section == s) for s in GAP_SECTIONS}
    assert max(summary.counts.values()) >= 2  # so a head of one row is cut short
    assert summary.blocking == sum(1 for r in rows if r.is_gap and r.blocks_planned_work)
    scores = [r.score for r in rows if r.kind == "partner_score"]
    assert summary.partners == len(scores)
    scored = [s for s in scores if s is not None]
    assert summary.average_score == (round(sum(scored) / len(scored), 1) if scored else None)
    assert summary.not_assessed == sum(1 for r in rows if r.kind == "not_assessed")
    assert summary.changes == {
        kind: sum(1 for r in rows if r.section == Section.CHANGES and r.kind == kind)
        for kind in CHANGE_KINDS
    }
    ranked = sorted(gaps, key=lambda r: (r.importance, r.pk))
    assert _ids(summary.top) == _ids(ranked[:10])
    assert summary == gap_report_summary(edition, personas.lo)

    def first(section: str, kind: str | None = None) -> list[int]:
        chosen = [r for r in gaps if r.section == section and kind in (None, r.kind)]
        return _ids(chosen[:1])

    assert _ids(heads[Section.INTEROPERABILITY]) == first(Section.INTEROPERABILITY, "item")
    assert _ids(heads[HEAD_UNASSESSED]) == first(Section.INTEROPERABILITY, "not_assessed")
    for section in (Section.AGREEMENTS, Section.MANDATES, Section.SOVEREIGNTY):
        assert _ids(heads[section]) == first(section)
    changes = [r for r in rows if r.section == Section.CHANGES]
    assert _ids(heads[HEAD_CHANGES]) == _ids(changes[:1])


def test_a_liaison_officers_rows_api_pages_through_exactly_their_rows_in_order(
    edition, personas, api
) -> None:
    expected = _ids(_theirs(edition, personas.lo))
    client = api(personas.lo)
    seen: list[int] = []
    page = 1
    while True:
        body = client.get(f"{URL}{edition.pk}/rows/?page_size=3&page={page}").json()
        assert body["count"] == len(expected)
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        page += 1
    assert seen == expected and page > 1
    # Each section's pages and count (added up from the shares, as the whole count is).
    for section in Section.values:
        theirs = _ids(r for r in _theirs(edition, personas.lo) if r.section == section)
        seen, address = [], f"{URL}{edition.pk}/rows/?section={section}&page_size=2"
        while address:
            body = client.get(address).json()
            assert body["count"] == len(theirs), section
            seen += [row["id"] for row in body["results"]]
            address = body["next"]
        assert seen == theirs, section
    assert client.get(f"{URL}{edition.pk}/rows/?page=999").status_code == 404
    # Another filter with the section: paged as any query of their rows.
    items = [r for r in _theirs(edition, personas.lo) if r.kind == "item"]
    body = client.get(f"{URL}{edition.pk}/rows/?section=interoperability&kind=item").json()
    assert [row["id"] for row in body["results"]] == _ids(items)[:50] and items
    # An edition stored before its shares: the pages' count is counted from the parts.
    GapReport.objects.filter(pk=edition.pk).update(totals={**edition.totals, "shares": False})
    body = client.get(f"{URL}{edition.pk}/rows/?page_size=3&page=2").json()
    assert body["count"] == len(expected)
    assert [row["id"] for row in body["results"]] == expected[3:6]


def test_a_liaison_officers_edition_page_takes_the_same_queries_however_many_rows(
    edition, personas, django_assert_max_num_queries
) -> None:
    client = Client()
    client.force_login(personas.lo)
    url = reverse("gap-report", args=[edition.pk])
    client.get(url)  # the first visit draws and stores this reader's charts
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for partner in (personas.colombia, personas.panama):  # theirs, and another LO's
        GapReportRow.objects.bulk_create(
            GapReportRow(
                report=edition,
                section=Section.AGREEMENTS,
                kind="expiring",
                partner=partner,
                rank=1000 + n,
                importance=1000 + n,
                key=f"agreement:{partner.pk}:{1000 + n}:expiring",
                data={"partner_name": partner.name, "reference": f"X-{n}", "detail": "x"},
            )
            for n in range(40)
        )
    _reshare(edition)
    expected = sum(1 for r in _theirs(edition, personas.lo) if r.section == Section.AGREEMENTS)
    # session, user, roles, edition; their partners (charts), shares, rows by id, charts;
    # the header's reminders
    with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert f"All {expected} agreements gaps" in page.content.decode()
