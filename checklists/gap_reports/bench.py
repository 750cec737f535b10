"""Gap report measurements for `manage.py bench`: generating the portfolio edition against
hand-written SQL computing the same gaps in the same run, reading a stored edition through
the API, and one partner's edition.

The tier's assessments are approved (the report reads approved ones) and two planned
engagements per partner are added, so every section has work; this runs after the other
measurements, which these changes would otherwise affect."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any
from unittest import mock

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agreements.bench import ON, Measurement, _queries, _time
from agreements.models import ActivityType, Engagement, Partner
from checklists.bench import _client
from checklists.gap_reports.legal_sections import LAPSED_LOOKBACK_DAYS
from checklists.gap_reports.models import GapReport
from checklists.models import Assessment
from checklists.services import gap_reports as gap_report_services
from checklists.services.gap_reports import (
    gap_report_generate,
    gap_report_request,
)

HORIZON = 90

# The same gaps by hand: open items of each partner's latest approved assessment, the
# agreement gaps (expiring, notice, review overdue, legal review, lapsed with no successor)
# of each party, the mandates and engagements the other sections judge, and what is new
# or closed since the previous edition.
RAW_ITEMS_SQL = """
WITH latest AS (
  SELECT a.id, a.partner_id FROM checklists_assessment a
  JOIN agreements_partner p ON p.id = a.partner_id AND p.status <> 'inactive'
  WHERE a.status = 'approved' AND a.approved_at < %(cutoff)s AND NOT EXISTS (
    SELECT 1 FROM checklists_assessment b
    WHERE b.partner_id = a.partner_id AND b.status = 'approved' AND b.approved_at < %(cutoff)s
      AND (b.approved_at > a.approved_at OR (b.approved_at = a.approved_at AND b.id > a.id)))
)
SELECT l.partner_id, t.urn, i.code, i.criticality, i.weight, r.result, r.remediation_due_on,
       u.username
FROM checklists_itemresponse r
JOIN latest l ON l.id = r.assessment_id
JOIN checklists_checklistitem i ON i.id = r.item_id
JOIN checklists_checklisttemplate t ON t.id = i.template_id
LEFT JOIN auth_user u ON u.id = r.owner_id
WHERE r.result IN ('not_met', 'partially_met')
"""
RAW_SCORES_SQL = """
WITH latest AS (
  SELECT a.id FROM checklists_assessment a
  JOIN agreements_partner p ON p.id = a.partner_id AND p.status <> 'inactive'
  WHERE a.status = 'approved' AND a.approved_at < %(cutoff)s AND NOT EXISTS (
    SELECT 1 FROM checklists_assessment b
    WHERE b.partner_id = a.partner_id AND b.status = 'approved' AND b.approved_at < %(cutoff)s
      AND (b.approved_at > a.approved_at OR (b.approved_at = a.approved_at AND b.id > a.id)))
)
SELECT r.assessment_id, i.area,
  SUM(i.weight * CASE r.result WHEN 'met' THEN 1.0 WHEN 'partially_met' THEN 0.5 ELSE 0.0 END),
  SUM(CASE WHEN r.result = 'not_applicable' THEN 0 ELSE i.weight END)
FROM checklists_itemresponse r JOIN checklists_checklistitem i ON i.id = r.item_id
WHERE r.assessment_id IN (SELECT id FROM latest)
GROUP BY r.assessment_id, i.area
"""
RAW_AGREEMENTS_SQL = """
SELECT ap.partner_id, a.id,
  CASE WHEN a.status IN ('signed','in_force','suspended')
        AND a.expires_on BETWEEN %(on)s AND %(until)s THEN 1 ELSE 0 END,
  CASE WHEN a.status IN ('signed','in_force','suspended')
        AND a.notice_deadline BETWEEN %(on)s AND %(until)s THEN 1 ELSE 0 END,
  CASE WHEN a.status IN ('signed','in_force','suspended')
        AND a.next_review_on < %(on)s THEN 1 ELSE 0 END,
  CASE WHEN a.status = 'legal_review' THEN 1 ELSE 0 END,
  CASE WHEN a.id NOT IN (
          SELECT s.supersedes_id FROM agreements_agreement s WHERE s.supersedes_id IS NOT NULL
          UNION SELECT s.parent_id FROM agreements_agreement s
          WHERE s.parent_id IS NOT NULL AND s.relation_to_parent = 'extension')
        AND ((a.status IN ('signed','in_force','suspended')
              AND a.expires_on >= %(lapsed_since)s AND a.expires_on < %(on)s)
          OR (a.status IN ('expired','terminated') AND a.expires_on <= %(on)s
              AND a.expires_on >= %(lapsed_since)s)
          OR (a.status IN ('expired','terminated')
              AND (a.expires_on IS NULL OR a.expires_on > %(on)s)
              AND a.status_changed_at >= %(lapsed_after)s))
       THEN 1 ELSE 0 END
