"""Gap report editions: requested (on demand or by the schedule), generated once by a worker,
always finished `done` or `failed`.

An edition is claimed with a conditional update and keeps a heartbeat while its sections are
computed; its rows are written and it is marked done in one transaction, so a crash leaves it
`running` with no rows, and the sweep marks it failed. A failed edition can be retried."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Min, Q
from django.utils import timezone

from agreements.models import Agreement, Partner
from checklists.exceptions import ChecklistsError
from checklists.gap_reports.changes import change_rows, previous_edition
from checklists.gap_reports.charts import edition_charts_store
from checklists.gap_reports.legal_sections import agreement_rows, mandate_rows, sovereignty_rows
from checklists.gap_reports.models import (
    MAX_HORIZON_DAYS,
    MIN_HORIZON_DAYS,
    GapReport,
    GapReportRow,
    GapReportShare,
)
from checklists.gap_reports.notify import edition_ready
from checklists.gap_reports.sections import (
    SEVERITY_ORDER,
    PlannedWork,
    RowDraft,
    Scope,
    interoperability_rows,
    open_item_counts,
    open_items,
)
from checklists.gap_reports.selectors import (
    CHANGE_KINDS,
    can_generate_gap_report,
    can_read_gap_reports,
    can_retry_gap_report,
    shares_of,
)
from checklists.models import Assessment
from config.roles import AnyUser

logger = logging.getLogger(__name__)

#: How far ahead of today an as-of date may be.
MAX_DAYS_AHEAD = 366


# --- request ---------------------------------------------------------------------------------


def earliest_data_date() -> date | None:
    """The first day any record speaks of: no report can be as of a day before it."""
    days: list[date] = []
    agreements = Agreement.objects.aggregate(
        signed=Min("signed_on"), effective=Min("effective_on"), created=Min("created_at")
    )
    days += [d for d in (agreements["signed"], agreements["effective"]) if d]
    for created in (
        agreements["created"],
        Partner.objects.aggregate(first=Min("created_at"))["first"],
        Assessment.objects.aggregate(first=Min("created_at"))["first"],
    ):
        if created:
            days.append(timezone.localdate(created))
    return min(days) if days else None


def clean_scope(
    *, by: AnyUser | None, scope: str, partner: Partner | int | str | None, region: str
) -> tuple[Partner | None, str]:
    """The scope of an edition or a subscription: a known scope, the partner or region it
    names (and only that), and one the person may generate. Field-named errors."""
    errors: dict[str, list[str]] = {}
    found, region = _scope_errors(by=by, scope=scope, partner=partner, region=region, errors=errors)
    if errors:
        raise ValidationError(errors)
    return found, region


def _scope_errors(
    *,
    by: AnyUser | None,
    scope: str,
    partner: Partner | int | str | None,
    region: str,
    errors: dict[str, list[str]],
) -> tuple[Partner | None, str]:
    if scope not in GapReport.Scope.values:
        errors["scope"] = [f"Choose one of: {', '.join(GapReport.Scope.values)}."]
    found: Partner | None = None
    if scope == GapReport.Scope.PARTNER:
        found = _partner(partner, errors)
    elif partner not in (None, ""):
        errors["partner"] = ["Only a partner edition names a partner."]
    region = region or ""
    if scope == GapReport.Scope.REGION:
        if region not in Partner.Region.values:
            errors["region"] = [f"Choose one of: {', '.join(Partner.Region.values)}."]
    elif region:
        errors["region"] = ["Only a region edition names a region."]
    allowed = by is None or can_generate_gap_report(by, scope=scope, partner=found, region=region)
    if not errors and not allowed:
        if scope == GapReport.Scope.PARTNER:
            errors["partner"] = ["No such partner in your portfolio."]
        elif scope == GapReport.Scope.REGION:
            errors["region"] = ["You hold no partner in this region."]
        else:
            raise PermissionDenied("You may not generate gap reports.")
    return found, region


def _clean_request(
    *,
    by: AnyUser | None,
    scope: str,
    partner: Partner | int | str | None,
    region: str,
    as_of: date | None,
    horizon_days: int | None,
) -> tuple[Partner | None, str, int]:
    errors: dict[str, list[str]] = {}
    _check_as_of(as_of, errors)
    horizon = horizon_days if horizon_days is not None else 90
    if not isinstance(horizon, int) or not MIN_HORIZON_DAYS <= horizon <= MAX_HORIZON_DAYS:
        errors["horizon_days"] = [
            f"Enter a whole number of days from {MIN_HORIZON_DAYS} to {MAX_HORIZON_DAYS}."
        ]
    found, region = _scope_errors(by=by, scope=scope, partner=partner, region=region, errors=errors)
    if errors:
        raise ValidationError(errors)
    return found, region, horizon


def _partner(partner: Partner | int | str | None, errors: dict[str, list[str]]) -> Partner | None:
    if isinstance(partner, Partner):
        return partner
    if partner in (None, ""):
        errors["partner"] = ["A partner edition needs a partner."]
        return None
    try:
        return Partner.objects.get(pk=int(partner))
    except (Partner.DoesNotExist, ValueError, TypeError, OverflowError):
        errors["partner"] = [f"No such partner: {partner}."]
        return None


def _check_as_of(as_of: date | None, errors: dict[str, list[str]]) -> None:
    if not isinstance(as_of, date):
        errors["as_of"] = ["Enter the as-of date, e.g. 2026-12-01."]
        return
    latest = timezone.localdate() + timedelta(days=MAX_DAYS_AHEAD)
    if as_of > latest:
        errors["as_of"] = [f"An as-of date can be at most {MAX_DAYS_AHEAD} days ahead."]
        return
    first = earliest_data_date()
    if first is None:
        errors["as_of"] = ["There is no data to report on yet."]
    elif as_of < first:
        errors["as_of"] = [f"Accord holds no data before {first:%d %B %Y}: pick a later date."]


def _open_identical(scope_key: str, as_of: date, horizon: int) -> GapReport | None:
    return GapReport.objects.filter(
        scope_key=scope_key,
        as_of=as_of,
        horizon_days=horizon,
        status__in=GapReport.OPEN_STATUSES,
    ).first()


def _enqueue(report: GapReport) -> None:
    from checklists.tasks import generate_gap_report  # tasks import services: import late

    transaction.on_commit(lambda: generate_gap_report.delay(report.pk))


def gap_report_request(
    *,
    by: AnyUser | None,
    scope: str,
    partner: Partner | int | str | None = None,
    region: str = "",
    as_of: date | None,
    horizon_days: int | None = 90,
) -> GapReport:
    """Queue an edition, or answer with the identical one already queued or running.
    `by=None` is the system (the schedule, the command): it may generate any edition."""
    if by is not None and not can_read_gap_reports(by):
        raise PermissionDenied("You may not generate gap reports.")
    found, region, horizon = _clean_request(
        by=by, scope=scope, partner=partner, region=region, as_of=as_of, horizon_days=horizon_days
    )
    assert as_of is not None
    key = GapReport.key_for(scope, partner_id=found.pk if found else None, region=region)
    existing = _open_identical(key, as_of, horizon)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            report = GapReport.objects.create(
                scope=scope,
                partner=found,
                region=region,
                as_of=as_of,
                horizon_days=horizon,
                generated_by=by if isinstance(by, User) else None,
                trigger=GapReport.Trigger.ON_DEMAND,
            )
    except IntegrityError:
        # Another request won the race for the same edition: answer with that one.
        existing = _open_identical(key, as_of, horizon)
        if existing is None:
            raise
        return existing
    _enqueue(report)
    return report


def gap_report_retry(*, report: GapReport, by: AnyUser) -> GapReport:
    """A failed edition is queued again, keeping its identity (and its place in the period)."""
    if not can_retry_gap_report(by, report):
        if report.status != GapReport.Status.FAILED:
            raise ChecklistsError(
                f"Only a failed report is retried; this one is {report.get_status_display()}."
            )
        raise PermissionDenied("You may not retry this report.")
    if _open_identical(report.scope_key, report.as_of, report.horizon_days):
        raise ChecklistsError("An identical report is already being generated.")
    try:
        with transaction.atomic():
            changed = GapReport.objects.filter(pk=report.pk, status=GapReport.Status.FAILED).update(
                status=GapReport.Status.QUEUED,
                progress=0,
                progress_label="Queued again",
                reason="",
                started_at=None,
                finished_at=None,
                heartbeat_at=None,
            )
    except IntegrityError:
        raise ChecklistsError("An identical report is already being generated.") from None
    report.refresh_from_db()
    if changed:
        _enqueue(report)
    return report


def gap_report_scheduled(*, as_of: date) -> GapReport:
    """The weekly portfolio edition of the ISO week of `as_of`: one per period whatever the
    number of runs (a unique constraint), queued only by the run that created it."""
    year, week, _ = as_of.isocalendar()
    period = f"{year}-W{week:02d}"
    key = GapReport.key_for(GapReport.Scope.PORTFOLIO)
    existing = GapReport.objects.filter(
        scope_key=key, period=period, trigger=GapReport.Trigger.SCHEDULED
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            report = GapReport.objects.create(
                scope=GapReport.Scope.PORTFOLIO,
                as_of=as_of,
                trigger=GapReport.Trigger.SCHEDULED,
                period=period,
            )
    except IntegrityError:
        return GapReport.objects.get(
            scope_key=key, period=period, trigger=GapReport.Trigger.SCHEDULED
        )
    _enqueue(report)
    return report


# --- generation ------------------------------------------------------------------------------

#: The steps of a generation, with the progress each reaches and its label.
_STEPS: list[tuple[str, int, str]] = [
    ("interoperability", 20, "Scoring interoperability"),
    ("agreements", 40, "Reading agreements"),
    ("mandates", 60, "Reading mandates"),
    ("sovereignty", 80, "Checking engagements"),
    ("changes", 90, "Comparing with the previous edition"),
]


def _beat(report: GapReport, progress: int, label: str) -> None:
    GapReport.objects.filter(pk=report.pk, status=GapReport.Status.RUNNING).update(
        progress=progress, progress_label=label, heartbeat_at=timezone.now()
    )


def compute_sections(
    scope: Scope, *, on_step: Callable[[int, str], None] | None = None
) -> list[RowDraft]:
    """Every section's rows worded in Python, not yet ranked: all but the interoperability
    section's open items, which are judged and written by one INSERT … SELECT
    (`open_items`)."""
    planned = PlannedWork.of(scope)
    builders: dict[str, Callable[[], list[RowDraft]]] = {
        "interoperability": lambda: interoperability_rows(scope),
        "agreements": lambda: agreement_rows(scope, planned),
        "mandates": lambda: mandate_rows(scope, planned),
        "sovereignty": lambda: sovereignty_rows(scope),
    }
    drafts: list[RowDraft] = []
    for name, progress, label in _STEPS[:4]:
        if on_step:
            on_step(progress - 20, label)
        drafts += builders[name]()
    return drafts


# The order of an edition's rows across its sections is one number per row, worked out
# for each row alone (in Python, or in SQL for the open items): what changed comes last,
# gaps before scores, gaps that block planned work first, then the more severe, the nearer
# date, the section, and the row's rank within its section.
# The number stays below 2**53 (≈ 3.5e15 at most), so the API's JSON `importance` is exact
# in every client, JavaScript's too: dates count in days from 1800 (entered dates lie in
# 1900–2200 and derived ones within ten years of them; anything beyond sorts with the
# nearest end), and a section ranks up to 10**8 rows.
_SECTIONS = list(GapReportRow.Section.values)
_FIRST_DAY = date(1800, 1, 1).toordinal()
_LAST_DAY = date(2399, 12, 31).toordinal()
_NO_DATE = _LAST_DAY - _FIRST_DAY + 1
_DAYS = _NO_DATE + 1
_RANKS = 10**8


def _importance(
    *, group: int, severity_order: int, day_number: int, section: str, rank: int
) -> int:
    return (
        ((group * 4 + severity_order) * _DAYS + day_number) * len(_SECTIONS)
        + _SECTIONS.index(section)
    ) * _RANKS + rank


def _group(draft: RowDraft) -> int:
    changes = draft.section == GapReportRow.Section.CHANGES
    return changes * 4 + (not draft.is_gap) * 2 + (not draft.blocks_planned_work)


def _day_number(day: date | None) -> int:
    """Days since 1800-01-01, held to 1800–2399, or the number of "no date" (after all)."""
    if day is None:
        return _NO_DATE
    return min(max(day.toordinal(), _FIRST_DAY), _LAST_DAY) - _FIRST_DAY


def _importance_of(draft: RowDraft, rank: int) -> int:
    return _importance(
        group=_group(draft),
        severity_order=SEVERITY_ORDER.get(draft.severity, 3),
        day_number=_day_number(draft.due_on),
        section=draft.section,
        rank=rank,
    )


#: Where the open items sort within their section: before a row whose order starts after
#: theirs — (blocks no planned work, the item's severity, 2); see RowDraft.order and
#: `open_items`.
_ITEM_GROUP = 2


def _item_prefix(severity_order: int) -> tuple[Any, ...]:
    return (True, severity_order, _ITEM_GROUP)


def _rank(drafts: list[RowDraft], item_counts: dict[str, int]) -> dict[int, int]:
    """Each draft's rank within its section ({id(draft): rank}), counting the open items
    (`item_counts` by severity) that sort before it; sorts the drafts by section and rank."""
    ranks: dict[int, int] = {}
    by_section: dict[str, list[RowDraft]] = {}
    for draft in drafts:
        by_section.setdefault(draft.section, []).append(draft)
    counts = {SEVERITY_ORDER.get(s, 3): n for s, n in item_counts.items()}
    for section, section_drafts in by_section.items():
        section_drafts.sort(key=RowDraft.order)
        for rank, draft in enumerate(section_drafts):
            before = 0
            if section == GapReportRow.Section.INTEROPERABILITY:
                prefix = draft.order()[:3]
                before = sum(n for s, n in counts.items() if _item_prefix(s) < prefix)
            ranks[id(draft)] = rank + before
    drafts.sort(key=lambda d: (_SECTIONS.index(d.section), ranks[id(d)]))
    return ranks


def _item_offsets(drafts: list[RowDraft]) -> dict[int, int]:
    """By severity order: how many of the section's other rows sort before an open item."""
    prefixes = [d.order()[:3] for d in drafts if d.section == GapReportRow.Section.INTEROPERABILITY]
    return {
        n: sum(1 for prefix in prefixes if prefix < _item_prefix(n))
        for n in sorted(set(SEVERITY_ORDER.values()))
    }


