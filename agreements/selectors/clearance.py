"""The clearance check — may we do this activity with this partner, and what must happen
first? — and coverage, the same check for every partner × activity type in use.

Both gather the same facts with a fixed number of queries (never one per cell) and judge them
with the same function, so the page, the API and the coverage matrix cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property, partial
from typing import Any, NamedTuple

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from agreements.models import (
    ActivityType,
    Agreement,
    Engagement,
    LegalMandate,
    Partner,
    SovereigntyConstraint,
)
from agreements.selectors.agreements import parties_in_force
from agreements.selectors.partners import partners_visible_to
from config.dates import minus_days
from config.display import day
from config.roles import AnyUser, reads_everything


class Verdict(StrEnum):
    CLEARED = "cleared"
    CONDITIONAL = "conditional"
    BLOCKED = "blocked"
    GAP = "gap"


VERDICT_LABELS = {
    Verdict.CLEARED: "Cleared",
    Verdict.CONDITIONAL: "Conditional",
    Verdict.BLOCKED: "Blocked",
    Verdict.GAP: "Gap",
}


class Effect(StrEnum):
    COVERS = "covers"  # the legal basis is there
    CONDITION = "condition"  # something must happen first, or be watched
    BLOCKS = "blocks"  # may not go ahead
    MISSING = "missing"  # a legal basis is missing
    NOTE = "note"  # for information


@dataclass(frozen=True)
class Finding:
    source: str  # agreement | mandate | constraint
    effect: Effect
    subject: str
    detail: str
    object_id: int | None = None
    due_on: date | None = None


@dataclass
class Clearance:
    partner: Partner
    activity_type: ActivityType
    starts_on: date
    ends_on: date
    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def consent_requests(self) -> list[Finding]:
        return [f for f in self.findings if f.due_on is not None]


# --- facts -----------------------------------------------------------------------------------


class _AgreementFact(NamedTuple):
    id: int
    reference: str
    title: str
    expires_on: date | None
    notice_deadline: date | None
    withdrawn_on: date | None


class _MandateFact(NamedTuple):
    id: int
    title: str
    citation: str
    status: str
    valid_until: date | None


class _ConstraintFact(NamedTuple):
    id: int
    category: str
    effect: str
    consent_lead_days: int | None
    description: str


@dataclass
class _Facts:
    """Facts by (partner, activity). What applies to every partner (a mandate) or to every
    activity (a constraint) is kept once and merged on reading, not copied into each cell."""

    agreements: dict[tuple[int, int], list[_AgreementFact]]
    mandates: dict[tuple[int, int], list[_MandateFact]]
    constraints: dict[tuple[int, int], list[_ConstraintFact]]
    mandates_for_all: dict[int, list[_MandateFact]] = field(default_factory=dict)
    constraints_for_all_activities: dict[int, list[_ConstraintFact]] = field(default_factory=dict)

    def for_cell(self, key: tuple[int, int]) -> dict[str, list[Any]]:
        partner_id, activity_id = key
        return {
            "agreements": self.agreements.get(key, []),
            "mandates": self.mandates_for_all.get(activity_id, []) + self.mandates.get(key, []),
            "constraints": self.constraints_for_all_activities.get(partner_id, [])
            + self.constraints.get(key, []),
        }


def _gather(
    *,
    partner_ids: Iterable[int],
    activity_ids: Iterable[int],
    starts_on: date,
    ends_on: date,
    partner_scope: QuerySet[Partner] | None = None,
    pairs: QuerySet[Engagement] | None = None,
) -> _Facts:
    """The facts for these partners and activity types, in three queries plus one.

    A narrow scope (one partner, or a liaison officer's portfolio given as `partner_scope`, a
    subquery) is filtered in SQL; the whole register is read without an IN list, because
    probing a thousand ids per agreement costs far more than reading rows it then skips.
    `pairs` (engagements, a subquery) narrows the agreements read to the (partner, activity)
    pairs of those engagements: a sixth of the register's in-force rows at tier L."""
    partner_ids = list(partner_ids)
    activity_ids = list(activity_ids)
    wanted_partners, wanted_activities = set(partner_ids), set(activity_ids)
    if partner_scope is not None:
        partner_filter: dict[str, Any] = {"partner_id__in": partner_scope.values("pk")}
    elif len(partner_ids) <= 50:
        partner_filter = {"partner_id__in": partner_ids}
    else:
        partner_filter = {}
    narrow_activities = len(activity_ids) <= 3

    agreements: dict[tuple[int, int], list[_AgreementFact]] = defaultdict(list)
    # Sorted by reference below: the parties' default order (partner name) is not wanted.
    rows = (
        parties_in_force(on=starts_on)
        .filter(**partner_filter)
        .order_by()
        .annotate(activity_id=F("agreement__activity_types"))
    )
    if narrow_activities:
        rows = rows.filter(activity_id__in=activity_ids)
    if pairs is not None:
        planned = pairs.filter(
            partner_id=OuterRef("partner_id"), activity_type_id=OuterRef("activity_id")
        )
        rows = rows.filter(Exists(planned.order_by()))
    for partner_id, activity_id, *fact in rows.values_list(
        "partner_id",
        "activity_id",
        "agreement_id",
        "agreement__reference",
        "agreement__title",
        "agreement__expires_on",
        "agreement__notice_deadline",
        "withdrawn_on",
    ):
        if partner_id in wanted_partners and activity_id in wanted_activities:
            agreements[(partner_id, activity_id)].append(_AgreementFact(*fact))

    approved = LegalMandate.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=starts_on),
        status__in=LegalMandate.APPROVED_STATUSES,
        valid_from__lte=starts_on,
    )
    named: dict[int, set[int]] = defaultdict(set)
    for mandate_id, partner_id in LegalMandate.partners.through.objects.filter(
        legalmandate__in=approved.values("pk"), **partner_filter
    ).values_list("legalmandate_id", "partner_id"):
        named[mandate_id].add(partner_id)
    mandates: dict[tuple[int, int], list[_MandateFact]] = defaultdict(list)
    for_all: dict[int, list[_MandateFact]] = defaultdict(list)
    mandate_rows = approved.values_list(
        "activity_types",
        "applies_to_all_partners",
        "id",
        "title",
        "citation",
        "status",
        "valid_until",
    )
    for activity_id, applies_to_all, *fact in mandate_rows:
        if activity_id not in wanted_activities:
            continue
        mandate = _MandateFact(*fact)
        if applies_to_all:
            for_all[activity_id].append(mandate)
            continue
        for partner_id in named.get(mandate.id, ()):
            if partner_id in wanted_partners:
                mandates[(partner_id, activity_id)].append(mandate)

    constraints: dict[tuple[int, int], list[_ConstraintFact]] = defaultdict(list)
    every_activity: dict[int, list[_ConstraintFact]] = defaultdict(list)
    constraint_rows = SovereigntyConstraint.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=ends_on),
        Q(valid_until__isnull=True) | Q(valid_until__gte=starts_on),
        **partner_filter,
    ).values_list(
        "partner_id",
        "activity_types",
        "id",
        "category",
        "effect",
        "consent_lead_days",
        "description",
    )
    for partner_id, activity_id, *fact in constraint_rows:
        if partner_id not in wanted_partners:
            continue
        constraint = _ConstraintFact(*fact)
        if activity_id is None:  # no activity types: it applies to every activity
            every_activity[partner_id].append(constraint)
        elif activity_id in wanted_activities:
            constraints[(partner_id, activity_id)].append(constraint)
    for facts in agreements.values():
        facts.sort(key=lambda fact: fact.reference)
    return _Facts(agreements, mandates, constraints, for_all, every_activity)