FROM agreements_agreementparty ap
JOIN agreements_agreement a ON a.id = ap.agreement_id
JOIN agreements_partner p ON p.id = ap.partner_id AND p.status <> 'inactive'
WHERE (ap.withdrawn_on IS NULL OR ap.withdrawn_on > %(on)s)
  AND ((a.status IN ('signed','in_force','suspended') AND (
          a.expires_on BETWEEN %(lapsed_since)s AND %(until)s
       OR a.notice_deadline BETWEEN %(on)s AND %(until)s
       OR a.next_review_on < %(on)s))
    OR a.status = 'legal_review'
    OR (a.status IN ('expired','terminated')
        AND (a.expires_on >= %(lapsed_since)s OR a.status_changed_at >= %(lapsed_after)s)))
"""
# What changed: the previous edition's open items and agreement gaps, whose keys set
# against this run's give the new and the closed ones.
RAW_PREVIOUS_SQL = """
SELECT r.section, r.key FROM checklists_gapreportrow r
WHERE r.report_id = %(previous)s AND r.is_gap
  AND ((r.section = 'interoperability' AND r.kind = 'item')
    OR (r.section = 'agreements' AND r.kind IN ('expiring', 'notice', 'review_overdue',
                                                'legal_review', 'lapsed')))
"""
RAW_MANDATES_SQL = """
SELECT m.id, m.status, m.valid_until, m.applies_to_all_partners, mp.partner_id
FROM agreements_legalmandate m
LEFT JOIN agreements_legalmandate_partners mp ON mp.legalmandate_id = m.id
WHERE m.status = 'pending_review'
   OR (m.status IN ('approved','approved_with_conditions')
       AND m.valid_until BETWEEN %(on)s AND %(until)s)
"""
RAW_ENGAGEMENTS_SQL = """
SELECT e.id, e.partner_id, c.effect, c.consent_lead_days
FROM agreements_engagement e
JOIN agreements_partner p ON p.id = e.partner_id AND p.status <> 'inactive'
LEFT JOIN agreements_sovereigntyconstraint c ON c.partner_id = e.partner_id
  AND c.effect IN ('prohibited','requires_consent')
  AND (c.valid_from IS NULL OR c.valid_from <= %(until)s)
  AND (c.valid_until IS NULL OR c.valid_until >= %(on)s)
WHERE e.ends_on >= %(on)s AND e.starts_on <= %(until)s
"""

_KINDS = ("expiring", "notice", "review_overdue", "legal_review", "lapsed")

# What storing costs, apart from computing: the raw open items written by hand into the
# edition's row table, ranked, keyed and with their columns as a JSON object, then rolled
# back. The table's indexes and its deferred foreign keys (checked at commit, which the
# measurement forces) are what any stored edition pays for; no generation can be quicker
# than the raw SQL plus this.
_JSON_OBJECT = {"postgresql": "jsonb_build_object", "sqlite": "json_object"}
RAW_ITEM_ROWS_SQL = """
INSERT INTO checklists_gapreportrow (report_id, section, kind, partner_id, "rank",
  importance, "key", is_gap, severity, blocks_planned_work, due_on, score, data)
SELECT %(report)s, 'interoperability', 'item', x.partner_id,
  ROW_NUMBER() OVER (ORDER BY x.criticality, x.weight DESC, x.partner_id, x.urn, x.code) - 1,
  0, 'item:partner:' || x.partner_id || ':' || x.urn || ':' || x.code, TRUE, x.criticality,
  FALSE, x.remediation_due_on, NULL,
  {json}('urn', x.urn, 'code', x.code, 'criticality', x.criticality, 'weight', x.weight,
         'result', x.result, 'remediation_due_on', x.remediation_due_on, 'owner', x.username)
