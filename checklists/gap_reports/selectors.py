"""Reads of gap report editions: who reads and generates which edition, and the stored rows a
reader may see. Nothing here recomputes an edition: it reads the snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Case, CharField, Count, F, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from agreements.models import Partner
from agreements.selectors import in_portfolio_of, partners_visible_to
from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.models import Area
from config.roles import AnyUser, Role, has_any_role, has_role, reads_everything

Section = GapReportRow.Section
#: The sections a reader sees, in the order pages and exports show them ("changes" apart).
GAP_SECTIONS = [Section.INTEROPERABILITY, Section.AGREEMENTS, Section.MANDATES, Section.SOVEREIGNTY]
#: Change kinds stored as rows of section "changes".
CHANGE_KINDS = ["new", "closed", "slipped", "level"]
#: The executive summary's most important gaps.
TOP_GAPS = 10
#: Heads of `gap_report_overview` besides one per section (a section's gaps; for
#: interoperability, its open items).
HEAD_TOP, HEAD_CHANGES, HEAD_UNASSESSED = "top", "changes", "unassessed"
#: The rows of each head the edition page shows (and each partner's share keeps).
HEAD_ROWS = 25


# --- who may ---------------------------------------------------------------------------------


def can_read_gap_reports(user: AnyUser) -> bool:
    return has_any_role(user)


def can_generate_gap_report(
    user: AnyUser, *, scope: str, partner: Partner | None = None, region: str = ""
) -> bool:
    """Managers, legal advisors and administrators generate any edition; a liaison officer
    generates portfolio editions (reading only their partners' rows), editions of their own
    partners, and editions of a region where they hold a partner."""
    if reads_everything(user):
        return True
    if not has_role(user, Role.LIAISON_OFFICER):
        return False
    if scope == GapReport.Scope.PORTFOLIO:
        return True
    mine = partners_visible_to(user)
    if scope == GapReport.Scope.PARTNER:
        return partner is not None and mine.filter(pk=partner.pk).exists()
    if scope == GapReport.Scope.REGION:
        return bool(region) and mine.filter(region=region).exists()
    return False


def can_retry_gap_report(user: AnyUser, report: GapReport) -> bool:
    """Whoever may generate the edition's scope may retry it once it failed."""
    return report.status == GapReport.Status.FAILED and can_generate_gap_report(
        user, scope=report.scope, partner=report.partner, region=report.region
    )


# --- editions --------------------------------------------------------------------------------


def gap_reports_visible_to(user: AnyUser) -> QuerySet[GapReport]:
    if not can_read_gap_reports(user):
        return GapReport.objects.none()
    editions = GapReport.objects.select_related("partner", "generated_by")
    if reads_everything(user):
        return editions
    mine = Partner.objects.filter(in_portfolio_of(user))
    return editions.filter(
        Q(scope=GapReport.Scope.PORTFOLIO)
        | Q(scope=GapReport.Scope.PARTNER, partner__in=mine.values("pk"))
        | Q(scope=GapReport.Scope.REGION, region__in=mine.values("region"))
    )


def gap_report_for_user(user: AnyUser, pk: Any) -> GapReport:
    try:
        return gap_reports_visible_to(user).get(pk=pk)
    except (GapReport.DoesNotExist, ValueError, TypeError):
        raise Http404("No such gap report.") from None


def latest_gap_report(user: AnyUser, *, scope_key: str = "portfolio") -> GapReport | None:
    """The newest done edition of a scope the user may read (the manager's desk), dated today
    or before: an edition as of a future day is a projection, not the current picture."""
    return (
        gap_reports_visible_to(user)
        .filter(scope_key=scope_key, status=GapReport.Status.DONE, as_of__lte=timezone.localdate())
        .order_by("-as_of", "-finished_at", "-id")
        .first()
    )


# --- rows ------------------------------------------------------------------------------------


def _visible_rows(
    report: GapReport, user: AnyUser, *, section: str | None = None
) -> QuerySet[GapReportRow]:
    """The rows of a done edition the user may see: everything for those who read every
    partner; for a liaison officer, rows of their partners and rows of no partner (a mandate
    for every partner). An edition that is not done shows no rows at all. `section` narrows
    to one section (inside each part of a liaison officer's rows)."""
    seen = _partners_seen(report, user)
    if seen is None:
        return GapReportRow.objects.none()
    if seen is _EVERY_PARTNER:
        rows = GapReportRow.objects.filter(report=report)
        return rows.filter(section=section) if section else rows
    return _rows_of_partners(report, seen, section=section)


#: What `_partners_seen` answers for a reader who sees every partner's rows.
_EVERY_PARTNER = object()


def _partners_seen(report: GapReport, user: AnyUser) -> Any:
    """Whose rows of `report` the user sees: every partner's (`_EVERY_PARTNER`); those of
    no partner and of the partners of a query of ids (a liaison officer's); or none (None,
    also for an edition not done)."""
    if report.status != GapReport.Status.DONE:
        return None
    if reads_everything(user):
        return _EVERY_PARTNER
    if not can_read_gap_reports(user):
        return None
    return Partner.objects.filter(in_portfolio_of(user)).values("pk")


def _rows_of_partners(
    report: GapReport, partners: Any, *, section: str | None = None
) -> QuerySet[GapReportRow]:
    """The edition's rows of no partner and of these partners (ids, or a query of them), as
    the ids of two disjoint parts each sought on the (report, partner, section, rank) index.
    The outer query names neither report nor partner, so the planner starts from those ids (a
    narrower reader's share) and sorts them, instead of walking the whole edition in the order
    asked for and testing every row's partner (what `partner IS NULL OR partner IN …` gets
    from SQLite and PostgreSQL alike). `section` sits inside both parts, so one section costs
    a lookup per row of the reader's share of that section only; further filters and
    orderings apply as to any query of rows, at about one lookup per row of the share (~2,200
    at tier L)."""
    return GapReportRow.objects.filter(pk__in=_parts(report, partners, section=section))


def _parts(
    report: GapReport, partners: Any, *, section: str | None, columns: tuple[str, ...] = ("pk",)
) -> QuerySet[GapReportRow, Any]:
    """The two disjoint parts of `_rows_of_partners`, as one UNION ALL of `columns`."""
    rows = GapReportRow.objects.filter(report=report).order_by().values_list(*columns)
    if section:
        rows = rows.filter(section=section)
    return rows.filter(partner__isnull=True).union(rows.filter(partner__in=partners), all=True)


class RowPages:
    """A narrower reader's rows of an edition (one section, or all) in their order, for a
    paginator: a page is the ids of its rows, ordered and cut from the two parts' index
    entries (section, rank), then those rows fetched; instead of fetching every row of the
    reader's share and sorting it (~2,200 at tier L) for each page of 50."""

    ordered = True  # what Django's paginator checks

    def __init__(self, report: GapReport, partners: Any, *, section: str | None) -> None:
        self.report, self.partners, self.section = report, partners, section

    def _ids(self) -> QuerySet[GapReportRow, Any]:
        columns = ("pk", "section", "rank")
        parts = _parts(self.report, self.partners, section=self.section, columns=columns)
        return parts.order_by("section", "rank", "pk")

    def count(self) -> int:
        return _parts(self.report, self.partners, section=self.section).count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, cut: slice) -> list[GapReportRow]:
        ids = [pk for pk, _, _ in self._ids()[cut]]
        found = GapReportRow.objects.filter(pk__in=ids).select_related("partner").in_bulk()
        return [found[pk] for pk in ids]


