"""The charts of an edition (heat map, score and open-gap trends), drawn once per audience
and stored with the edition, so reading an edition never waits on matplotlib.

The full view (every partner) is drawn in the transaction that marks an edition done; a
reader who sees part of it gets theirs drawn on first read and stored under the digest of
the partner ids they see, so a stored chart can never show one reader another's rows.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from checklists.gap_reports.models import GapReport, GapReportChart, GapReportRow
from checklists.gap_reports.selectors import (
    gap_report_heat_map,
    heat_map_of,
    reader_partner_ids,
    trend_of,
)
from config.charts import heat_map_svg, trend_svg, without_links
from config.roles import AnyUser

Name = GapReportChart.Name
#: A heat map stays readable up to about this many partners; a bigger scope shows the
#: lowest-scoring ones (the table and the files keep every partner).
HEAT_MAP_PARTNERS = 60


def audience_of(partner_ids: list[int] | None) -> str:
    if partner_ids is None:
        return GapReportChart.EVERYONE
    digest = hashlib.sha256(",".join(map(str, sorted(partner_ids))).encode()).hexdigest()
    return f"partners:{digest}"


def _cell_path(report: GapReport, partner_id: int, area: str) -> str:
    """The open items behind one heat-map cell: the section page of that partner and area."""
    section = reverse("gap-report-section", args=[report.pk, GapReportRow.Section.INTEROPERABILITY])
    return f"{section}?partner={partner_id}&area={area}"


def _heat_map(report: GapReport, partner_ids: list[int] | None) -> tuple[str, dict[str, Any]]:
    heat = heat_map_of(report, partner_ids, lowest=HEAT_MAP_PARTNERS)
    shown = heat.partners
    facts = {"partners": heat.scored, "shown": len(shown)}
    if not shown or not heat.areas:
        return "", facts
    values = [
        [heat.cells.get((p["id"], a["code"]), {}).get("score") for a in heat.areas] for p in shown
    ]
    links = [
        [
            _cell_path(report, p["id"], a["code"]) if (p["id"], a["code"]) in heat.cells else None
            for a in heat.areas
        ]
        for p in shown
    ]
    svg = heat_map_svg(
        rows=[p["name"] for p in shown],
        columns=[a["label"] for a in heat.areas],
        values=values,
        links=links,
    )
    return svg, facts


def _draw(report: GapReport, partner_ids: list[int] | None) -> dict[str, tuple[str, Any]]:
    points = trend_of(report, partner_ids)
    # Editions with no scored partner have no average: left out rather than drawn as a hole.
    scored = [p for p in points if p.average_score is not None] or points
    return {
        Name.HEAT_MAP: _heat_map(report, partner_ids),
        Name.SCORE_TREND: (
            trend_svg(
                dates=[p.as_of for p in scored],
                series={"Average score": [p.average_score for p in scored]},
                title="Average interoperability score",
                y_label="%",
            ),
            {},
        ),
        Name.GAPS_TREND: (
            trend_svg(
                dates=[p.as_of for p in points],
                series={"Open gaps": [float(p.open_gaps) for p in points]},
                title="Open gaps",
                y_label="gaps",
            ),
            {},
        ),
    }


def _store(report: GapReport, partner_ids: list[int] | None) -> dict[str, GapReportChart]:
    audience = audience_of(partner_ids)
    charts = {
        name: GapReportChart(report=report, audience=audience, name=name, svg=svg, facts=facts)
        for name, (svg, facts) in _draw(report, partner_ids).items()
    }
    try:
        with transaction.atomic():
            GapReportChart.objects.bulk_create(charts.values())
    except IntegrityError:
        # Another reader of the same audience stored them first: theirs are the same.
        return {c.name: c for c in GapReportChart.objects.filter(report=report, audience=audience)}
    return charts


def edition_charts_store(*, report: GapReport) -> None:
    """The full-view charts of an edition being marked done (called inside that transaction,
    once its rows are written): read back, so it is seen done with its finish time."""
    _store(GapReport.objects.get(pk=report.pk), None)


def edition_charts(report: GapReport, user: AnyUser, *, links: bool = True) -> dict[str, Any]:
    """The heat map and the trend charts of a done edition as this reader sees it: two
    queries once they are stored; drawn and stored first when this audience has none."""
    partner_ids = reader_partner_ids(user)
    audience = audience_of(partner_ids)
    stored = {c.name: c for c in GapReportChart.objects.filter(report=report, audience=audience)}
    if len(stored) < len(Name.values):
        stored = _store(report, partner_ids)
    heat = stored[Name.HEAT_MAP]
    return {
        "heat_map": {
            "svg": heat.svg if links else without_links(heat.svg),
            "partners": heat.facts.get("partners", 0),
            "shown": heat.facts.get("shown", 0),
        },
        "trend": {
            "score_svg": stored[Name.SCORE_TREND].svg,
            "gaps_svg": stored[Name.GAPS_TREND].svg,
        },
    }


def heat_map_table(report: GapReport, user: AnyUser, *, base_url: str) -> dict[str, Any]:
    """The heat map as a table, for the PDF (where the chart's links do not survive): the
    same partners and areas, each cell its score, its open items and an absolute link to the
    section page of that partner and area. Three queries."""
    heat = gap_report_heat_map(report, user, lowest=HEAT_MAP_PARTNERS)
    rows = []
    for partner in heat.partners:
        cells: list[dict[str, Any] | None] = []
        for area in heat.areas:
            cell = heat.cells.get((partner["id"], area["code"]))
            if cell is None:
                cells.append(None)
                continue
            score = cell["score"]
            cells.append(
                {
                    "score": None if score is None else round(score),
                    "band": None if score is None else min(3, int(score // 25)),
                    "open_items": cell["open_items"],
                    "url": f"{base_url}{_cell_path(report, partner['id'], area['code'])}",
                }
            )
        rows.append({"name": partner["name"], "cells": cells})
    return {"areas": heat.areas, "rows": rows}