FROM ({items}) x
"""


def prepare() -> dict[str, Any]:
    """Approve the tier's assessments a day before the report date and plan engagements."""
    approved_at = timezone.make_aware(datetime.combine(ON - timedelta(days=1), clock.min))
    Assessment.objects.update(status=Assessment.Status.APPROVED, approved_at=approved_at)
    types = list(ActivityType.objects.order_by("pk"))
    partners = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
    Engagement.objects.bulk_create(
        (
            Engagement(
                partner_id=pk,
                activity_type=types[(pk + n) % len(types)],
                title=f"Bench engagement {pk}-{n}",
                starts_on=ON + timedelta(days=10 + 20 * n + pk % 30),
                ends_on=ON + timedelta(days=15 + 20 * n + pk % 30),
            )
            for pk in partners
            for n in range(2)
        ),
        batch_size=2000,
    )
    return {"partner": Partner.objects.order_by("pk").first()}


def _raw(cutoff: Any, previous: GapReport) -> dict[str, set[str]]:
    lapsed_since = ON - timedelta(days=LAPSED_LOOKBACK_DAYS)
    params = {
        "on": ON,
        "until": ON + timedelta(days=HORIZON),
        "cutoff": cutoff,
        "lapsed_since": lapsed_since,
        "lapsed_after": timezone.make_aware(
            datetime.combine(lapsed_since + timedelta(days=1), clock.min)
        ),
        "previous": previous.pk,
    }
    keys: dict[str, set[str]] = {"items": set(), "agreements": set()}
    with connection.cursor() as cursor:
        cursor.execute(RAW_ITEMS_SQL, params)
        for partner_id, urn, code, *_ in cursor.fetchall():
            keys["items"].add(f"item:partner:{partner_id}:{urn}:{code}")
        cursor.execute(RAW_SCORES_SQL, params)
        cursor.fetchall()
        cursor.execute(RAW_AGREEMENTS_SQL, params)
        for partner_id, agreement_id, *flags in cursor.fetchall():
            for kind, flag in zip(_KINDS, flags, strict=True):
                if flag:
                    keys["agreements"].add(f"agreement:{agreement_id}:{kind}:partner:{partner_id}")
        cursor.execute(RAW_MANDATES_SQL, params)
        cursor.fetchall()
        cursor.execute(RAW_ENGAGEMENTS_SQL, params)
        cursor.fetchall()
        cursor.execute(RAW_PREVIOUS_SQL, params)
        before = {(section, key) for section, key in cursor.fetchall()}
    now = {("interoperability", key) for key in keys["items"]}
    now |= {("agreements", key) for key in keys["agreements"]}
    keys["changes"] = {f"new:{s}:{k}" for s, k in now - before}
    keys["changes"] |= {f"closed:{s}:{k}" for s, k in before - now}
    return keys