def gap_report_row_pages(
    report: GapReport, user: AnyUser, *, section: str | None = None
) -> RowPages | None:
    """`gap_report_rows(report, user, section=section)` as `RowPages` for a reader who sees
    some partners' rows of a done edition; None for anyone else (a full-view reader's rows
    are paged on the edition's own indexes)."""
    seen = _partners_seen(report, user)
    if seen is None or seen is _EVERY_PARTNER:
        return None
    return RowPages(report, seen, section=section)


def reader_partner_ids(user: AnyUser) -> list[int] | None:
    """The partners whose rows this reader sees (besides rows of no partner), sorted; None
    for a reader who sees every partner. What a stored chart is keyed by."""
    if reads_everything(user):
        return None
    if not can_read_gap_reports(user):
        return []
    return sorted(Partner.objects.filter(in_portfolio_of(user)).values_list("pk", flat=True))


def _rows_of(
    report: GapReport, partner_ids: list[int] | None, *, section: str
) -> QuerySet[GapReportRow]:
    if partner_ids is None:
        return GapReportRow.objects.filter(report=report, section=section)
    return _rows_of_partners(report, partner_ids, section=section)


def gap_report_rows(
    report: GapReport,
    user: AnyUser,
    *,
    section: str | None = None,
    kind: str | None = None,
    partner_id: int | None = None,
    area: str | None = None,
) -> QuerySet[GapReportRow]:
    """Rows in their section's order (most important first). `area` narrows interoperability
    rows to one area (a heat-map cell: partner_id + area)."""
    rows = _visible_rows(report, user, section=section).select_related("partner")
    if kind:
        rows = rows.filter(kind=kind)
    if partner_id is not None:
        rows = rows.filter(partner_id=partner_id)
    if area:
        rows = rows.filter(data__area=area)
    return rows.order_by("section", "rank", "id")


