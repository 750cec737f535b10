"""Benchmark data and measurements for the agreements app (run by `manage.py bench`).

Tiers: S (about 50 partners, 1,000 agreements) and L (1,000 partners, 20,000 agreements with
1–5 parties each, 2,000 mandates, 5,000 constraints). Each measurement reports p50/p95 time,
the query count, and a hand-written raw-SQL query returning the same rows, timed in the same
run, with a check that both return the same thing.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.models import (
    ActivityType,
    Agreement,
    AgreementParty,
    LegalMandate,
    Partner,
    SovereigntyConstraint,
)
from agreements.selectors.clearance import coverage_matrix
from config.benchtools import Refusal, measure_refusal
from config.roles import Role

TIERS = {
    "S": {"partners": 50, "agreements": 1_000, "mandates": 100, "constraints": 250, "los": 5},
    "L": {
        "partners": 1_000,
        "agreements": 20_000,
        "mandates": 2_000,
        "constraints": 5_000,
        "los": 50,
    },
}
ON = date(2026, 11, 21)
ACTIVITIES = [
    "maritime-interdiction",
    "intelligence-sharing",
    "joint-training",
    "joint-exercise",
    "logistics-support",
    "capacity-building",
    "ship-rider-embarkation",
    "overflight-and-landing",
    "port-visit",
    "detention-and-transfer",
    "surveillance-and-reconnaissance",
    "humanitarian-assistance",
]


@dataclass
class Measurement:
    name: str
    role: str
    samples_ms: list[float]
    queries: int
    raw_samples_ms: list[float] = field(default_factory=list)
    same_rows: bool | None = None
    notes: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def raw_p50(self) -> float | None:
        return statistics.median(self.raw_samples_ms) if self.raw_samples_ms else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "p50_ms": round(self.p50, 2),
            "p95_ms": round(self.p95, 2),
            "queries": self.queries,
            "raw_sql_p50_ms": round(self.raw_p50, 2) if self.raw_p50 is not None else None,
            "ratio_to_raw": round(self.p50 / self.raw_p50, 2) if self.raw_p50 else None,
            "same_rows": self.same_rows,
            "notes": self.notes,
        }


# --- data ------------------------------------------------------------------------------------


def generate(tier: str, *, seed: int = 7) -> dict[str, Any]:
    """Bulk-create the tier's data (no history: this is load, not user activity)."""
    size = TIERS[tier]
    rng = random.Random(seed)
    User = get_user_model()
    types = []
    for code in ACTIVITIES:
        activity, _ = ActivityType.objects.get_or_create(
            code=code, defaults={"name": code.replace("-", " ").capitalize()}
        )
        types.append(activity)
    lo_group, _ = Group.objects.get_or_create(name=Role.LIAISON_OFFICER)
    manager_group, _ = Group.objects.get_or_create(name=Role.MANAGER)
    los = [User.objects.create(username=f"bench-lo-{i}") for i in range(size["los"])]
    for lo in los:
        lo.groups.add(lo_group)
    manager = User.objects.create(username="bench-manager")
    manager.groups.add(manager_group)

    partners = Partner.objects.bulk_create(
        [
            Partner(
                name=f"Bench partner {i:04d}",
                kind=Partner.Kind.NATION,
                country_code="CO",
                region=Partner.Region.CARIBBEAN,
            )
            for i in range(size["partners"])
        ],
        batch_size=1000,
    )
    through = Partner.liaison_officers.through
    through.objects.bulk_create(
        [through(partner_id=p.pk, user_id=los[i % len(los)].pk) for i, p in enumerate(partners)],
        batch_size=2000,
    )

    statuses = [Agreement.Status.IN_FORCE] * 6 + [
        Agreement.Status.DRAFT,
        Agreement.Status.SIGNED,
        Agreement.Status.EXPIRED,
        Agreement.Status.LEGAL_REVIEW,
    ]
    agreements = []
    for i in range(size["agreements"]):
        effective = ON - timedelta(days=rng.randint(30, 7_000))
        expires = (
            effective + timedelta(days=rng.randint(365, 7_300)) if rng.random() < 0.7 else None
        )
        agreement = Agreement(
            reference=f"BENCH-{i:06d}",
            title=f"Bench agreement {i}",
            kind=rng.choice(Agreement.Kind.values),
            status=rng.choice(statuses),
            signed_on=effective - timedelta(days=rng.randint(0, 200)),
            effective_on=effective,
            expires_on=expires,
            notice_period_days=rng.choice([None, 30, 90, 180]),
            review_interval_months=rng.choice([None, 12, 24, 36]),
        )
        agreement.compute_derived_dates()
        agreements.append(agreement)
    agreements = Agreement.objects.bulk_create(agreements, batch_size=2000)
    parties, coverage = [], []
    activity_through = Agreement.activity_types.through
    for agreement in agreements:
        for partner in rng.sample(partners, rng.randint(1, 5)):
            parties.append(AgreementParty(agreement_id=agreement.pk, partner_id=partner.pk))
        for activity in rng.sample(types, rng.randint(1, 3)):
            coverage.append(
                activity_through(agreement_id=agreement.pk, activitytype_id=activity.pk)
            )
    AgreementParty.objects.bulk_create(parties, batch_size=5000)
    activity_through.objects.bulk_create(coverage, batch_size=5000)

    mandates = LegalMandate.objects.bulk_create(
        [
            LegalMandate(
                title=f"Bench mandate {i}",
                kind=LegalMandate.Kind.DOMESTIC_STATUTE,
                citation=f"Act {i}",
                valid_from=ON - timedelta(days=rng.randint(1, 5_000)),
                applies_to_all_partners=rng.random() < 0.05,
                status=rng.choice(
                    [LegalMandate.Status.APPROVED] * 3
                    + [
                        LegalMandate.Status.PENDING_REVIEW,
                        LegalMandate.Status.APPROVED_WITH_CONDITIONS,
                    ]
                ),
            )
            for i in range(size["mandates"])
        ],
        batch_size=2000,
    )
    m_types, m_partners = LegalMandate.activity_types.through, LegalMandate.partners.through
    m_types.objects.bulk_create(
        [
            m_types(legalmandate_id=m.pk, activitytype_id=t.pk)
            for m in mandates
            for t in rng.sample(types, rng.randint(1, 2))
        ],
        batch_size=5000,
    )
    m_partners.objects.bulk_create(
        [
            m_partners(legalmandate_id=m.pk, partner_id=p.pk)
            for m in mandates
            if not m.applies_to_all_partners
            for p in rng.sample(partners, rng.randint(1, 3))
        ],
        batch_size=5000,
    )
    categories = [
        c
        for _, group in SovereigntyConstraint._meta.get_field("category").choices
        for c, _ in group
    ]
    constraints = []
    for i in range(size["constraints"]):
        effect = rng.choice(SovereigntyConstraint.Effect.values)
        constraints.append(
            SovereigntyConstraint(
                partner=rng.choice(partners),
                category=rng.choice(categories),
                effect=effect,
                consent_lead_days=14
                if effect == SovereigntyConstraint.Effect.REQUIRES_CONSENT
                else None,
                description=f"Bench constraint {i}",
            )
        )
    constraints = SovereigntyConstraint.objects.bulk_create(constraints, batch_size=2000)
    c_types = SovereigntyConstraint.activity_types.through
    c_types.objects.bulk_create(
        [
            c_types(sovereigntyconstraint_id=c.pk, activitytype_id=rng.choice(types).pk)
            for c in constraints
            if rng.random() < 0.7
        ],
        batch_size=5000,
    )
    return {"lo": los[0], "manager": manager, "partner": partners[0], "tier": tier}