def _totals(
    drafts: list[RowDraft], changes: list[RowDraft], item_counts: dict[str, int]
) -> dict[str, Any]:
    """What the executive summary, the trend and the section headings show to a reader who
    sees every row: stored with the edition, so reading it aggregates nothing."""
    interoperability = GapReportRow.Section.INTEROPERABILITY
    items = sum(item_counts.values())
    gaps = Counter(d.section for d in drafts if d.is_gap)
    gaps[interoperability] += items
    kinds = Counter(d.kind for d in changes)
    scores = [d.score for d in drafts if d.kind == "partner_score"]
    scored = [score for score in scores if score is not None]
    totals: dict[str, Any] = {
        section: gaps[section]
        for section in GapReportRow.Section.values
        if section != GapReportRow.Section.CHANGES
    }
    totals["open_gaps"] = sum(gaps.values())
    totals["blocking"] = sum(1 for d in drafts if d.is_gap and d.blocks_planned_work)
    totals["average_score"] = round(sum(scored) / len(scored), 1) if scored else None
    totals["partners"] = len(scores)
    totals["not_assessed"] = sum(1 for d in drafts if d.is_gap and d.kind == "not_assessed")
    totals["changes"] = {kind: kinds[kind] for kind in CHANGE_KINDS}
    # Every row per section, gaps or not: the count the rows API pages over.
    in_section = Counter(d.section for d in [*drafts, *changes])
    in_section[interoperability] += items
    totals["rows"] = {section: in_section[section] for section in GapReportRow.Section.values}
    return totals