def stored_row_count(report: GapReport, user: AnyUser, *, section: str | None = None) -> int | None:
    """How many rows `gap_report_rows(report, user, section=section)` holds, from the counts
    stored with the edition (a narrower reader: their partners' shares); None when it must be
    counted (an edition stored before the counts or shares were, or an edition not done)."""
    if report.status != GapReport.Status.DONE:
        return None
    if not reads_everything(user):
        shared = _shared(report, user, heads="none") if can_read_gap_reports(user) else None
        if shared is None:
            return None
        _, sections, _ = shared
        return sections.get(section, 0) if section else sum(sections.values())
    counts = (report.totals or {}).get("rows")
    if not isinstance(counts, dict):
        return None
    if section:
        return int(counts.get(section, 0))
    return sum(int(n) for n in counts.values())


def gap_report_changes(report: GapReport, user: AnyUser) -> QuerySet[GapReportRow]:
    return gap_report_rows(report, user, section=Section.CHANGES)


@dataclass
class Summary:
    """The one-screen executive summary, from the rows this reader may see."""

    counts: dict[str, int]  # open gaps per section
    blocking: int  # gaps that block planned work
    partners: int  # partners with an interoperability score
    average_score: float | None
    top: list[GapReportRow]  # the ten most important gaps
    changes: dict[str, int] = field(default_factory=dict)  # new / closed / slipped / level
    not_assessed: int = 0  # partners with no approved assessment (interoperability gaps)


def stored_totals(report: GapReport) -> dict[str, Any] | None:
    """The full view's figures stored at generation, or None for an edition stored before
    they were (its readers get them aggregated from the rows)."""
    totals = report.totals or {}
    return totals if "changes" in totals and "not_assessed" in totals else None


def _top(rows: QuerySet[GapReportRow]) -> list[GapReportRow]:
    return list(
        rows.filter(is_gap=True)
        .exclude(section=Section.CHANGES)
        .select_related("partner")
        .order_by("importance", "id")[:TOP_GAPS]
    )


