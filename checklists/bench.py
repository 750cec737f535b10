"""Benchmark data and measurements for the checklists app (run by `manage.py bench`).

Tier S: 50 assessments of a 150-item template; tier L: 1,000 partners with one assessment
each (150,000 responses). Uses the partners and users the agreements benchmark created.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.bench import TRANSACTION_CONTROL, Measurement, _queries, _time, _time_pair
from agreements.models import Partner
from checklists.exceptions import ChecklistsError
from checklists.models import (
    Area,
    Assessment,
    ChecklistItem,
    ChecklistTemplate,
    EvidenceFile,
    ItemResponse,
)
from checklists.selectors import area_rows
from checklists.services.templates import parse_template
from config.benchtools import Refusal, measure_refusal

ASSESSMENTS = {"S": 50, "L": 1_000}
RESULTS = [r for r in ItemResponse.Result.values]


def generate(tier: str, *, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    template = ChecklistTemplate.objects.create(
        urn="urn:accord:bench",
        version=1,
        title="Bench template",
        provider="bench",
        content_sha256="0" * 64,
    )
    areas = Area.values
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=template,
            position=n,
            code=f"B-{n:03d}",
            area=areas[n % len(areas)],
            requirement=f"Requirement {n}",
            weight=rng.randint(1, 5),
            criticality=rng.choice(["high", "medium", "low"]),
        )
        for n in range(150)
    )
    items = list(template.items.all())
    partners = list(Partner.objects.order_by("pk")[: ASSESSMENTS[tier]])
    assessments = Assessment.objects.bulk_create(
        Assessment(partner=p, template=template, status=Assessment.Status.IN_PROGRESS)
        for p in partners
    )
    ItemResponse.objects.bulk_create(
        (
            ItemResponse(
                assessment=a,
                item=i,
                result=rng.choice(RESULTS),
                evidence_text="Seen." if rng.random() < 0.5 else "",
            )
            for a in assessments
            for i in items
        ),
        batch_size=5_000,
    )
    lo = get_user_model().objects.get(username="bench-lo-0")
    people = list(get_user_model().objects.filter(username__startswith="bench-lo-"))
    # owners on about a third of the answers, an evidence file on about one in ten
    response_ids = list(ItemResponse.objects.order_by("pk").values_list("pk", flat=True))
    for person in people:
        chosen = [pk for pk in response_ids if rng.random() < 0.33 / len(people)]
        ItemResponse.objects.filter(pk__in=chosen).update(owner=person)
    EvidenceFile.objects.bulk_create(
        (
            EvidenceFile(
                response_id=pk,
                file=f"evidence/bench/{pk}.pdf",
                name=f"report-{pk}.pdf",
                size_bytes=rng.randint(10_000, 2_000_000),
                content_type="application/pdf",
                sha256=f"{pk:064x}",
                uploaded_by=lo,
            )
            for pk in response_ids
            if rng.random() < 0.1
        ),
        batch_size=5_000,
    )
    mine = Assessment.objects.filter(partner__liaison_officers=lo).order_by("pk").first()
    return {
        "assessment": mine,
        "lo": lo,
        "manager": get_user_model().objects.get(username="bench-manager"),
    }


def _client(user: Any) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


RAW_ITEMS_SQL = """
SELECT r.id, i.code, r.result, r.evidence_text, r.evidence_link, u.username
FROM checklists_itemresponse r
JOIN checklists_checklistitem i ON i.id = r.item_id
LEFT JOIN auth_user u ON u.id = r.owner_id
WHERE r.assessment_id = %s ORDER BY i.position
"""
RAW_FILES_SQL = """
SELECT f.id, f.response_id, f.name, f.size_bytes, f.sha256 FROM checklists_evidencefile f
JOIN checklists_itemresponse r ON r.id = f.response_id
WHERE r.assessment_id = %s ORDER BY f.uploaded_at, f.id
"""
RAW_SCORES_SQL = """
SELECT r.assessment_id, i.area,
  SUM(i.weight * CASE r.result WHEN 'met' THEN 1.0 WHEN 'partially_met' THEN 0.5 ELSE 0.0 END),
  SUM(CASE WHEN r.result = 'not_applicable' THEN 0 ELSE i.weight END),
  COUNT(*),
  COUNT(*) FILTER (WHERE r.result <> 'not_assessed'),
  COUNT(*) FILTER (WHERE r.result = 'not_met' AND i.criticality = 'high')
