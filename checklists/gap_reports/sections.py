"""The sections of a gap report, computed with set-based queries over both apps.

Each section is a function of (scope, as-of date, horizon) returning row drafts; the number of
queries does not depend on the number of partners. Legal gaps that block planned work (an
engagement of that partner and activity) rank before theoretical ones. This module holds the
shared parts and the interoperability section; legal_sections.py the agreements, mandates and
sovereignty sections."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, Left, NullIf, Trim
from django.db.models.functions.window import RowNumber
from django.utils import timezone

from agreements.models import (
    Engagement,
    Partner,
)
from checklists.gap_reports.models import GapReport, GapReportRow
from checklists.models import Area, Assessment, ItemResponse
from checklists.selectors import level_for, scores_for
from config.display import day

Section = GapReportRow.Section
Severity = GapReportRow.Severity
R = ItemResponse.Result

SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, "": 3}


@dataclass
class RowDraft:
    section: str
    kind: str
    key: str
    partner_id: int | None
    data: dict[str, Any]
    is_gap: bool = True
    severity: str = ""
    blocks_planned_work: bool = False
    due_on: date | None = None
    score: float | None = None
    # Within a section, rows sort by (blocks planned work, severity, sort_key).
    sort_key: tuple[Any, ...] = field(default_factory=tuple)

    def order(self) -> tuple[Any, ...]:
        return (
            not self.blocks_planned_work,
            SEVERITY_ORDER.get(self.severity, 3),
            *self.sort_key,
            self.key,
        )


@dataclass
class Scope:
    """Which partners an edition covers, as a queryset the sections filter by in SQL."""

    kind: str
    as_of: date
    horizon_days: int
    partner_id: int | None = None
    region: str = ""

    @classmethod
    def of(cls, report: GapReport) -> Scope:
        return cls(
            kind=report.scope,
            as_of=report.as_of,
            horizon_days=report.horizon_days,
            partner_id=report.partner_id,
            region=report.region,
        )

    @property
    def until(self) -> date:
        return self.as_of + timedelta(days=self.horizon_days)

    @property
    def whole_register(self) -> bool:
        return self.kind == GapReport.Scope.PORTFOLIO

    def partners(self) -> QuerySet[Partner]:
        partners = Partner.objects.exclude(status=Partner.Status.INACTIVE)
        if self.kind == GapReport.Scope.PARTNER:
            return partners.filter(pk=self.partner_id or 0)
        if self.kind == GapReport.Scope.REGION:
            return partners.filter(region=self.region)
        return partners

    def filter(self, rows: QuerySet[Any], path: str = "partner") -> QuerySet[Any]:
        """Narrow a queryset to the scope's partners; the portfolio reads the register whole."""
        if self.whole_register:
            return rows.exclude(**{f"{path}__status": Partner.Status.INACTIVE})
        return rows.filter(**{f"{path}__in": self.partners().values("pk")})


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _person(first: str | None, last: str | None, username: str | None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or (username or "")


@dataclass
class PlannedWork:
    """Engagements planned (not yet ended) as of the date, by partner and activity type."""

    counts: dict[tuple[int, int], int]
    first_start: dict[tuple[int, int], date]

    @classmethod
    def of(cls, scope: Scope) -> PlannedWork:
        counts: dict[tuple[int, int], int] = defaultdict(int)
        first: dict[tuple[int, int], date] = {}
        rows = scope.filter(Engagement.objects.filter(ends_on__gte=scope.as_of)).values_list(
            "partner_id", "activity_type_id", "starts_on"
        )
        for partner_id, activity_id, starts_on in rows:
            key = (partner_id, activity_id)
            counts[key] += 1
            if key not in first or starts_on < first[key]:
                first[key] = starts_on
        return cls(dict(counts), first)

    @cached_property
    def by_activity(self) -> dict[int, int]:
        """Engagements per activity type, every partner's."""
        totals: dict[int, int] = defaultdict(int)
        for (_, activity_id), n in self.counts.items():
            totals[activity_id] += n
        return dict(totals)

    def for_activities(self, partner_id: int | None, activity_ids: Iterable[int]) -> int:
        wanted = set(activity_ids)
        if partner_id is None:  # a mandate for every partner concerns every partner's work
            return sum(self.by_activity.get(a, 0) for a in wanted)
        return sum(self.counts.get((partner_id, a), 0) for a in wanted)


# --- interoperability ------------------------------------------------------------------------


def latest_approved_assessments(scope: Scope) -> QuerySet[Assessment]:
    """Each partner's latest assessment approved by the as-of date."""
    cutoff = _end_of(scope.as_of)
    approved = Assessment.objects.filter(status=Assessment.Status.APPROVED, approved_at__lt=cutoff)
    later = approved.filter(partner_id=OuterRef("partner_id")).filter(
        Q(approved_at__gt=OuterRef("approved_at"))
        | Q(approved_at=OuterRef("approved_at"), pk__gt=OuterRef("pk"))
    )
    return scope.filter(approved).exclude(Exists(later))


def interoperability_rows(scope: Scope) -> list[RowDraft]:
    latest = list(
        latest_approved_assessments(scope).values_list(
            "pk", "partner_id", "partner__name", "template__title", "approved_at"
        )
    )
    scores = scores_for([pk for pk, *_ in latest])
    labels = dict(Area.choices)
    drafts: list[RowDraft] = []
    names: dict[int, str] = {}
    for pk, partner_id, partner_name, template, approved_at in latest:
        names[partner_id] = partner_name
        score = scores[pk]
        drafts.append(
            RowDraft(
                Section.INTEROPERABILITY,
                "partner_score",
                f"score:partner:{partner_id}",
                partner_id,
                {
                    "partner_name": partner_name,
                    "assessment_id": pk,
                    "template": template,
                    "approved_on": _iso(timezone.localdate(approved_at)),
                    "score": score.overall,
                    "level": score.level,
                    "capped": score.capped,
                    "completion": score.completion,
                },
                is_gap=False,
                score=score.overall,
                sort_key=(0, partner_name),
            )
        )
        for area in score.areas:
            level, _ = level_for(area.score, unmet_high=area.unmet_high)
            drafts.append(
                RowDraft(
                    Section.INTEROPERABILITY,
                    "area_score",
                    f"score:partner:{partner_id}:area:{area.area}",
                    partner_id,
                    {
                        "partner_name": partner_name,
                        "area": area.area,
                        "area_label": labels.get(area.area, area.area),
                        "score": area.score,
                        "level": level,
                        "items": area.items,
                        "unmet_high": area.unmet_high,
                    },
                    is_gap=False,
                    score=area.score,
                    sort_key=(1, partner_name, area.area),
                )
            )
    drafts += _not_assessed(scope, set(names))
    return drafts


class AsJSON(Func):
    """Text holding a JSON literal ('true', 'false') as a JSON value inside a JSON object."""

    function = "JSON"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS JSONB)", **extra)