_ROW_COLUMNS = (
    "report_id",
    "section",
    "kind",
    "partner_id",
    "rank",
    "importance",
    "key",
    "is_gap",
    "severity",
    "blocks_planned_work",
    "due_on",
    "score",
    "data",
)


def _day_number_sql(column: str) -> str:
    """`_day_number` of a date column, in SQL."""
    if connection.vendor == "postgresql":
        ordinal = f"({column} - DATE '0001-01-01' + 1)"
        held = f"(LEAST(GREATEST({ordinal}, {_FIRST_DAY}), {_LAST_DAY}) - {_FIRST_DAY})"
    else:
        ordinal = f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"
        held = f"(MIN(MAX({ordinal}, {_FIRST_DAY}), {_LAST_DAY}) - {_FIRST_DAY})"
    # (PostgreSQL's GREATEST passes over a NULL: "no date" is told apart first.)
    return f"CASE WHEN {column} IS NULL THEN {_NO_DATE} ELSE {held} END"


def _insert_items(report: GapReport, scope: Scope, offsets: dict[int, int]) -> None:
    """The open items, judged, ranked and written by the database in one statement."""
    q = connection.ops.quote_name
    table = q(GapReportRow._meta.db_table)
    columns = ", ".join(q(c) for c in _ROW_COLUMNS)
    inner, params = open_items(scope).query.sql_with_params()
    rank = (
        "(i.position - 1 + CASE i.severity_order "
        + " ".join(f"WHEN {n} THEN {offset}" for n, offset in offsets.items())
        + " ELSE 0 END)"
    )
    group = _group(RowDraft(GapReportRow.Section.INTEROPERABILITY, "item", "", None, {}))
    # BIGINT from the first factor on, so PostgreSQL never multiplies in 32 bits.
    importance = (
        f"((((CAST({group} AS BIGINT) * 4 + i.severity_order) * {_DAYS}"
        f" + {_day_number_sql('i.row_due_on')}) * {len(_SECTIONS)}"
        f" + {_SECTIONS.index(GapReportRow.Section.INTEROPERABILITY)}) * {_RANKS} + {rank})"
    )
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s, i.row_partner, {rank},"
        f" {importance}, i.row_key, %s, i.severity, %s, i.row_due_on, NULL, i.row_data"
        f" FROM ({inner}) i ORDER BY i.position"
    )
    section, kind = GapReportRow.Section.INTEROPERABILITY, "item"
    with connection.cursor() as cursor:
        cursor.execute(sql, [report.pk, section, kind, True, False, *params])


