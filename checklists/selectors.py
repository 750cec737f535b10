"""Reads of the checklists app: who sees which assessment, and scores computed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.http import Http404

from agreements.selectors import can_edit_partner, partners_visible_to
from checklists.models import Area, Assessment, Criticality, EvidenceFile, ItemResponse
from config.roles import AnyUser, Role, has_role, is_administrator

R = ItemResponse.Result


def assessments_visible_to(user: AnyUser) -> QuerySet[Assessment]:
    return Assessment.objects.filter(partner__in=partners_visible_to(user))


def assessment_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Assessment:
    try:
        assessment = assessments_visible_to(user).select_related("partner", "template").get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such assessment.") from None
    if write and not can_edit_partner(user, assessment.partner):
        raise PermissionDenied("Only the partner's liaison officers answer its assessments.")
    return assessment


@dataclass
class AreaScore:
    area: str
    label: str
    score: float | None  # percent; None when every item is not applicable
    completion: float  # percent of items answered (not applicable counts as answered)
    items: int
    unmet_high: int


@dataclass
class Score:
    overall: float | None
    completion: float
    level: int | None
    capped: bool
    areas: list[AreaScore] = field(default_factory=list)


_EARNED = Sum(
    F("item__weight")
    * Case(
        When(result=R.MET, then=Value(1.0)),
        When(result=R.PARTIALLY_MET, then=Value(0.5)),
        default=Value(0.0),
        output_field=FloatField(),
    ),
    output_field=FloatField(),
)
_POSSIBLE = Sum(
    Case(
        When(result=R.NOT_APPLICABLE, then=Value(0)),
        default=F("item__weight"),
        output_field=IntegerField(),
    ),
)


def area_rows(
    assessments: QuerySet[Assessment] | list[int],
) -> QuerySet[ItemResponse, dict[str, Any]]:
    """One aggregate query: earned and possible weight, answers and unmet high-criticality
    items per assessment and area."""
    return (
        ItemResponse.objects.filter(assessment__in=assessments)
        .values("assessment_id", "item__area")
        .annotate(
            earned=_EARNED,
            possible=_POSSIBLE,
            # counted over columns the query reads anyway, so no other column is fetched
            total=Count("*"),
            answered=Count("result", filter=~Q(result=R.NOT_ASSESSED)),
            unmet_high=Count(
                "result", filter=Q(result=R.NOT_MET, item__criticality=Criticality.HIGH)
            ),
        )
        .order_by("assessment_id", "item__area")
    )


def level_for(score: float | None, *, unmet_high: int) -> tuple[int | None, bool]:
    if score is None:
        return None, False
    level = 0
    for candidate, threshold in sorted(settings.ACCORD_LEVEL_THRESHOLDS.items(), reverse=True):
        if score >= threshold:
            level = candidate
            break
    cap = settings.ACCORD_LEVEL_CAP_WITH_UNMET_HIGH
    if unmet_high and level > cap:
        return cap, True
    return level, False


def scores_for(assessment_ids: list[int]) -> dict[int, Score]:
    labels = dict(Area.choices)
    grouped: dict[int, list[dict[str, Any]]] = {pk: [] for pk in assessment_ids}
    for row in area_rows(assessment_ids):
        grouped.setdefault(row["assessment_id"], []).append(row)
    scores = {}
    for pk, rows in grouped.items():
        earned = sum(r["earned"] or 0 for r in rows)
        possible = sum(r["possible"] or 0 for r in rows)
        total = sum(r["total"] for r in rows)
        answered = sum(r["answered"] for r in rows)
        unmet_high = sum(r["unmet_high"] for r in rows)
        overall = round(100 * earned / possible, 1) if possible else None
        level, capped = level_for(overall, unmet_high=unmet_high)
        scores[pk] = Score(
            overall=overall,
            completion=round(100 * answered / total, 1) if total else 0.0,
            level=level,
            capped=capped,
            areas=[
                AreaScore(
                    area=r["item__area"],
                    label=labels.get(r["item__area"], r["item__area"]),
                    score=round(100 * (r["earned"] or 0) / r["possible"], 1)
                    if r["possible"]
                    else None,
                    completion=round(100 * r["answered"] / r["total"], 1),
                    items=r["total"],
                    unmet_high=r["unmet_high"],
                )
                for r in rows
            ],
        )
    return scores


def assessment_score(assessment: Assessment) -> Score:
    return scores_for([assessment.pk])[assessment.pk]


RANK = {R.MET: 3, R.PARTIALLY_MET: 2, R.NOT_MET: 1, R.NOT_ASSESSED: 0}


def _change(old: str | None, new: str | None) -> str:
    if old is None:
        return "new"
    if new is None:
        return "removed"
    if old == R.NOT_APPLICABLE or new == R.NOT_APPLICABLE:
        return "unchanged" if old == new else "changed"
    difference = RANK[new] - RANK[old]
    return "better" if difference > 0 else "worse" if difference < 0 else "unchanged"


def compare_assessments(older: Assessment, newer: Assessment) -> dict[str, Any]:
    """Two assessments of one partner side by side: per item and per area, better, worse or
    unchanged. Items are matched by code, so two template versions compare too."""
    if older.partner_id != newer.partner_id:
        raise PermissionDenied("Only assessments of the same partner compare.")
    rows = ItemResponse.objects.filter(assessment__in=[older.pk, newer.pk]).values_list(
        "assessment_id", "item__code", "item__area", "item__requirement", "result"
    )
    items: dict[str, dict[str, Any]] = {}
    for assessment_id, code, area, requirement, result in rows:
        entry = items.setdefault(
            code,
            {"code": code, "area": area, "requirement": requirement, "before": None, "after": None},
        )
        entry["before" if assessment_id == older.pk else "after"] = result
    for entry in items.values():
        entry["change"] = _change(entry["before"], entry["after"])
    scores = scores_for([older.pk, newer.pk])
    before = {a.area: a.score for a in scores[older.pk].areas}
    after = {a.area: a.score for a in scores[newer.pk].areas}
    labels = dict(Area.choices)
    areas = []
    for area in sorted(set(before) | set(after)):
        b, a = before.get(area), after.get(area)
        change = "unchanged"
        if b is not None and a is not None and a != b:
            change = "better" if a > b else "worse"
        areas.append(
            {
                "area": area,
                "label": labels.get(area, area),
                "before": b,
                "after": a,
                "change": change,
            }
        )
    return {
        "before": older,
        "after": newer,
        "overall": {"before": scores[older.pk].overall, "after": scores[newer.pk].overall},
        "areas": areas,
        "items": sorted(items.values(), key=lambda e: e["code"]),
    }


def portfolio_area_scores(
    user: AnyUser, *, status: list[str] | None = None
) -> list[dict[str, Any]]:
    """Score per assessment × area for every visible assessment, from one aggregate query."""
    visible = assessments_visible_to(user)
    if status:
        visible = visible.filter(status__in=status)
    rows = area_rows(visible.values("pk"))
    names = dict(visible.values_list("pk", "partner__name"))
    return [
        {
            "assessment": row["assessment_id"],
            "partner": names.get(row["assessment_id"]),
            "area": row["item__area"],
            "score": round(100 * (row["earned"] or 0) / row["possible"], 1)
            if row["possible"]
            else None,
            "earned": row["earned"] or 0.0,
            "possible": row["possible"] or 0,
            "answered": row["answered"],
            "items": row["total"],
        }
        for row in rows
    ]


def response_rows(assessment: Assessment) -> QuerySet[ItemResponse]:
    """Every item's answer with what its serializer shows, in a fixed number of queries."""
    return assessment.responses.select_related("item", "owner").prefetch_related(
        Prefetch(
            "evidence_files",
            queryset=EvidenceFile.objects.select_related("uploaded_by"),
        )
    )