def _figures(groups: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """The summary's figures from rows counted in groups alike, as `_FIGURE_GROUPS` counts
    them: (section, kind, is_gap, blocks planned work, rows, rows scored, sum of scores)."""
    totals: dict[str, Any] = {
        "blocking": 0,
        "partners": 0,
        "scored": 0,
        "score_sum": 0.0,
        "not_assessed": 0,
        **{f"gaps_{section}": 0 for section in GAP_SECTIONS},
        **{f"change_{kind}": 0 for kind in CHANGE_KINDS},
    }
    for section, kind, is_gap, blocks, n, scored, score_sum in groups:
        if is_gap and blocks:
            totals["blocking"] += n
        if section == Section.CHANGES:
            if kind in CHANGE_KINDS:
                totals[f"change_{kind}"] += n
        elif is_gap:
            totals[f"gaps_{section}"] += n
        if kind == "partner_score":
            totals["partners"] += n
            totals["scored"] += scored
            totals["score_sum"] += score_sum or 0.0
        elif kind == "not_assessed":
            totals["not_assessed"] += n
    return totals


def _first(entries: dict[str, list[tuple[int, int]]], limit: int) -> dict[str, list[int]]:
    """Each head's first row ids in order (entries are (sort key, id)): `TOP_GAPS` of the
    top gaps, `limit` of the rest."""
    return {
        head: [pk for _, pk in sorted(keys)[: TOP_GAPS if head == HEAD_TOP else limit]]
        for head, keys in entries.items()
    }


# --- shares: a partner's part of an edition, in brief ---------------------------------------

#: What a row adds to the summary's figures is told by these columns (see `_figures`).
_FIGURE_GROUPS = ("section", "kind", "is_gap", "blocks_planned_work")


def _head_of_row() -> Case:
    """The head of `gap_report_overview` a row is among: what changed; of the gaps, the
    section's (for interoperability the open items, the unassessed partners apart); NULL
    for a row in none."""
    interoperability = Q(section=Section.INTEROPERABILITY)
    return Case(
        When(section=Section.CHANGES, then=Value(HEAD_CHANGES)),
        When(is_gap=False, then=Value(None)),
        When(interoperability & Q(kind="not_assessed"), then=Value(HEAD_UNASSESSED)),
        When(interoperability & Q(kind="item"), then=Value(str(Section.INTEROPERABILITY))),
        When(interoperability, then=Value(None)),
        default=F("section"),
        output_field=CharField(),
    )


def shares_of(
    rows: QuerySet[GapReportRow], *, limit: int = HEAD_ROWS
) -> dict[int | None, dict[str, Any]]:
    """Each partner's brief (None: the rows of no partner) of `rows` (an edition's), worked
    out by the database in three grouped reads: the figures its rows add to a summary, its
    rows per section, its first `limit` rows of each head and its `TOP_GAPS` top gaps.
    What `gap_report_overview` adds up for a narrower reader is exactly what it would work
    out from that reader's rows."""
    rows = rows.order_by()
    briefs: dict[int | None, dict[str, Any]] = {}

    def brief(partner_id: int | None) -> dict[str, Any]:
        if partner_id not in briefs:
            briefs[partner_id] = {"groups": [], "top": [], "heads": {}}
        return briefs[partner_id]

    counted = rows.values_list("partner_id", *_FIGURE_GROUPS).annotate(
        n=Count("pk"), scored=Count("score"), score_sum=Sum("score")
    )
    for partner_id, *group in counted:
        brief(partner_id)["groups"].append(group)
    heads = (
        rows.annotate(
            head=_head_of_row(),
            place=Window(
                RowNumber(),
                partition_by=[F("partner_id"), F("head")],
                order_by=[F("rank"), F("pk")],
            ),
        )
        .filter(head__isnull=False, place__lte=limit)
        .values_list("partner_id", "head", "rank", "pk")
    )
    for partner_id, head, rank, pk in heads:
        brief(partner_id)["heads"].setdefault(head, []).append((rank, pk))
    top = (
        rows.filter(is_gap=True)
        .exclude(section=Section.CHANGES)
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("partner_id")], order_by=[F("importance"), F("pk")]
            )
        )
        .filter(place__lte=TOP_GAPS)
        .values_list("partner_id", "importance", "pk")
    )
    for partner_id, importance, pk in top:
        brief(partner_id)["top"].append((importance, pk))
    shares: dict[int | None, dict[str, Any]] = {}
    for partner_id, found in briefs.items():
        sections: dict[str, int] = {}
        for section, _, _, _, n, _, _ in found["groups"]:
            sections[section] = sections.get(section, 0) + n
        shares[partner_id] = {
            "figures": {**_figures(found["groups"]), "rows": sections},
            "top": [list(entry) for entry in sorted(found["top"])],
            "heads": {
                head: [list(entry) for entry in sorted(keys)]
                for head, keys in found["heads"].items()
            },
        }
    return shares