def _insert_rows(
    report: GapReport,
    drafts: list[RowDraft],
    ranks: dict[int, int],
    *,
    scope: Scope | None = None,
    offsets: dict[int, int] | None = None,
) -> None:
    """The open items of `scope` (INSERT … SELECT, placed by `offsets`), then `drafts` in one
    statement run over all the values (executemany): no model instance per row, and no
    query per batch. The columns are adapted as the model's fields would (dates, JSON), so
    the rows read back exactly as the ORM wrote them."""
    if scope is not None and offsets is not None:
        _insert_items(report, scope, offsets)
    table = connection.ops.quote_name(GapReportRow._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _ROW_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_ROW_COLUMNS))
    data_field = GapReportRow._meta.get_field("data")
    database = connections[DEFAULT_DB_ALIAS]  # once, not through the proxy for every row
    adapt_date = database.ops.adapt_datefield_value
    values = [
        (
            report.pk,
            draft.section,
            draft.kind,
            draft.partner_id,
            ranks[id(draft)],
            _importance_of(draft, ranks[id(draft)]),
            draft.key[:200],
            draft.is_gap,
            draft.severity,
            draft.blocks_planned_work,
            adapt_date(draft.due_on),
            draft.score,
            data_field.get_db_prep_save(draft.data, database),
        )
        for draft in drafts
    ]
    if not values:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)
            return
        # PostgreSQL: one COPY (executemany costs ~0.3 ms a row there, COPY a few µs).
        started = time.monotonic()
        sql = f"COPY {table} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)
        if connection.queries_logged:  # counted like any statement (bench, debug toolbar)
            took = time.monotonic() - started
            logged = {"sql": f"{sql} -- {len(values)} rows", "time": f"{took:.3f}"}
            connection.queries_log.append(logged)