FROM checklists_itemresponse r JOIN checklists_checklistitem i ON i.id = r.item_id
WHERE r.assessment_id IN (SELECT a.id FROM checklists_assessment a)
GROUP BY r.assessment_id, i.area ORDER BY r.assessment_id, i.area
"""


def measure(context: dict[str, Any], *, repeat: int) -> list[Measurement]:
    assessment = context["assessment"]
    lo = _client(context["lo"])
    url = f"/api/v1/assessments/{assessment.pk}/responses/"

    def items() -> list[int]:
        response = lo.get(url)
        assert response.status_code == 200, response.content[:300]
        return [row["id"] for row in response.json()]

    def raw_items() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(RAW_ITEMS_SQL, [assessment.pk])
            rows = [row[0] for row in cursor.fetchall()]
            cursor.execute(RAW_FILES_SQL, [assessment.pk])
            cursor.fetchall()
            return rows

    samples, ids = _time(items, repeat)
    raw_samples, raw_ids = _time(raw_items, repeat)
    results = [
        Measurement(
            "assessment items API (150 items, owners, files)",
            "lo",
            samples,
            _queries(items),
            raw_samples,
            same_rows=ids == raw_ids,
        )
    ]

    def orm_scores() -> list[tuple[Any, ...]]:
        return [
            (
                r["assessment_id"],
                r["item__area"],
                round(r["earned"] or 0, 6),
                r["possible"] or 0,
                r["total"],
                r["answered"],
                r["unmet_high"],
            )
            for r in area_rows(Assessment.objects.values("pk"))
        ]

    def raw_scores() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SCORES_SQL)
            return [
                (a, area, round(earned or 0, 6), possible or 0, total, answered, unmet)
                for a, area, earned, possible, total, answered, unmet in cursor.fetchall()
            ]

    samples, orm, raw_samples, raw = _time_pair(orm_scores, raw_scores, repeat)
    results.append(
        Measurement(
            "portfolio score per assessment × area (ORM query)",
            "—",
            samples,
            _queries(orm_scores),
            raw_samples,
            same_rows=orm == raw,
        )
    )
    manager = _client(context["manager"])
    samples, _ = _time(lambda: manager.get("/api/v1/assessments/scores/"), max(3, repeat // 3))
    results.append(
        Measurement(
            "portfolio score endpoint",
            "manager",
            samples,
            _queries(lambda: manager.get("/api/v1/assessments/scores/")),
            raw_samples,
        )
    )

    response = assessment.responses.select_related("item").first()
    code = response.item.code
    state = {"version": response.version, "result": response.result}

    def save_one() -> Any:
        result = "met" if state["result"] != "met" else "not_met"
        reply = lo.patch(
            url,
            [
                {
                    "code": code,
                    "version": state["version"],
                    "result": result,
                    "evidence_text": "Seen.",
                }
            ],
        )
        assert reply.status_code == 200, reply.content[:300]
        state["version"] += 1
        state["result"] = result

    samples, _ = _time(save_one, max(3, repeat // 3))
    with_queries = _queries(save_one)
    results.append(
        Measurement(
            "save one answer (PATCH, returns the item list)",
            "lo",
            samples,
            with_queries,
            notes="includes re-reading the full item list",
        )
    )
    return results


def measure_hostile_templates() -> list[Refusal]:
    """Hostile YAML checklist templates through the loader, refused before anything is built."""
    laughs = "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"{chr(98 + n)}: &{chr(98 + n)} [{','.join(['*' + chr(97 + n)] * 9)}]" for n in range(8)]
        + ["urn: *i"]
    )
    cases = [
        ("YAML billion laughs (aliases)", laughs),
        ("YAML nested 100,000 deep", "[" * 50_000 + "]" * 50_000),
        ("YAML flat list of 1,000,000 values", "[" + "1," * 1_000_000 + "1]"),
    ]
    return [
        measure_refusal(
            name,
            len(content),
            partial(parse_template, content),
            ChecklistsError,
        )
        for name, content in cases
    ]


#: How many times the bench renders each file of an edition at tier S; at tier L each is
#: rendered once (one run of the manager's XLSX or PDF there takes tens of seconds).
FILE_RUNS = {"gap report briefing PDF": 3, "gap report XLSX": 5}


def _file_runs(fetch: Callable[[], bytes], runs: int) -> tuple[list[float], int, bytes]:
    """Each run timed, the first one's queries counted (as `_queries` counts them): no
    warm-up run and no extra run for the count, so a render that takes a minute runs once."""
    samples: list[float] = []
    queries, body = 0, b""
    for run in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            body = fetch()
            samples.append((time.perf_counter() - started) * 1000)
        if run == 0:
            queries = sum(
                1
                for query in captured.captured_queries
                if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
            )
    return samples, queries, body


def _make_stored_files(edition: Any, rows: int) -> list[Measurement]:
    """The task that makes the edition's full-view PDF and XLSX after it is done, run here
    in-process once per file (the bench's generations queue it for a worker that is not
    running), timed with its queries; a file already stored is made again."""
    from checklists.gap_reports.models import GapReportFile
    from checklists.tasks import store_gap_report_file

    results = []
    for kind, label in [("pdf", "briefing PDF"), ("xlsx", "XLSX")]:
        GapReportFile.objects.filter(report=edition, kind=kind).delete()

        def make(kind: str = kind) -> bytes:
            assert store_gap_report_file(edition.pk, kind) is not None, f"no {kind} stored"
            return bytes(GapReportFile.objects.get(report=edition, kind=kind).content)

        samples, queries, body = _file_runs(make, 1)
        results.append(
            Measurement(
                f"gap report {label} made and stored by the task ({rows:,} rows stored)",
                "system",
                samples,
                queries,
                notes=f"1 run; once per edition, after it is done; {len(body) / 1024:,.0f} KiB",
            )
        )
    return results


def measure_report_files(
    context: dict[str, Any], *, repeat: int, tier: str = "S"
) -> list[Measurement]:
    """The newest done portfolio edition (the gap report measurements generate it) as a
    reader gets it: the edition page (`repeat` runs), its briefing PDF and its XLSX (a few
    runs at tier S, one at L), with the file sizes and the number of runs of each figure;
    each for the manager (every row: the files the task stored, which it makes first, timed)
    and the liaison officer (their partners' rows, rendered on request)."""
    from checklists.gap_reports import briefing  # noqa: F401  (WeasyPrint's import, not a render)
    from checklists.gap_reports.models import GapReport

    edition = (
        GapReport.objects.filter(scope_key="portfolio", status=GapReport.Status.DONE)
        .order_by("-finished_at", "-id")
        .first()
    )
    if edition is None:
        return []
    rows = edition.rows.count()
    results = _make_stored_files(edition, rows)
    for who in ("manager", "lo"):
        client = _client(context[who])
        client.force_login(context[who])
        for name, address in [
            ("gap report edition page", f"/gap-reports/{edition.pk}/"),
            ("gap report briefing PDF", f"/gap-reports/{edition.pk}/briefing.pdf"),
            ("gap report XLSX", f"/gap-reports/{edition.pk}/gap-report.xlsx"),
        ]:

            def fetch(address: str = address, client: Any = client) -> bytes:
                reply = client.get(address)
                assert reply.status_code == 200, reply.content[:300]
                return bytes(reply.content)

            how = ""
            if name in FILE_RUNS:
                runs = 1 if tier == "L" else max(1, min(FILE_RUNS[name], repeat))
                samples, queries, body = _file_runs(fetch, runs)
                how = "; the stored file" if who == "manager" else "; rendered from their rows"
            else:
                runs = repeat
                samples, body = _time(fetch, runs)
                queries = _queries(fetch)
            results.append(
                Measurement(
                    f"{name} ({rows:,} rows stored)",
                    who,
                    samples,
                    queries,
                    notes=f"{runs} run{'s' if runs != 1 else ''}{how}; {len(body) / 1024:,.0f} KiB",
                )
            )
    return results
