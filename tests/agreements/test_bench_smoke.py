"""The benchmark's tier S as a smoke test: query counts only (timings belong to `bench`)."""

from __future__ import annotations

import pytest

from agreements import bench


@pytest.fixture
def tier_s(db):
    return bench.generate("S")


def test_the_agreement_list_query_count_does_not_grow_with_page_size_or_role(tier_s) -> None:
    results = bench.measure_agreement_list(tier_s, repeat=1)
    assert {m.queries for m in results} == {6}
    for m in results:
        if m.notes.startswith("queries at"):
            assert m.notes == "queries at page_size=10: 6"
    assert all(m.same_rows for m in results if m.same_rows is not None)


def test_coverage_runs_in_a_fixed_number_of_queries_and_matches_raw_sql(tier_s) -> None:
    (result,) = bench.measure_coverage(tier_s, repeat=1)
    assert result.queries <= 10
    assert result.same_rows is True


def test_checklist_item_list_and_answer_query_counts_stay_small(tier_s) -> None:
    from checklists import bench as checklists_bench

    context = checklists_bench.generate("S")
    results = {m.name: m for m in checklists_bench.measure(context, repeat=1)}
    assert results["assessment items API (150 items, owners, files)"].queries <= 10
    assert results["assessment items API (150 items, owners, files)"].same_rows is True
    assert results["save one answer (PATCH, returns the item list)"].queries <= 10
    orm = results["portfolio score per assessment × area (ORM query)"]
    assert orm.queries == 1 and orm.same_rows is True


def test_the_bench_measures_every_hostile_file_as_refused_under_100_mb(db) -> None:
    from checklists import bench as checklists_bench

    refusals = [*bench.measure_hostile_files(), *checklists_bench.measure_hostile_templates()]
    assert len(refusals) == 11
    for refusal in refusals:
        assert refusal.refused, (refusal.name, refusal.message)
        assert refusal.peak_mb < 100, refusal