# --- consent request deadlines ---------------------------------------------------------------

#: (partner id, activity type id or None for every activity, valid from, valid until, lead days)
ConsentRow = tuple[int, int | None, date | None, date | None, int]


def consent_constraint_rows(
    partner_ids: Iterable[int], *, constraints: QuerySet[Any] | None = None
) -> list[ConsentRow]:
    """The consent constraints of these partners, one row per activity type, in one query.
    `constraints` lets a migration pass its historical model's manager."""
    rows = constraints if constraints is not None else SovereigntyConstraint.objects.all()
    return list(
        rows.filter(
            partner_id__in=list(partner_ids),
            effect=SovereigntyConstraint.Effect.REQUIRES_CONSENT,
            consent_lead_days__isnull=False,
        ).values_list(
            "partner_id", "activity_types", "valid_from", "valid_until", "consent_lead_days"
        )
    )


def consent_request_by(engagement: Any, rows: Iterable[ConsentRow]) -> date | None:
    """The last day to request consent for an engagement: its start minus the longest lead time
    of the consent constraints its clearance check lists (same partner, its activity or every
    activity, valid at some time during it). None when no consent is needed."""
    leads = [
        lead
        for partner_id, activity_id, valid_from, valid_until, lead in rows
        if partner_id == engagement.partner_id
        and activity_id in (None, engagement.activity_type_id)
        and (valid_from is None or valid_from <= engagement.ends_on)
        and (valid_until is None or valid_until >= engagement.starts_on)
    ]
    return minus_days(engagement.starts_on, max(leads)) if leads else None


