"""Gap report editions: contents of each section on a known portfolio, what changed between
two editions, access through the selectors and the API, the schedule, bad input, crashes."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.http import Http404
from django.utils import timezone

from agreements.models import Agreement
from checklists.exceptions import ChecklistsError
from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.gap_reports.selectors import (
    gap_report_for_user,
    gap_report_heat_map,
    gap_report_rows,
    gap_report_summary,
    gap_report_trend,
    trend_of,
)
from checklists.models import ItemResponse
from checklists.services.gap_reports import (
    _day_number,
    _day_number_sql,
    _importance,
    gap_report_generate,
    gap_report_request,
    gap_report_retry,
    gap_report_scheduled,
    gap_reports_fail_stale,
)
from checklists.tasks import weekly_gap_report
from tests.checklists.gap_portfolio import TODAY
from tests.factories import AgreementFactory


def generate(by, **kwargs) -> GapReport:
    kwargs.setdefault("scope", GapReport.Scope.PORTFOLIO)
    kwargs.setdefault("as_of", TODAY)
    report = gap_report_request(by=by, **kwargs)
    return gap_report_generate(report=report)


def rows_of(report, user, section) -> dict[str, GapReportRow]:
    return {row.key: row for row in gap_report_rows(report, user, section=section)}


def test_each_section_lists_the_known_portfolios_gaps(portfolio, personas) -> None:
    report = generate(personas.manager)
    assert report.status == GapReport.Status.DONE and report.progress == 100
    manager = personas.manager
    colombia, panama = personas.colombia.pk, personas.panama.pk

    interop = rows_of(report, manager, "interoperability")
    score = interop[f"score:partner:{colombia}"]
    assert score.score == pytest.approx(round(100 * 2 / 6, 1))  # 3·0 + 1·1 + 2·0.5 of 6
    items = [r for r in gap_report_rows(report, manager, section="interoperability", kind="item")]
    assert [r.data["item_code"] for r in items] == ["C-1", "L-1"]  # high before medium
    assert items[0].data["overdue"] is True and items[0].data["owner"] == "María Ortega"
    assert f"assessment:partner:{panama}:none" in interop  # Panama was never assessed

    agreements = rows_of(report, manager, "agreements")
    expiring = agreements[f"agreement:{portfolio.pk}:expiring:partner:{colombia}"]
    assert expiring.data["days"] == 40 and expiring.blocks_planned_work
    stuck = next(r for r in agreements.values() if r.kind == "legal_review")
    assert stuck.data["days"] == 45 and stuck.partner_id == panama

    mandates = rows_of(report, manager, "mandates")
    pending = next(r for r in mandates.values() if r.kind == "pending_review")
    assert pending.data["days"] == 10 and pending.partner_id == panama
    unmandated = mandates[f"mandate:none:partner:{colombia}:activity:maritime-interdiction"]
    assert unmandated.blocks_planned_work and unmandated.data["engagements"] == 1

    sovereignty = list(gap_report_rows(report, manager, section="sovereignty"))
    assert [r.kind for r in sovereignty] == ["consent"]
    assert sovereignty[0].data["request_by"] == (TODAY + timedelta(days=10)).isoformat()


def test_gaps_that_block_planned_work_rank_before_theoretical_ones(portfolio, personas) -> None:
    report = generate(personas.manager)
    agreements = list(gap_report_rows(report, personas.manager, section="agreements"))
    assert agreements[0].blocks_planned_work and not agreements[-1].blocks_planned_work
    top = gap_report_summary(report, personas.manager).top
    assert top[0].blocks_planned_work
    assert len(top) <= 10


def test_the_second_edition_says_what_changed_since_the_first(portfolio, personas) -> None:
    first = generate(personas.manager, as_of=TODAY - timedelta(days=7))
    # Since then: the expiry moved later, Colombia's secure voice was fixed, a new agreement
    # in legal review appeared for Colombia.
    Agreement.objects.filter(pk=portfolio.pk).update(expires_on=TODAY + timedelta(days=50))
    ItemResponse.objects.filter(item__code="C-1").update(result="met")
    fresh = AgreementFactory(
        reference="MOU-COL-2026-009", status=Agreement.Status.LEGAL_REVIEW,
        parties=[personas.colombia],
    )  # fmt: skip
    second = generate(personas.manager)
    assert second.previous == first
    changes = {(r.kind, r.data["gap_key"]): r for r in second.rows.filter(section="changes")}
    colombia = personas.colombia.pk
    assert ("closed", f"item:partner:{colombia}:urn:accord:test:gaps:C-1") in changes
    slipped = changes[("slipped", f"agreement:{portfolio.pk}:expiring:partner:{colombia}")]
    assert slipped.data["after"] == (TODAY + timedelta(days=50)).isoformat()
    assert ("new", f"agreement:{fresh.pk}:legal_review:partner:{colombia}") in changes
    assert any(kind == "level" for kind, _ in changes)  # 33 % (level 1) → 83 % (level 2)
    summary = gap_report_summary(second, personas.manager)
    assert summary.changes["closed"] >= 1 and summary.changes["slipped"] == 1
    trend = gap_report_trend(second, personas.manager)
    assert [p.report_id for p in trend] == [first.pk, second.pk]
    assert trend[0].average_score < trend[1].average_score


def _aggregated(report: GapReport) -> GapReport:
    """The same edition as if stored before its totals were: readers aggregate its rows."""
    copy = GapReport.objects.get(pk=report.pk)
    copy.totals = {}
    return copy


def test_a_manager_reads_the_summary_stored_with_the_edition_and_it_equals_its_rows(
    portfolio, personas, django_assert_num_queries
) -> None:
    first = generate(personas.manager, as_of=TODAY - timedelta(days=7))
    ItemResponse.objects.filter(item__code="C-1").update(result="met")
    second = generate(personas.manager)
    with django_assert_num_queries(1):  # the ten most important gaps; the figures are stored
        stored = gap_report_summary(second, personas.manager)
    aggregated = gap_report_summary(_aggregated(second), personas.manager)
    assert stored == aggregated
    assert stored.changes["closed"] >= 1 and stored.not_assessed >= 1  # Panama, never assessed
    with django_assert_num_queries(1):  # the editions, with their stored figures
        trend = trend_of(second, None)
    everyone = sorted({r.partner_id for r in second.rows.all() if r.partner_id})
    assert trend == trend_of(second, everyone)  # aggregated from every partner's rows
    assert [p.report_id for p in trend] == [first.pk, second.pk]


def test_a_liaison_officer_reads_only_their_partners_rows_of_a_portfolio_edition(
    portfolio, personas
) -> None:
    report = generate(personas.manager)
    partners = set(gap_report_rows(report, personas.lo).values_list("partner_id", flat=True))
    assert partners <= {personas.colombia.pk, personas.colombian_navy.pk, None}
    theirs = set(gap_report_rows(report, personas.other_lo).values_list("partner_id", flat=True))
    assert personas.colombia.pk not in theirs and personas.panama.pk in theirs
    everything = gap_report_summary(report, personas.manager)
    mine = gap_report_summary(report, personas.lo)
    assert mine.counts["agreements"] < everything.counts["agreements"]
    theirs_or_none = {personas.colombia.pk, personas.colombian_navy.pk, None}
    assert mine.top and all(r.partner_id in theirs_or_none for r in mine.top)
    heat = gap_report_heat_map(report, personas.other_lo)
    assert heat.partners == []  # Panama has no score; Colombia's is not theirs


def test_a_heat_map_of_fewer_partners_than_scored_reads_the_lowest_scoring_and_counts_all(
    portfolio, personas
) -> None:
    report = generate(personas.manager)
    colombia = gap_report_heat_map(report, personas.manager).partners
    assert [p["name"] for p in colombia] == ["Colombia"]  # 33.3
    for partner, score in ((personas.panama, 80.0), (personas.colombian_navy, 10.0)):
        for kind, data in (
            ("partner_score", {"partner_name": partner.name}),
            ("area_score", {"area": "logistics"}),
        ):
            GapReportRow.objects.create(
                report=report,
                section="interoperability",
                kind=kind,
                partner=partner,
                rank=0,
                importance=0,
                key=f"test:{kind}:{partner.pk}",
                is_gap=False,
                score=score,
                data={**data, "score": score, "level": 0},
            )
    heat = gap_report_heat_map(report, personas.manager, lowest=2)
    assert [p["name"] for p in heat.partners] == ["Colombia", "Colombian Navy"]  # by name
    assert heat.scored == 3
    assert {partner for partner, _ in heat.cells} == {
        personas.colombia.pk,
        personas.colombian_navy.pk,
    }
    every = gap_report_heat_map(report, personas.manager)
    assert [p["name"] for p in every.partners] == ["Colombia", "Colombian Navy", "Panama"]


def test_a_partner_edition_is_read_only_by_that_partners_officers(portfolio, personas) -> None:
    report = generate(personas.lo, scope="partner", partner=personas.colombia)
    assert gap_report_for_user(personas.manager, report.pk) == report
    assert gap_report_for_user(personas.lo, report.pk) == report
    for stranger in (personas.other_lo, personas.outsider):
        with pytest.raises(Http404):
            gap_report_for_user(stranger, report.pk)
    with pytest.raises(ValidationError) as refused:
        gap_report_request(by=personas.other_lo, scope="partner", partner=personas.colombia,
                           as_of=TODAY)  # fmt: skip
    assert "partner" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        gap_report_request(by=personas.outsider, scope="portfolio", as_of=TODAY)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"as_of": date(1990, 1, 1)}, "as_of"),
        ({"as_of": TODAY + timedelta(days=800)}, "as_of"),
        ({"as_of": None}, "as_of"),
        ({"horizon_days": 3}, "horizon_days"),
        ({"horizon_days": 731}, "horizon_days"),
        ({"scope": "galaxy"}, "scope"),
        ({"scope": "partner", "partner": 987654}, "partner"),
        ({"scope": "partner"}, "partner"),
        ({"scope": "region", "region": "atlantis"}, "region"),
        ({"scope": "portfolio", "region": "caribbean"}, "region"),
    ],
)
def test_bad_requests_name_the_field_and_write_nothing(portfolio, personas, fields, field):
    request = {"scope": "portfolio", "as_of": TODAY, **fields}
    with pytest.raises(ValidationError) as refused:
        gap_report_request(by=personas.manager, **request)
    assert field in refused.value.message_dict
    assert not GapReport.objects.exists()


def test_an_identical_request_while_one_is_queued_answers_with_that_one(portfolio, personas):
    first = gap_report_request(by=personas.manager, scope="portfolio", as_of=TODAY)
    again = gap_report_request(by=personas.lo, scope="portfolio", as_of=TODAY)
    assert again == first and GapReport.objects.count() == 1
    with pytest.raises(IntegrityError):
        GapReport.objects.create(scope="portfolio", as_of=TODAY)  # the database agrees


def test_the_weekly_task_run_twice_yields_one_edition(portfolio, personas) -> None:
    with mock.patch("checklists.tasks.generate_gap_report.delay"):
        first = weekly_gap_report(TODAY.isoformat())
        second = weekly_gap_report(TODAY.isoformat())
        later_same_week = gap_report_scheduled(as_of=TODAY + timedelta(days=0))
    assert first == second == later_same_week.pk
    assert GapReport.objects.filter(trigger="scheduled").count() == 1
    assert (
        GapReport.objects.get().period == f"{TODAY.isocalendar()[0]}-W{TODAY.isocalendar()[1]:02d}"
    )


def test_a_crash_mid_generation_leaves_no_visible_rows_and_the_sweep_fails_it(
    portfolio, personas
) -> None:
    report = gap_report_request(by=personas.manager, scope="portfolio", as_of=TODAY)
    dies_while_writing = mock.patch(
        "checklists.services.gap_reports._insert_rows",
        side_effect=KeyboardInterrupt,  # the worker dies while writing
    )
    with dies_while_writing, pytest.raises(KeyboardInterrupt):
        gap_report_generate(report=report)
    report.refresh_from_db()
    assert report.status == GapReport.Status.RUNNING
    assert not GapReportRow.objects.exists()
    assert list(gap_report_rows(report, personas.manager)) == []
    later = timezone.now() + timedelta(hours=1)
    assert gap_reports_fail_stale(now=later) == [report.pk]
    report.refresh_from_db()
    assert report.status == GapReport.Status.FAILED and "worker stopped" in report.reason
    assert gap_reports_fail_stale(now=later) == []  # twice: nothing more happens


def test_a_failed_edition_is_retried_and_then_done(portfolio, personas) -> None:
    report = gap_report_request(by=personas.manager, scope="portfolio", as_of=TODAY)
    with mock.patch(
        "checklists.services.gap_reports.agreement_rows", side_effect=RuntimeError("disk full")
    ):
        report = gap_report_generate(report=report)
    assert report.status == GapReport.Status.FAILED and "disk full" in report.reason
    assert not report.rows.exists()
    with pytest.raises(PermissionDenied):
        gap_report_retry(report=report, by=personas.outsider)
    report = gap_report_retry(report=report, by=personas.manager)
    assert report.status == GapReport.Status.QUEUED
    report = gap_report_generate(report=report)
    assert report.status == GapReport.Status.DONE and report.attempts == 2
    with pytest.raises(ChecklistsError):
        gap_report_retry(report=report, by=personas.manager)  # a done one is not retried


def test_a_done_edition_never_changes(portfolio, personas) -> None:
    report = generate(personas.manager)
    report.reason = "edited"
    with pytest.raises(ChecklistsError):
        report.save()
    row = report.rows.first()
    with pytest.raises(ChecklistsError):
        row.save()


def test_generating_twice_does_nothing_more(portfolio, personas) -> None:
    report = generate(personas.manager)
    count = report.rows.count()
    assert gap_report_generate(report=report).status == GapReport.Status.DONE
    assert report.rows.count() == count


def test_the_command_generates_and_prints_an_edition(portfolio, personas, capsys) -> None:
    call_command("generate_gap_report", "--as-of", TODAY.isoformat(), "--horizon", "60")
    output = capsys.readouterr().out
    assert "Done" in output and "Agreements:" in output
    assert GapReport.objects.get().horizon_days == 60


def test_open_items_judged_in_sql_take_their_place_among_the_sections_other_rows(
    portfolio, personas
) -> None:
    # A low open item too: it ranks after the unassessed partners (medium), before the scores.
    ItemResponse.objects.filter(assessment__partner=personas.colombia, item__code="C-2").update(
        result=ItemResponse.Result.NOT_MET
    )
    report = generate(personas.manager)
    interop = list(report.rows.filter(section="interoperability").order_by("rank"))
    # One rank per row, none skipped: the items written by the database and the rows worded
    # in Python fit together.
    assert [row.rank for row in interop] == list(range(len(interop)))
    kinds = [(row.kind, row.severity) for row in interop]
    assert kinds[:2] == [("item", "high"), ("item", "medium")]
    unassessed = [kind for kind, _ in kinds[2:]].count("not_assessed")
    assert unassessed >= 1 and {kinds[2 + n] for n in range(unassessed)} == {
        ("not_assessed", "medium")
    }
    assert kinds[2 + unassessed] == ("item", "low")
    assert {kind for kind, _ in kinds[3 + unassessed :]} == {"partner_score", "area_score"}
    # Across the sections: gaps that block planned work, then the other gaps by severity,
    # then scores; what changed comes last.
    severity = {"high": 0, "medium": 1, "low": 2, "": 3}
    order = [
        (row.section == "changes", not row.is_gap, not row.blocks_planned_work, row.severity)
        for row in report.rows.order_by("importance")
    ]
    assert order == sorted(order, key=lambda o: (*o[:3], severity[o[3]]))
    top = report.rows.order_by("importance").first()
    assert top is not None and top.blocks_planned_work
    # Exact in a JavaScript client: every sort key is a safe integer.
    assert max(report.rows.values_list("importance", flat=True)) < 2**53


@pytest.mark.parametrize(
    "day",
    [
        None,
        date(1700, 5, 1),
        date(1800, 1, 1),
        date(1900, 1, 1),
        date(2026, 12, 1),
        date(2211, 3, 4),
        date(2399, 12, 31),
        date(9999, 12, 31),
    ],
)
def test_a_dates_place_in_the_sort_key_is_the_same_in_sql_and_python(db, day) -> None:
    # One number for the open items (in SQL) and the other rows (Python): a date out of
    # 1800–2399 takes the nearest end, no date sorts after every date.
    with connection.cursor() as cursor:
        typed = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
        cursor.execute(f"SELECT {_day_number_sql('d.day')} FROM (SELECT {typed} AS day) d", [day])
        (in_sql,) = cursor.fetchone()
    assert in_sql == _day_number(day)
    assert _day_number(date(2026, 12, 1)) < _day_number(date(2026, 12, 2)) < _day_number(None)


def test_the_migration_gives_stored_rows_the_new_sort_key_and_keeps_their_order(
    portfolio, personas
) -> None:
    migration = importlib.import_module(
        "checklists.migrations.0015_gap_report_row_importance_below_2_53"
    )
    report = generate(personas.manager)
    # Keys as the previous encoding wrote them (ordinal day numbers, 10**9 ranks).
    old_days, old_no_date = date.max.toordinal() + 2, date.max.toordinal() + 1
    cases = [
        (0, 0, date(2026, 12, 3), "interoperability", 7),
        (0, 0, date(2026, 12, 1), "agreements", 0),
        (2, 3, None, "interoperability", 12),
        (7, 3, date(2450, 1, 1), "changes", 99_999_999),
    ]
    rows = []
    for n, (group, severity, day, section, rank) in enumerate(cases):
        ordinal = day.toordinal() if day else old_no_date
        old = (
            ((group * 4 + severity) * old_days + ordinal) * 5
            + GapReportRow.Section.values.index(section)
        ) * 10**9 + rank
        rows.append(
            GapReportRow.objects.create(
                report=report, section=section, kind="x", rank=rank, importance=old, key=f"m{n}"
            )
        )
    position = GapReportRow.objects.create(
        report=report, section="agreements", kind="x", rank=3, importance=3, key="pos"
    )
    # What the migration uses of its schema editor (SQLite's cannot open inside a test).
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.reencode(None, editor)
    for row, (group, severity, day, section, rank) in zip(rows, cases, strict=True):
        row.refresh_from_db()
        expected = _importance(
            group=group,
            severity_order=severity,
            day_number=_day_number(day),
            section=section,
            rank=rank,
        )
        assert row.importance == expected < 2**53
    position.refresh_from_db()
    assert position.importance == 3