def can_publish_templates(user: AnyUser) -> bool:
    """The checklist library is shared reference data: administrators publish to it."""
    return is_administrator(user)


def can_review_assessment(user: AnyUser) -> bool:
    """Managers (and administrators) approve a submitted assessment or return it to the
    assessor; liaison officers and legal advisors do not."""
    return has_role(user, Role.MANAGER) or is_administrator(user)


def assessment_rounds(assessments: list[Assessment]) -> dict[int, int]:
    """Each assessment's round: its place among the partner's assessments of the same template
    (any version: an upgrade continues the series), oldest first, in one query."""
    keys = {(a.partner_id, a.template.urn) for a in assessments}
    if not keys:
        return {}
    condition = Q()
    for partner_id, urn in keys:
        condition |= Q(partner_id=partner_id, template__urn=urn)
    counters: dict[tuple[int, str], int] = {}
    rounds: dict[int, int] = {}
    series = (
        Assessment.objects.filter(condition)
        .order_by("created_at", "pk")
        .values_list("pk", "partner_id", "template__urn")
    )
    for pk, partner_id, urn in series:
        counters[(partner_id, urn)] = counters.get((partner_id, urn), 0) + 1
        rounds[pk] = counters[(partner_id, urn)]
    return rounds


def responses_to_reconfirm(assessment: Assessment, *, area: str) -> QuerySet[ItemResponse]:
    """The answers of one area carried over from the round before and not yet confirmed or
    changed."""
    return assessment.responses.filter(item__area=area, needs_reconfirmation=True)