def _json_bool(condition: Q) -> AsJSON:
    return AsJSON(Case(When(condition, then=Value("true")), default=Value("false")))


def _labelled(field: str, choices: Iterable[tuple[str, Any]]) -> Case:
    return Case(
        *(When(**{field: value}, then=Value(str(label))) for value, label in choices),
        default=F(field),
        output_field=CharField(),
    )


def _blank(field: str) -> Coalesce:
    return Coalesce(F(field), Value(""), output_field=CharField())


def severity_order_sql(field: str) -> Case:
    """SEVERITY_ORDER in SQL: a severity's place in the order of a section."""
    return Case(
        *(When(**{field: value}, then=Value(n)) for value, n in SEVERITY_ORDER.items() if value),
        default=Value(SEVERITY_ORDER[""]),
    )


def _open_responses(scope: Scope) -> QuerySet[ItemResponse]:
    return scope.filter(
        ItemResponse.objects.filter(
            assessment__in=latest_approved_assessments(scope).values("pk"),
            result__in=[R.NOT_MET, R.PARTIALLY_MET],
        ),
        "assessment__partner",
    )


def open_items(scope: Scope) -> QuerySet[ItemResponse]:
    """The unmet and partly met items of each partner's latest approved assessment, as the
    rows of the interoperability section, judged in the database: one SELECT whatever the
    number of partners, which the generation inserts straight into the edition. `values()`
    are the row's columns; `position` orders them within the items (most important first):
    criticality, then weight, not met before partly met, overdue first, partner, key."""
    overdue = Q(remediation_due_on__lt=scope.as_of)
    key = Left(
        Concat(
            Value("item:partner:"),
            Cast("assessment__partner_id", CharField()),
            Value(":"),
            F("assessment__template__urn"),
            Value(":"),
            F("item__code"),
            output_field=CharField(),
        ),
        200,
    )
    owner = Coalesce(
        NullIf(
            Trim(Concat(_blank("owner__first_name"), Value(" "), _blank("owner__last_name"))),
            Value(""),
        ),
        _blank("owner__username"),
        output_field=CharField(),
    )
    data = JSONObject(
        partner_name=F("assessment__partner__name"),
        assessment_id=F("assessment_id"),
        item_code=F("item__code"),
        requirement=F("item__requirement"),
        area=F("item__area"),
        area_label=_labelled("item__area", Area.choices),
        result=F("result"),
        result_label=_labelled("result", R.choices),
        criticality=F("item__criticality"),
        weight=F("item__weight"),
        owner=owner,
        remediation_due_on=F("remediation_due_on"),
        overdue=_json_bool(overdue),
    )
    severity_order = severity_order_sql("item__criticality")
    rows: QuerySet[ItemResponse] = (
        _open_responses(scope)
        .annotate(
            row_partner=F("assessment__partner_id"),
            row_key=key,
            severity=F("item__criticality"),
            row_due_on=F("remediation_due_on"),
            row_data=data,
            severity_order=severity_order,
            position=Window(
                RowNumber(),
                order_by=[
                    severity_order.asc(),
                    F("item__weight").desc(),
                    Case(When(result=R.NOT_MET, then=Value(0)), default=Value(1)).asc(),
                    Case(When(overdue, then=Value(0)), default=Value(1)).asc(),
                    F("assessment__partner__name").asc(),
                    key.asc(),
                ],
            ),
        )
        .order_by()  # the generation orders by `position`
        .values(*OPEN_ITEM_COLUMNS)
    )
    return rows


#: The columns `open_items` selects, in order.
OPEN_ITEM_COLUMNS = (
    "row_partner",
    "row_key",
    "severity",
    "row_due_on",
    "row_data",
    "severity_order",
    "position",
)


def open_item_counts(scope: Scope) -> dict[str, int]:
    """How many open items of each severity the edition holds (which places the section's
    other rows among them)."""
    rows = _open_responses(scope).order_by().values("item__criticality").annotate(n=Count("pk"))
    return dict(rows.values_list("item__criticality", "n"))


def _not_assessed(scope: Scope, assessed: set[int]) -> list[RowDraft]:
    drafts = []
    for partner_id, name in scope.partners().values_list("pk", "name"):
        if partner_id in assessed:
            continue
        drafts.append(
            RowDraft(
                Section.INTEROPERABILITY,
                "not_assessed",
                f"assessment:partner:{partner_id}:none",
                partner_id,
                {
                    "partner_name": name,
                    "detail": f"No approved interoperability assessment of {name} by "
                    f"{day(scope.as_of)}.",
                },
                severity=Severity.MEDIUM,
                sort_key=(3, name),
            )
        )
    return drafts
