"""What the agreement and coverage downloads hold: one column list per export, written to CSV
or XLSX by config.exports. The rows come from the same selectors (and access) as the pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from agreements.models import Agreement
from agreements.selectors.clearance import VERDICT_LABELS, Coverage, CoverageCell, Effect
from config.exports import Column

AGREEMENT_EXPORT = [
    Column("Reference", lambda a: a.reference),
    Column("Title", lambda a: a.title),
    Column("Kind", lambda a: a.get_kind_display()),
    Column("Status", lambda a: a.get_status_display()),
    Column("Parties", lambda a: "; ".join(p.partner.name for p in a.parties.all())),
    Column("Activity types", lambda a: "; ".join(t.code for t in a.activity_types.all())),
    Column("Signed on", lambda a: a.signed_on),
    Column("Effective on", lambda a: a.effective_on),
    Column("Expires on", lambda a: a.expires_on),
    Column("Notice deadline", lambda a: a.notice_deadline),
    Column("Next review", lambda a: a.next_review_on),
    Column("Owner", lambda a: a.owner.get_username() if a.owner_id else None),
]


def agreement_rows(agreements: Iterable[Agreement]) -> Iterator[Agreement]:
    """Agreements read in chunks with their parties and activity types, so a long register
    streams without sitting whole in memory."""
    if hasattr(agreements, "iterator"):
        yield from agreements.iterator(chunk_size=500)
    else:
        yield from agreements


def _reasons(cell: CoverageCell) -> str:
    wanted = {Effect.BLOCKS, Effect.MISSING, Effect.CONDITION}
    return " ".join(f.detail for f in cell.findings if f.effect in wanted)


def coverage_export(coverage: Coverage) -> list[Column]:
    partners = {p.pk: p for p in coverage.partners}
    types = {a.pk: a for a in coverage.activity_types}

    def partner(cell: CoverageCell) -> Any:
        return partners[cell.partner_id]

    return [
        Column("Partner", lambda cell: partner(cell).name),
        Column("Region", lambda cell: partner(cell).get_region_display()),
        Column("Activity type", lambda cell: types[cell.activity_type_id].name),
        Column("Activity code", lambda cell: types[cell.activity_type_id].code),
        Column("Verdict", lambda cell: VERDICT_LABELS[cell.verdict]),
        Column("Agreements in force", lambda cell: cell.agreements),
        Column("Approved mandates", lambda cell: cell.mandates),
        Column("Reasons", _reasons),
        Column("On", lambda cell: coverage.on),
    ]