def _shared(
    report: GapReport, user: AnyUser, *, heads: str = "all"
) -> tuple[dict[str, Any], dict[str, int], dict[str, list[tuple[int, int]]]] | None:
    """A narrower reader's figures, rows per section and head entries, added up from the
    shares of their partners and of no partner (one query); `heads` "top" reads only the
    top gaps, "none" no head. None for an edition stored before its shares were."""
    if not (report.totals or {}).get("shares"):
        return None
    partners = Partner.objects.filter(in_portfolio_of(user)).values("pk")
    shares = report.shares.filter(Q(partner__isnull=True) | Q(partner__in=partners))
    columns = {"all": ("figures", "top", "heads"), "top": ("figures", "top")}.get(
        heads, ("figures",)
    )
    return _add_up(shares.values(*columns))


def _add_up(
    shares: Iterable[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, int], dict[str, list[tuple[int, int]]]]:
    """The figures, rows per section and head entries of the rows of several shares."""
    figures = _figures([])
    sections: dict[str, int] = {}
    entries: dict[str, list[tuple[int, int]]] = {}
    for share in shares:
        for name, value in share["figures"].items():
            if name == "rows":
                for section, n in value.items():
                    sections[section] = sections.get(section, 0) + n
            else:
                figures[name] = figures.get(name, 0) + value
        if "top" in share:
            entries.setdefault(HEAD_TOP, []).extend((key, pk) for key, pk in share["top"])
        for head, keys in share.get("heads", {}).items():
            entries.setdefault(head, []).extend((key, pk) for key, pk in keys)
    return figures, sections, entries


def _head_queries(
    report: GapReport, user: AnyUser, *, limit: int
) -> dict[str, QuerySet[GapReportRow]]:
    rows = gap_report_rows(report, user)
    heads = {str(s): rows.filter(section=s, is_gap=True) for s in GAP_SECTIONS}
    interoperability = heads[Section.INTEROPERABILITY]
    heads[HEAD_UNASSESSED] = interoperability.filter(kind="not_assessed")
    heads[Section.INTEROPERABILITY] = interoperability.filter(kind="item")
    heads[HEAD_CHANGES] = gap_report_changes(report, user)
    return {head: query[:limit] for head, query in heads.items()}


def _summary(totals: dict[str, Any], top: list[GapReportRow]) -> Summary:
    scored = totals["scored"]
    average = totals["score_sum"] / scored if scored else None
    return Summary(
        counts={str(s): totals[f"gaps_{s}"] for s in GAP_SECTIONS},
        blocking=totals["blocking"],
        partners=totals["partners"],
        average_score=round(average, 1) if average is not None else None,
        top=top,
        changes={kind: totals[f"change_{kind}"] for kind in CHANGE_KINDS},
        not_assessed=totals["not_assessed"],
    )


def _stored_summary(report: GapReport, user: AnyUser) -> Summary | None:
    """A full-view reader's summary of a done edition with its totals stored: the totals and
    one indexed query for the top gaps."""
    totals = stored_totals(report) if reads_everything(user) else None
    if totals is None or report.status != GapReport.Status.DONE:
        return None
    return Summary(
        counts={str(s): totals[str(s)] for s in GAP_SECTIONS},
        blocking=totals["blocking"],
        partners=totals["partners"],
        average_score=totals["average_score"],
        top=_top(_visible_rows(report, user)),
        changes={kind: totals["changes"][kind] for kind in CHANGE_KINDS},
        not_assessed=totals["not_assessed"],
    )