# --- measuring -------------------------------------------------------------------------------


def _time(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Like timeit: warm up, then time with the garbage collector paused, so a collection
    triggered by earlier work does not land in one sample."""
    samples, result = [], None
    call()  # warm caches and connections
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            result = call()
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return samples, result


def _time_pair(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[list[float], Any, list[float], Any]:
    """Time two calls that answer the same question in alternation, so both meet the same
    machine (a neighbour's load, a cache turning over) rather than one getting the quiet minute."""
    samples: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [first(), second()]  # warm caches and connections
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for index, call in enumerate((first, second)):
                start = time.perf_counter()
                results[index] = call()
                samples[index].append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return samples[0], results[0], samples[1], results[1]


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _queries(call: Callable[[], Any]) -> int:
    """SQL queries a call makes; transaction control (BEGIN, COMMIT, savepoints) is not one."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return sum(
        1
        for query in captured.captured_queries
        if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    )


RAW_PAGE_SQL = """
SELECT a.id FROM agreements_agreement a
WHERE a.status = %s AND a.expires_on < %s {scope}
ORDER BY a.reference ASC LIMIT 100
"""
RAW_SCOPE_SQL = """
AND a.id IN (SELECT p.agreement_id FROM agreements_agreementparty p
             JOIN agreements_partner_liaison_officers l ON l.partner_id = p.partner_id
             WHERE l.user_id = %s
             UNION SELECT o.id FROM agreements_agreement o WHERE o.owner_id = %s)
"""


def measure_agreement_list(context: dict[str, Any], *, repeat: int) -> list[Measurement]:
    results = []
    # A window wide enough to fill the 100-row page in every tier, so tiers compare like with like.
    expires_before = (ON + timedelta(days=7_300)).isoformat()
    for role in ("lo", "manager"):
        user = context[role]
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        params = {"page_size": 100, "status": "in_force", "expires_before": expires_before}

        def call(client: APIClient = client, params: dict[str, Any] = params) -> Any:
            response = client.get("/api/v1/agreements/", params)
            assert response.status_code == 200, response.content[:300]
            return [row["id"] for row in response.json()["results"]]

        samples, ids = _time(call, repeat)
        queries = _queries(call)
        small = _queries(
            lambda c=client, p=params: c.get("/api/v1/agreements/", {**p, "page_size": 10})
        )
        scope = RAW_SCOPE_SQL if role == "lo" else ""
        sql = RAW_PAGE_SQL.format(scope=scope)
        args = ["in_force", expires_before] + ([user.pk, user.pk] if role == "lo" else [])

        def raw(sql: str = sql, args: list[Any] = args) -> list[int]:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return [row[0] for row in cursor.fetchall()]

        raw_samples, raw_ids = _time(raw, repeat)
        results.append(
            Measurement(
                "agreement list API (100/page, status + expiry)",
                role,
                samples,
                queries,
                raw_samples,
                same_rows=ids == raw_ids,
                notes=f"queries at page_size=10: {small}",
            )
        )
        notice_before = (ON + timedelta(days=3650)).isoformat()
        partner_id = _partner_with_rows(user if role == "lo" else None, notice_before, rows=20)
        partner_params = {
            "page_size": 100,
            "partner": partner_id,
            "notice_deadline_before": notice_before,
        }
        samples, _ = _time(
            lambda c=client, p=partner_params: c.get("/api/v1/agreements/", p), repeat
        )
        results.append(
            Measurement(
                "agreement list API (100/page, partner + notice)",
                role,
                samples,
                _queries(lambda c=client, p=partner_params: c.get("/api/v1/agreements/", p)),
                notes="a partner with 20 matching agreements in every tier",
            )
        )
    return results


def _partner_with_rows(lo: Any, notice_before: str, *, rows: int) -> int:
    """The partner (in the LO's portfolio, if given) whose agreements matching the notice window
    come closest to `rows`, so every tier serializes a page of the same size."""
    parties = AgreementParty.objects.filter(agreement__notice_deadline__lt=notice_before)
    if lo is not None:
        parties = parties.filter(partner__liaison_officers=lo)
    counts = parties.values("partner_id").annotate(n=Count("agreement_id", distinct=True))
    best = min(counts, key=lambda row: (abs(row["n"] - rows), row["partner_id"]))
    return best["partner_id"]


RAW_COVERAGE_SQL = """
WITH cells AS (
  SELECT p.id AS partner_id, t.id AS activity_id
  FROM agreements_partner p CROSS JOIN agreements_activitytype t
  WHERE p.status <> 'inactive' AND t.id IN ({types})
),
agreements AS (
  SELECT DISTINCT ap.partner_id, at.activitytype_id AS activity_id, a.id
  FROM agreements_agreementparty ap
  JOIN agreements_agreement a ON a.id = ap.agreement_id
  JOIN agreements_agreement_activity_types at ON at.agreement_id = a.id
  WHERE a.status = 'in_force' AND (a.expires_on IS NULL OR a.expires_on >= %(on)s)
    AND (ap.withdrawn_on IS NULL OR ap.withdrawn_on > %(on)s)
    AND ((ap.in_force_on <= %(on)s AND ap.role IN ('party', 'signatory'))
         OR (ap.in_force_on IS NULL AND ap.role = 'party' AND a.effective_on <= %(on)s))
),
approved AS (
  SELECT m.id, m.applies_to_all_partners, mt.activitytype_id AS activity_id
  FROM agreements_legalmandate m
  JOIN agreements_legalmandate_activity_types mt ON mt.legalmandate_id = m.id
  WHERE m.status IN ('approved', 'approved_with_conditions') AND m.valid_from <= %(on)s
    AND (m.valid_until IS NULL OR m.valid_until >= %(on)s)
),
mandates AS (
  SELECT c.partner_id, c.activity_id, ap.id
  FROM cells c JOIN approved ap ON ap.activity_id = c.activity_id AND ap.applies_to_all_partners
  UNION
  SELECT mp.partner_id, ap.activity_id, ap.id
  FROM approved ap JOIN agreements_legalmandate_partners mp ON mp.legalmandate_id = ap.id
),
blocks AS (
  SELECT DISTINCT s.partner_id, COALESCE(st.activitytype_id, c.activity_id) AS activity_id
  FROM agreements_sovereigntyconstraint s
  LEFT JOIN agreements_sovereigntyconstraint_activity_types st
    ON st.sovereigntyconstraint_id = s.id
  JOIN cells c ON c.partner_id = s.partner_id
   AND (st.activitytype_id IS NULL OR st.activitytype_id = c.activity_id)
  WHERE s.effect = 'prohibited'
    AND (s.valid_from IS NULL OR s.valid_from <= %(on)s)
    AND (s.valid_until IS NULL OR s.valid_until >= %(on)s)
)
SELECT c.partner_id, c.activity_id,
  CASE WHEN EXISTS (SELECT 1 FROM blocks b WHERE b.partner_id = c.partner_id
                    AND b.activity_id = c.activity_id) THEN 'blocked'
       WHEN NOT EXISTS (SELECT 1 FROM agreements a WHERE a.partner_id = c.partner_id
                        AND a.activity_id = c.activity_id)
         OR NOT EXISTS (SELECT 1 FROM mandates m WHERE m.partner_id = c.partner_id
                        AND m.activity_id = c.activity_id) THEN 'gap'
       ELSE 'covered' END AS verdict
FROM cells c
"""


def measure_coverage(context: dict[str, Any], *, repeat: int) -> list[Measurement]:
    manager = context["manager"]

    def call() -> Any:
        return coverage_matrix(user=manager, on=ON, today=ON)

    samples, coverage = _time(call, repeat)
    queries = _queries(call)
    type_ids = ",".join(str(a.pk) for a in coverage.activity_types) or "NULL"
    sql = RAW_COVERAGE_SQL.format(types=type_ids)

    def raw() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, {"on": ON})
            return cursor.fetchall()

    raw_samples, rows = _time(raw, repeat)
    ours = {(k[0], k[1]): _coarse(cell.verdict) for k, cell in coverage.cells.items()}
    theirs = {(p, a): v for p, a, v in rows}
    return [
        Measurement(
            f"coverage ({len(coverage.partners)} partners × {len(coverage.activity_types)} "
            "activity types)",
            "manager",
            samples,
            queries,
            raw_samples,
            same_rows=ours == theirs,
            notes="raw SQL gives blocked / gap / covered per cell",
        )
    ]


def _coarse(verdict: str) -> str:
    return verdict if verdict in {"blocked", "gap"} else "covered"


def explain_date_windows() -> dict[str, Any]:
    """PostgreSQL plans of the date-window filters: none may scan the agreements table."""
    if connection.vendor != "postgresql":
        return {"vendor": connection.vendor, "checked": False}
    from agreements.selectors.agreements import in_force_on

    queries = {
        "expires_before": Agreement.objects.filter(
            status="in_force", expires_on__lt=ON + timedelta(days=30)
        ).order_by("reference")[:100],
        "notice_deadline_before": Agreement.objects.filter(
            notice_deadline__lt=ON + timedelta(days=30)
        ).order_by("reference")[:100],
        "in_force_on (expiring soon)": Agreement.objects.filter(in_force_on(ON))
        .filter(expires_on__lt=ON + timedelta(days=30))
        .order_by("reference")[:100],
        "review_due_before": Agreement.objects.filter(next_review_on__lt=ON).order_by(
            "next_review_on"
        )[:100],
    }
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plans = {name: queryset.explain() for name, queryset in queries.items()}
    seq = {name: "Seq Scan on agreements_agreement" in plan for name, plan in plans.items()}
    return {"vendor": "postgresql", "checked": True, "sequential_scan": seq, "plans": plans}


def measure_hostile_files() -> list[Refusal]:
    """Each hostile register file through the reader the import uses, before any row."""
    import openpyxl  # noqa: F401  (loaded before the clock starts, as in a running worker)

    from agreements import hostile_files
    from agreements.services.import_files import ImportFileError, read_table

    cases: list[tuple[str, bytes, str]] = [
        ("xlsx declaring A1:XFD1048576", hostile_files.huge_dimension_xlsx(), "r.xlsx"),
        ("xlsx with a row numbered 1,000,000,000", hostile_files.far_row_xlsx(), "r.xlsx"),
        (
            "xlsx with nested entities (billion laughs)",
            hostile_files.billion_laughs_xlsx(),
            "r.xlsx",
        ),
        (
            "xlsx cut in half",
            hostile_files.truncated(hostile_files.huge_dimension_xlsx()),
            "r.xlsx",
        ),
        ("a CSV named .xlsx", hostile_files.not_a_zip(), "r.xlsx"),
        ("CSV with a 4,000,000-character line", hostile_files.long_line_csv(), "r.csv"),
        ("CSV with 400,000 rows", hostile_files.many_rows_csv(), "r.csv"),
    ]
    results = [
        measure_refusal(
            name,
            len(content),
            lambda content=content, filename=filename: read_table(
                content=content, filename=filename
            ),
            ImportFileError,
        )
        for name, content, filename in cases
    ]
    with tempfile.TemporaryDirectory() as folder:
        bomb = hostile_files.zip_bomb_xlsx(Path(folder) / "bomb.xlsx")
        content = bomb.read_bytes()
    results.append(
        measure_refusal(
            "xlsx whose sheet inflates to 1 GB (zip bomb)",
            len(content),
            lambda: read_table(content=content, filename="bomb.xlsx"),
            ImportFileError,
        )
    )
    return results
