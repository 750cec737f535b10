"""`manage.py bench`: Accord's benchmark, on a throwaway database of the configured kind.

Run it on SQLite (the default) and on PostgreSQL (DATABASE_URL=postgres://…) to compare.
Each app adds its measurements; see `agreements/bench.py`.
"""

from __future__ import annotations

import json as _json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

from agreements import bench as agreements_bench
from agreements import reminder_bench
from checklists import bench as checklists_bench
from checklists.gap_reports import bench as gap_reports_bench


class Command(BaseCommand):
    help = "Generate a data tier in a throwaway database and measure the hot paths."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tier", choices=sorted(agreements_bench.TIERS), default="S")
        parser.add_argument("--repeat", type=int, default=30, help="Timed runs per measurement.")
        parser.add_argument("--json", help="Write the results here (default bench-results/).")
        parser.add_argument(
            "--only",
            choices=["reminders", "gap-reports"],
            help="Measure only this part (the data is generated in full all the same).",
        )

    def handle(
        self,
        *args: Any,
        tier: str,
        repeat: int,
        json: str | None,
        only: str | None = None,
        **options: Any,
    ) -> None:
        self.only = only
        database = settings.DATABASES["default"]
        database.setdefault("TEST", {})
        if database["ENGINE"].endswith("sqlite3"):
            database["TEST"]["NAME"] = str(settings.VAR_DIR / f"bench-{tier}.sqlite3")
        else:
            # Named after the configured database: benches of two checkouts sharing one
            # server never drop each other's.
            database["TEST"]["NAME"] = f"{database['NAME']}_bench_{tier.lower()}"
        setup_test_environment()
        old = setup_databases(verbosity=0, interactive=False)
        try:
            results = self._run(tier, repeat)
        finally:
            teardown_databases(old, verbosity=0)
            teardown_test_environment()
        self._print(results)
        target = (
            Path(json)
            if json
            else (
                Path(settings.BASE_DIR) / "bench-results" / f"bench-{tier}-{results['vendor']}.json"
            )
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_json.dumps(results, indent=2, default=str))
        self.stdout.write(f"Results written to {target}")
        self._compare_tiers(target.parent, results)

    def _compare_tiers(self, folder: Path, results: dict[str, Any]) -> None:
        """With both tiers measured on this database: L's p50 against S's, per measurement."""
        other = "S" if results["tier"] == "L" else "L"
        path = folder / f"bench-{other}-{results['vendor']}.json"
        if not path.exists():
            return
        previous = {
            (m["name"], m["role"]): m for m in _json.loads(path.read_text())["measurements"]
        }
        self.stdout.write(f"\nL against S on {results['vendor']} (p50 ratio, queries S → L):")
        for m in results["measurements"]:
            twin = previous.get((m["name"], m["role"]))
            if twin is None:
                continue
            small, large = (twin, m) if results["tier"] == "L" else (m, twin)
            ratio = large["p50_ms"] / small["p50_ms"] if small["p50_ms"] else float("nan")
            # The scan's cost must follow what is due, not the table size.
            target = "  (target ≤ 1.5)" if m["name"].startswith("reminder scan") else ""
            self.stdout.write(
                f"  {m['name'][:58]:<58} {m['role']:<8} ×{ratio:.2f}  "
                f"{small['queries']} → {large['queries']}{target}"
            )

    def _run(self, tier: str, repeat: int) -> dict[str, Any]:
        started = datetime.now(UTC)
        self.stdout.write(f"Generating tier {tier} on {connection.vendor}…")
        context = agreements_bench.generate(tier)
        checklist_context = checklists_bench.generate(tier)
        # Planner statistics and a vacuumed heap, as a database in service has them
        # (PostgreSQL's autovacuum would otherwise start on the fresh tables mid-measurement;
        # SQLite gathers statistics only when asked).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        generated = (datetime.now(UTC) - started).total_seconds()
        reminder_context = reminder_bench.prepare(context)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        measurements: list[Any] = []
        if self.only in (None, "reminders"):
            measurements += reminder_bench.measure(reminder_context, repeat=max(3, repeat // 6))
        if self.only is None:
            measurements += [
                *agreements_bench.measure_agreement_list(context, repeat=repeat),
                *agreements_bench.measure_coverage(context, repeat=max(3, repeat // 5)),
                *checklists_bench.measure(checklist_context, repeat=repeat),
            ]
        if self.only in (None, "gap-reports"):
            measurements += [
                # Last: it approves the assessments and plans engagements.
                *gap_reports_bench.measure(checklist_context, repeat=repeat),
                *checklists_bench.measure_report_files(checklist_context, repeat=repeat, tier=tier),
            ]
        return {
            "tier": tier,
            "vendor": connection.vendor,
            "machine": f"{platform.machine()} · Python {platform.python_version()}",
            "when": started.isoformat(),
            "generate_seconds": round(generated, 1),
            "repeat": repeat,
            "size": agreements_bench.TIERS[tier],
            "measurements": [m.as_dict() for m in measurements],
            "plans": agreements_bench.explain_date_windows(),
            "hostile_files": []
            if self.only
            else [
                r.as_dict()
                for r in (
                    *agreements_bench.measure_hostile_files(),
                    *checklists_bench.measure_hostile_templates(),
                )
            ],
        }

    def _print(self, results: dict[str, Any]) -> None:
        self.stdout.write(
            f"\nTier {results['tier']} on {results['vendor']} "
            f"(data generated in {results['generate_seconds']} s)\n"
        )
        header = f"{'measurement':<58} {'role':<8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} "
        header += f"{'raw p50':>8} {'× raw':>6} same"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for m in results["measurements"]:
            raw = f"{m['raw_sql_p50_ms']:.2f}" if m["raw_sql_p50_ms"] is not None else "—"
            ratio = f"{m['ratio_to_raw']:.1f}" if m["ratio_to_raw"] is not None else "—"
            same = {True: "yes", False: "NO", None: "—"}[m["same_rows"]]
            self.stdout.write(
                f"{m['name'][:58]:<58} {m['role']:<8} {m['p50_ms']:>8.2f} {m['p95_ms']:>8.2f} "
                f"{m['queries']:>7} {raw:>8} {ratio:>6} {same}"
            )
            if m["notes"]:
                self.stdout.write(f"{'':<4}{m['notes']}")
        self.stdout.write(
            f"\n{'hostile file':<48} {'bytes':>10} {'seconds':>8} {'peak MB':>8} refused"
        )
        for r in results["hostile_files"]:
            self.stdout.write(
                f"{r['name'][:48]:<48} {r['input_bytes']:>10,} {r['seconds']:>8.3f} "
                f"{r['peak_mb']:>8.1f} {'yes' if r['refused'] else 'NO'}"
            )
            self.stdout.write(f"{'':<4}{r['message'][:110]}")
        plans = results["plans"]
        if plans.get("checked"):
            for name, seq in plans["sequential_scan"].items():
                verdict = "SEQUENTIAL SCAN" if seq else "index"
                self.stdout.write(f"PostgreSQL plan, {name}: {verdict}")