# --- judgement -------------------------------------------------------------------------------

_CATEGORY_LABELS = dict(SovereigntyConstraint._meta.get_field("category").flatchoices)


def _judge(
    *,
    partner_name: str,
    activity_name: str,
    starts_on: date,
    ends_on: date,
    today: date,
    agreements: list[_AgreementFact],
    mandates: list[_MandateFact],
    constraints: list[_ConstraintFact],
) -> tuple[Verdict, list[Finding]]:
    findings: list[Finding] = []

    for a in agreements:
        findings.append(
            Finding(
                "agreement",
                Effect.COVERS,
                a.reference,
                f"In force for {partner_name}: {a.title}.",
                a.id,
            )
        )
        if a.expires_on and a.expires_on < ends_on:
            findings.append(
                Finding(
                    "agreement",
                    Effect.CONDITION,
                    a.reference,
                    f"Expires on {day(a.expires_on)}, before the activity ends.",
                    a.id,
                )
            )
        elif a.notice_deadline and a.notice_deadline <= ends_on:
            findings.append(
                Finding(
                    "agreement",
                    Effect.CONDITION,
                    a.reference,
                    f"Its notice deadline ({day(a.notice_deadline)}) falls before the "
                    "activity ends: decide on renewal or termination first.",
                    a.id,
                )
            )
        if a.withdrawn_on and a.withdrawn_on <= ends_on:
            findings.append(
                Finding(
                    "agreement",
                    Effect.CONDITION,
                    a.reference,
                    f"{partner_name} withdraws on {day(a.withdrawn_on)}.",
                    a.id,
                )
            )
    if not agreements:
        findings.append(
            Finding(
                "agreement",
                Effect.MISSING,
                "No agreement",
                f"No agreement in force with {partner_name} on {day(starts_on)} covers "
                f"{activity_name.lower()}.",
            )
        )

    for m in mandates:
        findings.append(Finding("mandate", Effect.COVERS, m.title, m.citation, m.id))
        if m.status == LegalMandate.Status.APPROVED_WITH_CONDITIONS:
            findings.append(
                Finding(
                    "mandate",
                    Effect.CONDITION,
                    m.title,
                    "Approved with conditions: read the legal advisor's conditions.",
                    m.id,
                )
            )
        if m.valid_until and m.valid_until < ends_on:
            findings.append(
                Finding(
                    "mandate",
                    Effect.CONDITION,
                    m.title,
                    f"Valid only until {day(m.valid_until)}, before the activity ends.",
                    m.id,
                )
            )
    if not mandates:
        findings.append(
            Finding(
                "mandate",
                Effect.MISSING,
                "No mandate",
                f"No approved legal mandate covers {activity_name.lower()} with "
                f"{partner_name} from {day(starts_on)}.",
            )
        )

    for c in constraints:
        label = _CATEGORY_LABELS.get(c.category, c.category)
        if c.effect == SovereigntyConstraint.Effect.PROHIBITED:
            findings.append(Finding("constraint", Effect.BLOCKS, label, c.description, c.id))
        elif c.effect == SovereigntyConstraint.Effect.REQUIRES_CONSENT:
            request_by = minus_days(starts_on, c.consent_lead_days or 0)
            if request_by is None:
                # A stored lead time from before the bounds: say so instead of failing.
                findings.append(
                    Finding(
                        "constraint",
                        Effect.CONDITION,
                        label,
                        f"Consent needed, but the lead time of {c.consent_lead_days:,} days "
                        "cannot be right: correct the constraint. " + c.description,
                        c.id,
                    )
                )
                continue
            late = " — that date has passed" if request_by < today else ""
            findings.append(
                Finding(
                    "constraint",
                    Effect.CONDITION,
                    label,
                    f"Consent needed: request it by {day(request_by)} "
                    f"({c.consent_lead_days} days ahead){late}. {c.description}",
                    c.id,
                    due_on=request_by,
                )
            )
        elif c.effect == SovereigntyConstraint.Effect.RESTRICTED:
            findings.append(Finding("constraint", Effect.CONDITION, label, c.description, c.id))
        else:
            findings.append(Finding("constraint", Effect.NOTE, label, c.description, c.id))

    verdict = _verdict(
        ends_on=ends_on, agreements=agreements, mandates=mandates, constraints=constraints
    )
    return verdict, findings


