"""The reminder benchmark runs on tier S: the scan arms what the hand-written SQL arms."""

from __future__ import annotations

import pytest

from agreements import bench, reminder_bench


@pytest.mark.django_db(transaction=False)
def test_the_reminder_benchmark_scan_arms_the_same_rows_as_hand_written_sql() -> None:
    context = reminder_bench.prepare(bench.generate("S"))
    results = {m.name: m for m in reminder_bench.measure(context, repeat=1)}
    first = results["reminder scan, one day (empty ledger)"]
    assert first.same_rows, first.notes
    next_day = results["reminder scan, the next day"]
    assert next_day.same_rows, next_day.notes
    repeat = results["reminder scan, repeated (nothing to do)"]
    # The cost in queries follows the kinds and their recipients, not the stored records (the
    # next day and the repeat also cancel stale rows: one UPDATE, as pending rows exist).
    assert repeat.queries == next_day.queries <= first.queries + 1 <= 40, (
        repeat.queries,
        next_day.queries,
        first.queries,
    )
    assert "events" in results["calendar feed (ICS, 30 days back to 2 years ahead)"].notes
