"""The agreements, mandates and sovereignty sections of a gap report (see sections.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from agreements.models import (
    ActivityType,
    Agreement,
    AgreementParty,
    Engagement,
    LegalMandate,
    Partner,
)
from agreements.selectors.clearance import Verdict, engagement_clearances
from checklists.gap_reports.sections import (
    PlannedWork,
    RowDraft,
    Scope,
    Section,
    Severity,
    _end_of,
    _iso,
)
from config.db import id_batches
from config.display import day, span_of_days

#: How far back a lapsed agreement with no successor still counts as a gap.
LAPSED_LOOKBACK_DAYS = 365
#: Days in legal review after which an agreement counts as stuck, and as badly stuck.
LEGAL_REVIEW_STUCK_DAYS = (30, 60)

_LIVE_AGREEMENT = [
    Agreement.Status.SIGNED,
    Agreement.Status.IN_FORCE,
    Agreement.Status.SUSPENDED,
]


# --- agreements ------------------------------------------------------------------------------


@dataclass
class _AgreementRow:
    partner_id: int
    partner_name: str
    id: int
    reference: str
    title: str
    status: str
    expires_on: date | None
    notice_deadline: date | None
    next_review_on: date | None
    # Read only for the gaps dated from them: lapsed, and in legal review.
    status_changed_at: datetime | None
    created_at: datetime | None


def agreement_rows(scope: Scope, planned: PlannedWork) -> list[RowDraft]:
    as_of, until = scope.as_of, scope.until
    lapsed_since = as_of - timedelta(days=LAPSED_LOOKBACK_DAYS)
    parties = scope.filter(
        AgreementParty.objects.filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=as_of))
    ).filter(
        Q(
            agreement__status__in=_LIVE_AGREEMENT,
            agreement__expires_on__range=(lapsed_since, until),
        )
        | Q(
            agreement__status__in=_LIVE_AGREEMENT,
            agreement__notice_deadline__range=(as_of, until),
        )
        | Q(agreement__status__in=_LIVE_AGREEMENT, agreement__next_review_on__lt=as_of)
        | Q(
            agreement__status__in=[Agreement.Status.EXPIRED, Agreement.Status.TERMINATED],
            agreement__status_changed_at__gte=_end_of(lapsed_since),
        )
        | Q(
            agreement__status__in=[Agreement.Status.EXPIRED, Agreement.Status.TERMINATED],
            agreement__expires_on__gte=lapsed_since,
        )
        | Q(agreement__status=Agreement.Status.LEGAL_REVIEW)
    )
    # The moments are read only where a gap dates from them (parsing ~40,000 of them was a
    # good part of the section's time): lapsed (expired, terminated) and in legal review.
    ended = [Agreement.Status.EXPIRED, Agreement.Status.TERMINATED]
    moment = DateTimeField()
    parties = parties.annotate(
        changed_at=Case(
            When(
                agreement__status__in=[*ended, Agreement.Status.LEGAL_REVIEW],
                then=F("agreement__status_changed_at"),
            ),
            default=Value(None, output_field=moment),
            output_field=moment,
        ),
        opened_at=Case(
            When(agreement__status=Agreement.Status.LEGAL_REVIEW, then=F("agreement__created_at")),
            default=Value(None, output_field=moment),
            output_field=moment,
        ),
    )
    found = [
        _AgreementRow(*values)
        for values in parties.values_list(
            "partner_id",
            "partner__name",
            "agreement_id",
            "agreement__reference",
            "agreement__title",
            "agreement__status",
            "agreement__expires_on",
            "agreement__notice_deadline",
            "agreement__next_review_on",
            "changed_at",
            "opened_at",
        )
    ]
    activities: dict[int, list[int]] = defaultdict(list)
    activity_names: dict[int, list[str]] = defaultdict(list)
    for ids in id_batches(a.id for a in found):
        for agreement_id, activity_id, name in Agreement.activity_types.through.objects.filter(
            agreement_id__in=ids
        ).values_list("agreement_id", "activitytype_id", "activitytype__name"):
            activities[agreement_id].append(activity_id)
            activity_names[agreement_id].append(name)
    # A successor: an agreement that supersedes or extends the lapsed one (every agreement
    # with one: a short list, read without naming the ~20,000 candidates).
    succeeded = set(
        Agreement.objects.filter(supersedes__isnull=False).values_list("supersedes_id", flat=True)
    ) | set(
        Agreement.objects.filter(
            parent__isnull=False, relation_to_parent=Agreement.Relation.EXTENSION
        ).values_list("parent_id", flat=True)
    )
    labels = dict(Agreement.Status.choices)
    drafts = []
    for a in found:
        engagements = planned.for_activities(a.partner_id, activities.get(a.id, []))
        common = {
            "partner_name": a.partner_name,
            "agreement_id": a.id,
            "reference": a.reference,
            "title": a.title,
            "status": a.status,
            "status_label": labels.get(a.status, a.status),
            "activity_types": sorted(activity_names.get(a.id, [])),
            "engagements": engagements,
        }
        for kind, when, days, detail in _agreement_gaps(a, scope, lapsed_since, succeeded):
            severity = _by_days(days, kind)
            if engagements:
                severity = Severity.HIGH
            drafts.append(
                RowDraft(
                    Section.AGREEMENTS,
                    kind,
                    f"agreement:{a.id}:{kind}:partner:{a.partner_id}",
                    a.partner_id,
                    {
                        **common,
                        "date": _iso(when),
                        "days": days,
                        "since": _iso(when) if kind == "legal_review" else None,
                        "detail": detail,
                    },
                    severity=severity,
                    blocks_planned_work=bool(engagements),
                    due_on=when,
                    sort_key=(when or date.max, a.reference, a.partner_name),
                )
            )
    return drafts


def _agreement_gaps(
    a: _AgreementRow, scope: Scope, lapsed_since: date, succeeded: set[int]
) -> list[tuple[str, date | None, int, str]]:
    as_of, until = scope.as_of, scope.until
    gaps: list[tuple[str, date | None, int, str]] = []
    live = a.status in _LIVE_AGREEMENT
    if live and a.expires_on and as_of <= a.expires_on <= until:
        days = (a.expires_on - as_of).days
        gaps.append(("expiring", a.expires_on, days, f"Expires in {span_of_days(days)}."))
    if live and a.notice_deadline and as_of <= a.notice_deadline <= until:
        days = (a.notice_deadline - as_of).days
        gaps.append(
            ("notice", a.notice_deadline, days, f"Last day to give notice in {span_of_days(days)}.")
        )
    if live and a.next_review_on and a.next_review_on < as_of:
        days = (as_of - a.next_review_on).days
        gaps.append(
            ("review_overdue", a.next_review_on, days, f"Review overdue by {span_of_days(days)}.")
        )
    lapsed_on = _lapsed_on(a, as_of)
    if lapsed_on and lapsed_on >= lapsed_since and a.id not in succeeded:
        days = (as_of - lapsed_on).days
        gaps.append(
            (
                "lapsed",
                lapsed_on,
                days,
                f"Lapsed {span_of_days(days)} ago with no successor agreement.",
            )
        )
    if a.status == Agreement.Status.LEGAL_REVIEW:
        opened = a.status_changed_at or a.created_at
        assert opened is not None  # read for every agreement in legal review
        since = timezone.localdate(opened)
        days = max((as_of - since).days, 0)
        gaps.append(("legal_review", since, days, f"In legal review for {span_of_days(days)}."))
    return gaps


def _lapsed_on(a: _AgreementRow, as_of: date) -> date | None:
    if a.status in (Agreement.Status.EXPIRED, Agreement.Status.TERMINATED):
        if a.expires_on and a.expires_on <= as_of:
            return a.expires_on
        return timezone.localdate(a.status_changed_at) if a.status_changed_at else None
    if a.status in _LIVE_AGREEMENT and a.expires_on and a.expires_on < as_of:
        return a.expires_on  # past expiry, not yet marked expired
    return None


def _by_days(days: int, kind: str) -> str:
    """Deadlines ahead: the nearer, the worse. Delays behind: the longer, the worse."""
    if kind in ("expiring", "notice"):
        return Severity.HIGH if days <= 30 else Severity.MEDIUM if days <= 60 else Severity.LOW
    if kind == "legal_review":
        short, long = LEGAL_REVIEW_STUCK_DAYS
        return Severity.HIGH if days > long else Severity.MEDIUM if days > short else Severity.LOW
    if kind == "lapsed":
        return Severity.HIGH
    return Severity.MEDIUM if days > 30 else Severity.LOW


# --- mandates --------------------------------------------------------------------------------


def mandate_rows(scope: Scope, planned: PlannedWork) -> list[RowDraft]:
    as_of, until = scope.as_of, scope.until
    approved_or_pending = LegalMandate.objects.filter(
        Q(status=LegalMandate.Status.PENDING_REVIEW)
        | Q(status__in=LegalMandate.APPROVED_STATUSES, valid_until__range=(as_of, until))
    )
    mandates = list(
        approved_or_pending.values_list(
            "pk",
            "title",
            "citation",
            "status",
            "valid_until",
            "applies_to_all_partners",
            "review_requested_at",
            "created_at",
        )
    )
    activities: dict[int, list[int]] = defaultdict(list)
    named: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ids in id_batches(m[0] for m in mandates):
        for mandate_id, activity_id in LegalMandate.activity_types.through.objects.filter(
            legalmandate_id__in=ids
        ).values_list("legalmandate_id", "activitytype_id"):
            activities[mandate_id].append(activity_id)
        through = LegalMandate.partners.through.objects.filter(legalmandate_id__in=ids)
        for mandate_id, partner_id, name in scope.filter(through).values_list(
            "legalmandate_id", "partner_id", "partner__name"
        ):
            named[mandate_id].append((partner_id, name))
    drafts = []
    for pk, title, citation, status, valid_until, for_all, requested_at, created_at in mandates:
        targets: list[tuple[int | None, str]] = [(None, "")] if for_all else list(named.get(pk, []))
        if status == LegalMandate.Status.PENDING_REVIEW:
            since = timezone.localdate(requested_at or created_at)
            days = max((as_of - since).days, 0)
            kind, when, detail = (
                "pending_review",
                since,
                f"Waiting on legal review for {span_of_days(days)}.",
            )
            severity = _by_days(days, "legal_review")
        else:
            assert valid_until is not None  # the query asks for expiring ones
            days = (valid_until - as_of).days
            kind, when, detail = "expiring", valid_until, f"Expires in {span_of_days(days)}."
            severity = _by_days(days, "expiring")
        for partner_id, partner_name in targets:
            engagements = planned.for_activities(partner_id, activities.get(pk, []))
            suffix = f":partner:{partner_id}" if partner_id else ""
            drafts.append(
                RowDraft(
                    Section.MANDATES,
                    kind,
                    f"mandate:{pk}:{kind}{suffix}",
                    partner_id,
                    {
                        "partner_name": partner_name,
                        "mandate_id": pk,
                        "title": title,
                        "citation": citation,
                        "since": _iso(when) if kind == "pending_review" else None,
                        "date": _iso(when),
                        "days": days,
                        "engagements": engagements,
                        "detail": detail,
                    },
                    severity=Severity.HIGH if engagements else severity,
                    blocks_planned_work=bool(engagements),
                    due_on=when,
                    sort_key=(1, when, title, partner_name),
                )
            )
    drafts += _unmandated_activities(scope, planned)
    return drafts


def _unmandated_activities(scope: Scope, planned: PlannedWork) -> list[RowDraft]:
    """Activity types with planned engagements and no approved mandate valid on the date."""
    as_of = scope.as_of
    valid = LegalMandate.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=as_of),
        status__in=LegalMandate.APPROVED_STATUSES,
        valid_from__lte=as_of,
    )
    for_all: set[int] = set()
    by_mandate: dict[int, set[int]] = defaultdict(set)
    for mandate_id, activity_id, applies_to_all in valid.values_list(
        "pk", "activity_types", "applies_to_all_partners"
    ):
        if activity_id is None:
            continue
        if applies_to_all:
            for_all.add(activity_id)
        else:
            by_mandate[mandate_id].add(activity_id)
    covered: set[tuple[int, int]] = set()
    through = LegalMandate.partners.through.objects.filter(legalmandate__in=valid.values("pk"))
    for mandate_id, partner_id in scope.filter(through).values_list(
        "legalmandate_id", "partner_id"
    ):
        covered |= {(partner_id, a) for a in by_mandate.get(mandate_id, ())}
    missing = [key for key in planned.counts if key[1] not in for_all and key not in covered]
    if not missing:
        return []
    partner_names = dict(
        Partner.objects.filter(pk__in={p for p, _ in missing}).values_list("pk", "name")
    )
    types = {
        pk: (code, name)
        for pk, code, name in ActivityType.objects.filter(
            pk__in={a for _, a in missing}
        ).values_list("pk", "code", "name")
    }
    drafts = []
    for partner_id, activity_id in missing:
        code, name = types[activity_id]
        count = planned.counts[(partner_id, activity_id)]
        first = planned.first_start[(partner_id, activity_id)]
        partner_name = partner_names.get(partner_id, "")
        drafts.append(
            RowDraft(
                Section.MANDATES,
                "unmandated_activity",
                f"mandate:none:partner:{partner_id}:activity:{code}",
                partner_id,
                {
                    "partner_name": partner_name,
                    "activity_type": code,
                    "activity_type_name": name,
                    "engagements": count,
                    "first_starts_on": _iso(first),
                    "detail": f"{count} planned engagement(s) of {name.lower()} with "
                    f"{partner_name} and no approved legal mandate.",
                },
                severity=Severity.HIGH,
                blocks_planned_work=True,
                due_on=first,
                sort_key=(0, first, partner_name, name),
            )
        )
    return drafts


# --- sovereignty -----------------------------------------------------------------------------


def sovereignty_rows(scope: Scope) -> list[RowDraft]:
    """Engagements within the horizon that are blocked or need consent, with request-by
    dates, as the clearance check judges them."""
    within = scope.filter(
        Engagement.objects.filter(ends_on__gte=scope.as_of, starts_on__lte=scope.until)
    )
    engagements = list(within.select_related("partner", "activity_type"))
    clearances = engagement_clearances(
        engagements=engagements,
        today=scope.as_of,
        partner_scope=None if scope.whole_register else scope.partners(),
        among=within,
    )
    drafts = []
    for engagement in engagements:
        clearance = clearances[engagement.pk]
        requests = clearance.consent_requests
        if clearance.verdict == Verdict.BLOCKED:
            kind = "blocked"
        elif requests:
            kind = "consent"
        else:
            continue
        request_by = min((f.due_on for f in requests if f.due_on), default=None)
        overdue = bool(request_by and request_by < scope.as_of)
        findings = [
            {"subject": f.subject, "detail": f.detail, "due_on": _iso(f.due_on)}
            for f in clearance.findings
            if f.effect in ("blocks", "condition", "missing")
        ]
        detail = (
            "Blocked: a sovereignty constraint prohibits it."
            if kind == "blocked"
            else f"Consent must be requested by {day(request_by)}"
            + (" — that date has passed." if overdue else ".")
        )
        drafts.append(
            RowDraft(
                Section.SOVEREIGNTY,
                kind,
                f"engagement:{engagement.pk}:{kind}",
                engagement.partner_id,
                {
                    "partner_name": engagement.partner.name,
                    "engagement_id": engagement.pk,
                    "title": engagement.title,
                    "activity_type_name": engagement.activity_type.name,
                    "starts_on": _iso(engagement.starts_on),
                    "ends_on": _iso(engagement.ends_on),
                    "verdict": str(clearance.verdict),
                    "request_by": _iso(request_by),
                    "overdue": overdue,
                    "findings": findings,
                    "detail": detail,
                },
                severity=Severity.HIGH if kind == "blocked" or overdue else Severity.MEDIUM,
                blocks_planned_work=True,
                due_on=request_by or engagement.starts_on,
                sort_key=(0 if kind == "blocked" else 1, request_by or engagement.starts_on),
            )
        )
    return drafts