def _verdict(
    *,
    ends_on: date,
    agreements: list[_AgreementFact],
    mandates: list[_MandateFact],
    constraints: list[_ConstraintFact],
) -> Verdict:
    """The verdict alone — the rules the findings above explain, without writing them out, so
    coverage can judge thousands of cells cheaply. One place decides; `_judge` calls it too."""
    effects = {c.effect for c in constraints}
    if SovereigntyConstraint.Effect.PROHIBITED in effects:
        return Verdict.BLOCKED
    if not agreements or not mandates:
        return Verdict.GAP
    if effects & {
        SovereigntyConstraint.Effect.REQUIRES_CONSENT,
        SovereigntyConstraint.Effect.RESTRICTED,
    }:
        return Verdict.CONDITIONAL
    for a in agreements:
        if (
            (a.expires_on and a.expires_on < ends_on)
            or (a.notice_deadline and a.notice_deadline <= ends_on)
            or (a.withdrawn_on and a.withdrawn_on <= ends_on)
        ):
            return Verdict.CONDITIONAL
    for m in mandates:
        if m.status == LegalMandate.Status.APPROVED_WITH_CONDITIONS or (
            m.valid_until and m.valid_until < ends_on
        ):
            return Verdict.CONDITIONAL
    return Verdict.CLEARED


def clearance_check(
    *,
    partner: Partner,
    activity_type: ActivityType,
    starts_on: date,
    ends_on: date,
    today: date,
) -> Clearance:
    facts = _gather(
        partner_ids=[partner.pk],
        activity_ids=[activity_type.pk],
        starts_on=starts_on,
        ends_on=ends_on,
    )
    verdict, findings = _judge(
        partner_name=partner.name,
        activity_name=activity_type.name,
        starts_on=starts_on,
        ends_on=ends_on,
        today=today,
        **facts.for_cell((partner.pk, activity_type.pk)),
    )
    return Clearance(partner, activity_type, starts_on, ends_on, verdict, findings)


@dataclass
class CoverageCell:
    partner_id: int
    activity_type_id: int
    verdict: Verdict
    agreements: int
    mandates: int
    _explain: Callable[[], list[Finding]]

    @cached_property
    def findings(self) -> list[Finding]:
        """Written out only when someone reads them (a tooltip, the API's reasons)."""
        return self._explain()


@dataclass
class Coverage:
    on: date
    partners: list[Partner]
    activity_types: list[ActivityType]
    cells: dict[tuple[int, int], CoverageCell]
    verdict: Verdict | None = None  # only cells with this verdict are listed

    def row(self, partner: Partner) -> list[CoverageCell]:
        return [self.cells[(partner.pk, a.pk)] for a in self.activity_types]

    def totals(self) -> dict[str, int]:
        counts = {v.value: 0 for v in Verdict}
        for cell in self.listed():
            counts[cell.verdict.value] += 1
        return counts

    def listed(self) -> Iterator[CoverageCell]:
        """The cells a filtered view lists (the API, the exports), partner by partner."""
        for partner in self.partners:
            for cell in self.row(partner):
                if self.verdict is None or cell.verdict == self.verdict:
                    yield cell


def _explain(
    *, partner_name: str, activity_name: str, on: date, today: date, **facts: Any
) -> list[Finding]:
    return _judge(
        partner_name=partner_name,
        activity_name=activity_name,
        starts_on=on,
        ends_on=on,
        today=today,
        **facts,
    )[1]