def gap_report_summary(report: GapReport, user: AnyUser) -> Summary:
    """A reader who sees every row reads the totals stored with the edition and its ten most
    important gaps (one indexed query); a narrower reader's figures are added up from their
    partners' shares (one query) and their top gaps fetched by id (one more)."""
    return gap_report_overview(report, user, limit=0)[0]


def gap_report_overview(
    report: GapReport, user: AnyUser, *, limit: int
) -> tuple[Summary, dict[str, list[GapReportRow]]]:
    """The summary and the first `limit` rows of each head: per section its gaps (for
    interoperability its open items), `HEAD_UNASSESSED` the partners with no approved
    assessment, `HEAD_CHANGES` what changed. A full-view reader's heads are one indexed
    query each (each stops after `limit` rows); a narrower reader's come from their partners'
    stored shares, so the whole overview is two queries whatever the number of heads (an
    edition stored before its shares, and a full-view reader's of one stored before its
    totals, work the shares out from the rows: four queries)."""
    stored = _stored_summary(report, user)
    if stored is not None:
        if not limit:
            return stored, {}
        heads = {head: list(q) for head, q in _head_queries(report, user, limit=limit).items()}
        return stored, heads
    if report.status != GapReport.Status.DONE or not can_read_gap_reports(user):
        return _summary(_figures([]), []), {}
    shared = _shared(report, user, heads="all" if limit else "top") if limit <= HEAD_ROWS else None
    if shared is None:  # an edition stored before its shares: worked out from the rows
        shared = _add_up(shares_of(_visible_rows(report, user), limit=limit).values())
    figures, _, entries = shared
    keys = _first(entries, limit)
    if not limit:
        keys = {HEAD_TOP: keys.get(HEAD_TOP, [])}
    wanted = {pk for pks in keys.values() for pk in pks}
    fetched = GapReportRow.objects.filter(pk__in=wanted).select_related("partner").in_bulk()
    rows = {head: [fetched[pk] for pk in pks] for head, pks in keys.items()}
    top = rows.pop(HEAD_TOP, [])
    if limit:
        for head in [*map(str, GAP_SECTIONS), HEAD_UNASSESSED, HEAD_CHANGES]:
            rows.setdefault(head, [])
    return _summary(figures, top), rows


@dataclass
class TrendPoint:
    report_id: int
    as_of: Any  # date
    average_score: float | None
    open_gaps: int


def gap_report_trend(report: GapReport, user: AnyUser, *, limit: int = 12) -> list[TrendPoint]:
    """Average score and open gaps of the done editions of this edition's scope up to it,
    oldest first, from the rows this reader may see. Two queries."""
    return trend_of(report, reader_partner_ids(user), limit=limit)


def trend_of(
    report: GapReport, partner_ids: list[int] | None, *, limit: int = 12
) -> list[TrendPoint]:
    """The trend from the rows of these partners (None: every partner). Only editions done
    by the time this one was, so an edition's trend (and its stored chart) never changes."""
    editions = GapReport.objects.filter(
        scope_key=report.scope_key, status=GapReport.Status.DONE, as_of__lte=report.as_of
    )
    if report.finished_at is not None:
        editions = editions.filter(Q(finished_at__lte=report.finished_at) | Q(pk=report.pk))
    chosen = list(
        editions.order_by("-as_of", "-finished_at", "-id").values_list("pk", "as_of", "totals")[
            :limit
        ]
    )
    figures: dict[int, dict[str, Any]] = {}
    if partner_ids is None:
        # The full view's figures were stored with each edition: nothing to aggregate.
        figures = {pk: totals for pk, _, totals in chosen if totals and "open_gaps" in totals}
    missing = [pk for pk, _, _ in chosen if pk not in figures]
    rows = GapReportRow.objects.filter(report_id__in=missing)
    if partner_ids is not None:
        rows = rows.filter(Q(partner__isnull=True) | Q(partner__in=partner_ids))
    if missing:
        aggregated = rows.values("report_id").annotate(
            average_score=Avg("score", filter=Q(kind="partner_score")),
            open_gaps=Count("pk", filter=Q(is_gap=True) & ~Q(section=Section.CHANGES)),
        )
        for r in aggregated:
            average = r["average_score"]
            figures[r["report_id"]] = {
                "average_score": round(average, 1) if average is not None else None,
                "open_gaps": r["open_gaps"],
            }
    points = []
    for pk, as_of, _ in reversed(chosen):
        figure = figures.get(pk, {})
        points.append(
            TrendPoint(
                report_id=pk,
                as_of=as_of,
                average_score=figure.get("average_score"),
                open_gaps=figure.get("open_gaps", 0),
            )
        )
    return points


