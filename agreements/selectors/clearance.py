"""The clearance check — may we do this activity with this partner, and what must happen
first? — and coverage, the same check for every partner × activity type in use.

Both gather the same facts with a fixed number of queries (never one per cell) and judge them
with the same function, so the page, the API and the coverage matrix cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.db.models import Q, QuerySet

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
from config.roles import AnyUser


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


@dataclass(frozen=True)
class _AgreementFact:
    id: int
    reference: str
    title: str
    expires_on: date | None
    notice_deadline: date | None
    withdrawn_on: date | None


@dataclass(frozen=True)
class _MandateFact:
    id: int
    title: str
    citation: str
    status: str
    valid_until: date | None


@dataclass(frozen=True)
class _ConstraintFact:
    id: int
    category: str
    effect: str
    consent_lead_days: int | None
    description: str


@dataclass
class _Facts:
    agreements: dict[tuple[int, int], list[_AgreementFact]]
    mandates: dict[tuple[int, int], list[_MandateFact]]
    constraints: dict[tuple[int, int], list[_ConstraintFact]]


def _gather(
    *,
    partner_ids: Iterable[int],
    activity_ids: Iterable[int],
    starts_on: date,
    ends_on: date,
    partner_scope: QuerySet | None = None,
) -> _Facts:
    """`partner_scope`, when given, is the same partners as a subquery, so the SQL filters by a
    join rather than by a long list of ids."""
    partner_ids = list(partner_ids)
    activity_ids = list(activity_ids)
    in_scope = partner_scope.values("pk") if partner_scope is not None else partner_ids

    agreements: dict[tuple[int, int], list[_AgreementFact]] = defaultdict(list)
    rows = (
        parties_in_force(on=starts_on)
        .filter(partner_id__in=in_scope, agreement__activity_types__in=activity_ids)
        .values_list(
            "partner_id",
            "agreement__activity_types",
            "agreement_id",
            "agreement__reference",
            "agreement__title",
            "agreement__expires_on",
            "agreement__notice_deadline",
            "withdrawn_on",
        )
        .order_by("agreement__reference")
    )
    for partner_id, activity_id, *fact in rows:
        agreements[(partner_id, activity_id)].append(_AgreementFact(*fact))

    approved = LegalMandate.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=starts_on),
        status__in=LegalMandate.APPROVED_STATUSES,
        valid_from__lte=starts_on,
        activity_types__in=activity_ids,
    )
    mandate_rows = approved.values_list(
        "activity_types",
        "applies_to_all_partners",
        "id",
        "title",
        "citation",
        "status",
        "valid_until",
    ).order_by("title")
    named = defaultdict(set)
    for mandate_id, partner_id in LegalMandate.partners.through.objects.filter(
        legalmandate__in=approved.values("pk"), partner_id__in=in_scope
    ).values_list("legalmandate_id", "partner_id"):
        named[mandate_id].add(partner_id)
    mandates: dict[tuple[int, int], list[_MandateFact]] = defaultdict(list)
    for activity_id, for_all, *fact in mandate_rows:
        mandate = _MandateFact(*fact)
        targets = partner_ids if for_all else named.get(mandate.id, ())
        for partner_id in targets:
            mandates[(partner_id, activity_id)].append(mandate)

    constraints: dict[tuple[int, int], list[_ConstraintFact]] = defaultdict(list)
    constraint_rows = (
        SovereigntyConstraint.objects.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=ends_on),
            Q(valid_until__isnull=True) | Q(valid_until__gte=starts_on),
            partner_id__in=in_scope,
        )
        .filter(Q(activity_types__in=activity_ids) | Q(activity_types__isnull=True))
        .values_list(
            "partner_id",
            "activity_types",
            "id",
            "category",
            "effect",
            "consent_lead_days",
            "description",
        )
        .order_by("id")
    )
    for partner_id, activity_id, *fact in constraint_rows:
        constraint = _ConstraintFact(*fact)
        # No activity types: the constraint applies to every activity.
        targets = activity_ids if activity_id is None else [activity_id]
        for target in targets:
            constraints[(partner_id, target)].append(constraint)
    return _Facts(agreements, mandates, constraints)


# --- judgement -------------------------------------------------------------------------------


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
    category_labels = dict(SovereigntyConstraint._meta.get_field("category").flatchoices)

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
                    f"Expires on {a.expires_on:%d %b %Y}, before the activity ends.",
                    a.id,
                )
            )
        elif a.notice_deadline and a.notice_deadline <= ends_on:
            findings.append(
                Finding(
                    "agreement",
                    Effect.CONDITION,
                    a.reference,
                    f"Its notice deadline ({a.notice_deadline:%d %b %Y}) falls before the "
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
                    f"{partner_name} withdraws on {a.withdrawn_on:%d %b %Y}.",
                    a.id,
                )
            )
    if not agreements:
        findings.append(
            Finding(
                "agreement",
                Effect.MISSING,
                "No agreement",
                f"No agreement in force with {partner_name} on {starts_on:%d %b %Y} covers "
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
                    f"Valid only until {m.valid_until:%d %b %Y}, before the activity ends.",
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
                f"{partner_name} from {starts_on:%d %b %Y}.",
            )
        )

    for c in constraints:
        label = category_labels.get(c.category, c.category)
        if c.effect == SovereigntyConstraint.Effect.PROHIBITED:
            findings.append(Finding("constraint", Effect.BLOCKS, label, c.description, c.id))
        elif c.effect == SovereigntyConstraint.Effect.REQUIRES_CONSENT:
            request_by = starts_on - timedelta(days=c.consent_lead_days or 0)
            late = " — that date has passed" if request_by < today else ""
            findings.append(
                Finding(
                    "constraint",
                    Effect.CONDITION,
                    label,
                    f"Consent needed: request it by {request_by:%d %b %Y} "
                    f"({c.consent_lead_days} days ahead){late}. {c.description}",
                    c.id,
                    due_on=request_by,
                )
            )
        elif c.effect == SovereigntyConstraint.Effect.RESTRICTED:
            findings.append(Finding("constraint", Effect.CONDITION, label, c.description, c.id))
        else:
            findings.append(Finding("constraint", Effect.NOTE, label, c.description, c.id))

    effects = {f.effect for f in findings}
    if Effect.BLOCKS in effects:
        verdict = Verdict.BLOCKED
    elif Effect.MISSING in effects:
        verdict = Verdict.GAP
    elif Effect.CONDITION in effects:
        verdict = Verdict.CONDITIONAL
    else:
        verdict = Verdict.CLEARED
    return verdict, findings


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
    key = (partner.pk, activity_type.pk)
    verdict, findings = _judge(
        partner_name=partner.name,
        activity_name=activity_type.name,
        starts_on=starts_on,
        ends_on=ends_on,
        today=today,
        agreements=facts.agreements.get(key, []),
        mandates=facts.mandates.get(key, []),
        constraints=facts.constraints.get(key, []),
    )
    return Clearance(partner, activity_type, starts_on, ends_on, verdict, findings)


@dataclass
class CoverageCell:
    partner_id: int
    activity_type_id: int
    verdict: Verdict
    agreements: int
    mandates: int
    findings: list[Finding]


@dataclass
class Coverage:
    on: date
    partners: list[Partner]
    activity_types: list[ActivityType]
    cells: dict[tuple[int, int], CoverageCell]

    def row(self, partner: Partner) -> list[CoverageCell]:
        return [self.cells[(partner.pk, a.pk)] for a in self.activity_types]

    def totals(self) -> dict[str, int]:
        counts = {v.value: 0 for v in Verdict}
        for cell in self.cells.values():
            counts[cell.verdict.value] += 1
        return counts


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


def coverage_matrix(*, user: AnyUser, on: date, today: date | None = None) -> Coverage:
    scope = partners_visible_to(user).exclude(status=Partner.Status.INACTIVE)
    partners = list(scope.order_by("name"))
    types = activity_types_in_use()
    facts = _gather(
        partner_ids=[p.pk for p in partners],
        activity_ids=[a.pk for a in types],
        starts_on=on,
        ends_on=on,
        partner_scope=scope,
    )
    cells: dict[tuple[int, int], CoverageCell] = {}
    for partner in partners:
        for activity in types:
            key = (partner.pk, activity.pk)
            agreements = facts.agreements.get(key, [])
            mandates = facts.mandates.get(key, [])
            verdict, findings = _judge(
                partner_name=partner.name,
                activity_name=activity.name,
                starts_on=on,
                ends_on=on,
                today=today or on,
                agreements=agreements,
                mandates=mandates,
                constraints=facts.constraints.get(key, []),
            )
            cells[key] = CoverageCell(
                partner.pk, activity.pk, verdict, len(agreements), len(mandates), findings
            )
    return Coverage(on, partners, types, cells)