def activity_types_in_use() -> list[ActivityType]:
    """Activity types that any agreement, mandate, constraint or engagement refers to."""
    used = (
        set(Agreement.activity_types.through.objects.values_list("activitytype_id", flat=True))
        | set(LegalMandate.activity_types.through.objects.values_list("activitytype_id", flat=True))
        | set(
            SovereigntyConstraint.activity_types.through.objects.values_list(
                "activitytype_id", flat=True
            )
        )
        | set(Engagement.objects.values_list("activity_type_id", flat=True))
    )
    return list(ActivityType.objects.filter(pk__in=used).order_by("name"))


def coverage_matrix(
    *,
    user: AnyUser,
    on: date,
    today: date | None = None,
    partner: Partner | None = None,
    regions: Sequence[str] = (),
    activity_type: ActivityType | None = None,
    verdict: Verdict | None = None,
) -> Coverage:
    """Coverage of the partners the user may read, narrowed by the filters given: one
    partner, some regions, one activity type; with a verdict, only the partners with at least
    one such cell, and `Coverage.listed()` gives only those cells."""
    wanted = verdict  # the loop below judges each cell into `verdict`
    scope = partners_visible_to(user).exclude(status=Partner.Status.INACTIVE)
    narrowed = partner is not None or bool(regions)
    if partner is not None:
        scope = scope.filter(pk=partner.pk)
    if regions:
        scope = scope.filter(region__in=regions)
    partners = list(scope.order_by("name"))
    types = [activity_type] if activity_type is not None else activity_types_in_use()
    facts = _gather(
        partner_ids=[p.pk for p in partners],
        activity_ids=[a.pk for a in types],
        starts_on=on,
        ends_on=on,
        # A portfolio or a filter is applied in SQL; the whole register is read whole.
        partner_scope=None if reads_everything(user) and not narrowed else scope,
    )
    cells: dict[tuple[int, int], CoverageCell] = {}
    for partner in partners:
        for activity in types:
            key = (partner.pk, activity.pk)
            cell = facts.for_cell(key)
            agreements, mandates, constraints = (
                cell["agreements"],
                cell["mandates"],
                cell["constraints"],
            )
            verdict = _verdict(
                ends_on=on, agreements=agreements, mandates=mandates, constraints=constraints
            )
            explain = partial(
                _explain,
                partner_name=partner.name,
                activity_name=activity.name,
                on=on,
                today=today or on,
                agreements=agreements,
                mandates=mandates,
                constraints=constraints,
            )
            cells[key] = CoverageCell(
                partner.pk, activity.pk, verdict, len(agreements), len(mandates), explain
            )
    if wanted is not None:
        partners = [
            p for p in partners if any(cells[(p.pk, a.pk)].verdict == wanted for a in types)
        ]
    return Coverage(on, partners, types, cells, wanted)


def engagement_clearances(
    *,
    engagements: list[Engagement],
    today: date,
    partner_scope: QuerySet[Partner] | None = None,
    among: QuerySet[Engagement] | None = None,
) -> dict[int, Clearance]:
    """The clearance of many planned engagements at once (the gap report), with the facts
    gathered once: agreements and mandates as they stand `today`, constraints valid at any
    time up to the last engagement's end. Each engagement is judged on its own dates.
    `among`, the query `engagements` were read by, lets only their (partner, activity)
    pairs' agreements be read."""
    if not engagements:
        return {}
    facts = _gather(
        partner_ids={e.partner_id for e in engagements},
        activity_ids={e.activity_type_id for e in engagements},
        starts_on=today,
        ends_on=max(e.ends_on for e in engagements),
        partner_scope=partner_scope,
        pairs=among,
    )
    clearances = {}
    for engagement in engagements:
        verdict, findings = _judge(
            partner_name=engagement.partner.name,
            activity_name=engagement.activity_type.name,
            starts_on=engagement.starts_on,
            ends_on=engagement.ends_on,
            today=today,
            **facts.for_cell((engagement.partner_id, engagement.activity_type_id)),
        )
        clearances[engagement.pk] = Clearance(
            engagement.partner,
            engagement.activity_type,
            engagement.starts_on,
            engagement.ends_on,
            verdict,
            findings,
        )
    return clearances