def _insert_shares(report: GapReport) -> None:
    """Each partner's share of the written rows (and the share of no partner), in brief:
    three grouped reads of the rows without their contents, one insert."""
    GapReportShare.objects.bulk_create(
        GapReportShare(report=report, partner_id=partner_id, **brief)
        for partner_id, brief in shares_of(GapReportRow.objects.filter(report=report)).items()
    )


def _write(
    report: GapReport, scope: Scope, drafts: list[RowDraft], previous: GapReport | None
) -> bool:
    """Rows and `done` in one transaction; False when the claim was lost meanwhile."""
    item_counts = open_item_counts(scope)
    ranks = _rank(drafts, item_counts)
    _beat(report, 90, "Writing the edition and comparing it with the previous one")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The open items are sorted once (~10 MB at 60,000 items): in memory, not on
            # disk; and a one-off statement is not worth compiling.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        _insert_rows(report, drafts, ranks, scope=scope, offsets=_item_offsets(drafts))
        changes = change_rows(report, previous, drafts)
        _insert_rows(report, changes, _rank(changes, {}))
        _insert_shares(report)
        changed = GapReport.objects.filter(pk=report.pk, status=GapReport.Status.RUNNING).update(
            status=GapReport.Status.DONE,
            progress=100,
            progress_label="Done",
            totals={**_totals(drafts, changes, item_counts), "shares": True},
            previous=previous,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        if changed != 1:
            transaction.set_rollback(True)
            return False
        edition_charts_store(report=report)
    return True


def gap_report_generate(*, report: GapReport) -> GapReport:
    """Generate a queued edition once: only the worker whose conditional update claims it
    runs; it always ends `done` or `failed`."""
    now = timezone.now()
    claimed = GapReport.objects.filter(pk=report.pk, status=GapReport.Status.QUEUED).update(
        status=GapReport.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        progress=0,
        progress_label="Starting",
        attempts=report.attempts + 1,
    )
    report.refresh_from_db()
    if claimed != 1:
        return report
    done = False
    try:
        scope = Scope.of(report)
        drafts = compute_sections(scope, on_step=lambda p, label: _beat(report, p, label))
        done = _write(report, scope, drafts, previous_edition(report))
    except SoftTimeLimitExceeded:
        _fail(report, "It took longer than the time limit; retry it, or narrow the scope.")
        raise
    except Exception as error:
        # Recorded on the edition (failed, with the reason) and logged with its traceback.
        logger.exception("Gap report %s stopped.", report.pk)
        _fail(report, f"Generation stopped: {type(error).__name__}: {error}")
    report.refresh_from_db()
    if done:
        transaction.on_commit(lambda: edition_ready(report))
    return report


def _fail(report: GapReport, reason: str) -> None:
    GapReport.objects.filter(pk=report.pk, status=GapReport.Status.RUNNING).update(
        status=GapReport.Status.FAILED, reason=reason, finished_at=timezone.now()
    )
    logger.warning("Gap report %s failed: %s", report.pk, reason)


# --- the sweep -------------------------------------------------------------------------------


def _stale_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.ACCORD_GAP_REPORT_STALE_AFTER_SECONDS)


def gap_reports_fail_stale(*, now: datetime) -> list[int]:
    """Running editions whose worker stopped (no heartbeat for the stale limit) are marked
    failed with the reason; their rows were never written."""
    cutoff = _stale_cutoff(now)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    failed = []
    for report in GapReport.objects.filter(stale, status=GapReport.Status.RUNNING):
        last = report.heartbeat_at or report.started_at
        assert last is not None
        changed = GapReport.objects.filter(
            stale, pk=report.pk, status=GapReport.Status.RUNNING
        ).update(
            status=GapReport.Status.FAILED,
            reason=(
                "The worker stopped while generating (no sign of life since "
                f"{last:%Y-%m-%d %H:%M:%S %Z}); nothing of it was kept. Retry it."
            ),
            finished_at=now,
        )
        if changed == 1:
            failed.append(report.pk)
    return failed


def gap_reports_lost_in_queue(*, now: datetime) -> list[int]:
    """Queued editions older than the stale limit: their message may have been lost with the
    broker, so the sweep sends them again. Only one worker can claim an edition."""
    return list(
        GapReport.objects.filter(
            status=GapReport.Status.QUEUED, created_at__lt=_stale_cutoff(now)
        ).values_list("pk", flat=True)
    )
