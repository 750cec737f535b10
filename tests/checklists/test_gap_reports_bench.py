"""The gap report part of the benchmark at tier S: the ORM finds the gaps raw SQL finds, and
reading a stored edition takes a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from agreements import bench
from checklists import bench as checklists_bench
from checklists.gap_reports import bench as gap_reports_bench


@pytest.fixture
def tier_s(db):
    bench.generate("S")
    context = checklists_bench.generate("S")
    # Statistics as `manage.py bench` gathers them after generating: without them the
    # planner judges these tables by what earlier tests left (often empty), inside this
    # test's own transaction.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return context


def test_the_gap_report_bench_matches_raw_sql_and_reads_in_fixed_queries(tier_s) -> None:
    results = {(m.name, m.role): m for m in gap_reports_bench.measure(tier_s, repeat=1)}
    generation = results[
        ("generate the portfolio edition (sections, changes, rows written, charts)", "system")
    ]
    # The edition stores the open items and agreement deadlines the raw SQL finds.
    assert generation.same_rows is True
    assert "open items" in generation.notes and "True" in generation.notes
    one_partner = results[("generate one partner's edition", "system")]
    # Set-based: the portfolio (50 partners) costs no more queries than one partner; its
    # thousands of rows are one INSERT.
    assert generation.queries <= one_partner.queries + 2
    # Timed next to the raw SQL of the same run, step by step.
    assert generation.raw_p50 is not None and "rows written" in generation.notes
    # The floor of a stored edition: the raw SQL writing the very open items it stores.
    stored = re.search(r"rows \(([\d,]+) open items", generation.notes)
    written = re.search(r"writing its ([\d,]+) open items", generation.notes)
    assert stored and written and stored.group(1) == written.group(1) != "0"
    assert "floor of any stored edition" in generation.notes
    for role in ("manager", "lo"):
        read = results[("read a stored portfolio edition (API detail + first rows page)", role)]
        assert read.queries <= 16