@dataclass
class HeatMap:
    """Score per partner × area: rows are partners (by name), columns the areas any partner
    was scored in; a cell is {"score", "level", "items", "unmet_high", "open_items"} or
    missing. `scored` counts every partner with a score row, shown or not."""

    partners: list[dict[str, Any]]  # {"id", "name", "score", "level"}
    areas: list[dict[str, str]]  # {"code", "label"}
    cells: dict[tuple[int, str], dict[str, Any]]
    scored: int = 0


def gap_report_heat_map(report: GapReport, user: AnyUser, *, lowest: int | None = None) -> HeatMap:
    """Three queries: the partners' scores, their areas' scores, and open items counted per
    partner and area."""
    if report.status != GapReport.Status.DONE or not can_read_gap_reports(user):
        return HeatMap(partners=[], areas=[], cells={})
    return heat_map_of(report, reader_partner_ids(user), lowest=lowest)


def _lowest(partners: list[dict[str, Any]], lowest: int | None) -> list[dict[str, Any]]:
    """All the partners (by name), or that many of the lowest-scoring (unscored first)."""
    partners = sorted(partners, key=lambda p: p["name"])
    if lowest is None or len(partners) <= lowest:
        return partners
    ranked = sorted(partners, key=lambda p: (p["score"] is not None, p["score"] or 0))
    return sorted(ranked[:lowest], key=lambda p: p["name"])


def heat_map_of(
    report: GapReport, partner_ids: list[int] | None, *, lowest: int | None = None
) -> HeatMap:
    """The heat map from the rows of these partners (None: every partner); with `lowest`, of
    that many partners only: their areas and open items are all that is read, so a heat map
    of 60 partners reads as much of an edition of 1,000 as of one of 60."""
    rows = _rows_of(report, partner_ids, section=Section.INTEROPERABILITY)
    scored = [
        {
            "id": r["partner_id"],
            "name": r["data__partner_name"] or "",
            "score": r["data__score"],
            "level": r["data__level"],
        }
        for r in rows.filter(kind="partner_score")
        .order_by("rank", "id")
        .values("partner_id", "data__partner_name", "data__score", "data__level")
    ]
    partners = _lowest(scored, lowest)
    shown = rows if lowest is None else rows.filter(partner_id__in=[p["id"] for p in partners])
    open_items = {
        (r["partner_id"], r["data__area"]): r["n"]
        for r in shown.filter(kind="item")
        .values("partner_id", "data__area")
        .annotate(n=Count("pk"))
    }
    cells: dict[tuple[int, str], dict[str, Any]] = {}
    used_areas: set[str] = set()
    for row in shown.filter(kind="area_score").order_by("rank", "id").values("partner_id", "data"):
        data = row["data"]
        area = data["area"]
        used_areas.add(area)
        cells[(row["partner_id"], area)] = {
            "score": data.get("score"),
            "level": data.get("level"),
            "items": data.get("items", 0),
            "unmet_high": data.get("unmet_high", 0),
            "open_items": open_items.get((row["partner_id"], area), 0),
        }
    areas = [
        {"code": code, "label": str(label)} for code, label in Area.choices if code in used_areas
    ]
    return HeatMap(partners=partners, areas=areas, cells=cells, scored=len(scored))