def _raw_items_read(cutoff: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(RAW_ITEMS_SQL, {"cutoff": cutoff})
        return len(cursor.fetchall())


def _raw_item_rows_stored(cutoff: Any) -> int:
    """The raw open items written into the edition's row table (see RAW_ITEM_ROWS_SQL) for a
    scratch edition, foreign keys checked, all rolled back: how many rows were written."""
    sql = RAW_ITEM_ROWS_SQL.format(json=_JSON_OBJECT[connection.vendor], items=RAW_ITEMS_SQL)
    with transaction.atomic():
        scratch = GapReport.objects.create(
            scope=GapReport.Scope.REGION,
            region="global",
            as_of=ON,
            status=GapReport.Status.FAILED,  # never an open request another could meet
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, {"cutoff": cutoff, "report": scratch.pk})
            written: int = cursor.rowcount
            if connection.vendor == "postgresql":  # what the commit would check
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # Django's foreign keys are deferred: so again for the rest of the
                # transaction (a test's, which this one is only a savepoint of).
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        transaction.set_rollback(True)
    return written


def _stored(edition: GapReport) -> dict[str, set[str]]:
    """The item and agreement gap keys the generation stored, and its new and closed ones
    among them, as `_raw` names them."""
    rows = edition.rows.values_list("key", flat=True)
    changes = rows.filter(section="changes", kind__in=["new", "closed"])
    return {
        "items": set(rows.filter(kind="item")),
        "agreements": set(rows.filter(section="agreements", kind__in=_KINDS)),
        "changes": set(
            changes.filter(
                Q(data__section="interoperability", data__kind="item")
                | Q(data__section="agreements", data__kind__in=_KINDS)
            )
        ),
    }


def _timed(
    call: Callable[[], Any], *, after: Callable[[], Any] | None = None
) -> tuple[float, float, Any]:
    """One timed run, then the peak Python memory of a second run (tracing slows a run down
    several times, so it is never the timed one). `after` runs between the two."""
    gc.collect()
    started = time.perf_counter()
    result = call()
    ms = (time.perf_counter() - started) * 1000
    if after is not None:
        after()
    gc.collect()
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return ms, peak / 1024**2, result


#: The steps of a generation the bench times apart (names in checklists.services.gap_reports).
_PHASES = {
    "compute_sections": "sections worded in Python",
    "_insert_items": "open items judged and written in SQL",
    "_insert_rows": "rows written",
    "_insert_shares": "partners' shares",
    "change_rows": "changes",
    "edition_charts_store": "charts drawn",
}


@contextmanager
def _phases() -> Iterator[dict[str, float]]:
    """Milliseconds spent in each step of the generations run inside the block."""
    spent = dict.fromkeys(_PHASES.values(), 0.0)

    def timing(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                spent[_PHASES[name]] += (time.perf_counter() - started) * 1000

        return timed

    with ExitStack() as stack:
        for name in _PHASES:
            step = getattr(gap_report_services, name)
            stack.enter_context(mock.patch.object(gap_report_services, name, timing(name, step)))
        yield spent


def measure(context: dict[str, Any], *, repeat: int) -> list[Measurement]:
    prepared = prepare()
    manager, lo = context["manager"], context["lo"]
    cutoff = timezone.make_aware(datetime.combine(ON + timedelta(days=1), clock.min))
    results = []

    def generate(**kwargs: Any) -> GapReport:
        report = gap_report_request(by=None, as_of=ON, horizon_days=HORIZON, **kwargs)
        return gap_report_generate(report=report)

    # Warm: matplotlib's fonts, and the previous edition both compare against.
    previous = generate(scope="portfolio")
    raw_samples, raw = _time(lambda: _raw(cutoff, previous), max(3, repeat // 10))
    timed_run: dict[str, float] = {}
    with _phases() as spent:
        ms, peak_mb, edition = _timed(
            lambda: generate(scope="portfolio"), after=lambda: timed_run.update(spent)
        )
    # The open items' time is also in "rows written", which calls it: shown apart, not added.
    phases = ", ".join(f"{name} {v:,.0f} ms" for name, v in timed_run.items())
    without_charts = ms - timed_run["charts drawn"]
    raw_ms = statistics.median(raw_samples)
    # The floor of a stored edition: the raw SQL with its open items written, not read.
    stored_samples, written = _time(lambda: _raw_item_rows_stored(cutoff), max(3, repeat // 10))
    read_samples, _ = _time(lambda: _raw_items_read(cutoff), max(3, repeat // 10))
    stored_ms = statistics.median(stored_samples)
    floor_ms = raw_ms - statistics.median(read_samples) + stored_ms
    with_queries = _queries(lambda: generate(scope="portfolio"))
    stored = _stored(edition)
    results.append(
        Measurement(
            "generate the portfolio edition (sections, changes, rows written, charts)",
            "system",
            [ms],
            with_queries,
            raw_samples,
            same_rows=stored == raw,
            notes=f"{edition.rows.count():,} rows ({len(stored['items']):,} open items, "
            f"{len(stored['agreements']):,} agreement deadlines, the same keys as the raw SQL's:"
            f" {stored == raw}); peak Python memory {peak_mb:.0f} MB; {phases}; "
            f"without the charts {without_charts:,.0f} ms = "
            f"{without_charts / raw_ms:.1f}× the raw SQL ({raw_ms:,.0f} ms); the raw SQL "
            f"writing its {written:,} open items into the row table instead of reading them "
            f"(insert, indexes, foreign keys checked) takes {floor_ms:,.0f} ms = "
            f"{floor_ms / raw_ms:.1f}× the raw SQL, the floor of any stored edition "
            f"(the generation is {without_charts / floor_ms:.1f}× that floor)",
        )
    )
    for who, user in (("manager", manager), ("lo", lo)):
        client = _client(user)
        detail = f"/api/v1/gap-reports/{edition.pk}/"

        def read(client: Any = client, detail: str = detail) -> Any:
            assert client.get(detail).status_code == 200
            reply = client.get(f"{detail}rows/")
            assert reply.status_code == 200
            return reply

        samples, _ = _time(read, repeat)
        results.append(
            Measurement(
                "read a stored portfolio edition (API detail + first rows page)",
                who,
                samples,
                _queries(read),
                notes="target ≤ 50 ms, constant queries",
            )
        )
    partner = prepared["partner"]
    ms, peak_mb, one = _timed(lambda: generate(scope="partner", partner=partner))
    results.append(
        Measurement(
            "generate one partner's edition",
            "system",
            [ms],
            _queries(lambda: generate(scope="partner", partner=partner)),
            notes=f"{one.rows.count():,} rows; peak Python memory {peak_mb:.1f} MB",
        )
    )
    return results
