"""Writes for legal mandates and legal reviews, sovereignty constraints and engagements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agreements.exceptions import AgreementsError
from agreements.models import (
    ActivityType,
    Engagement,
    LegalMandate,
    LegalReview,
    Partner,
    SovereigntyConstraint,
)
from agreements.models.mandates import MATERIAL_FIELDS
from agreements.selectors.agreements import agreements_visible_to
from agreements.selectors.clearance import consent_constraint_rows, consent_request_by
from agreements.selectors.mandates import (
    can_decide_legal_review,
    can_edit_mandates,
    can_remove_partner_record,
)
from agreements.selectors.partners import can_edit_partner, partners_visible_to
from config.errors import StaleVersionError
from config.roles import Role, has_role
from config.versioning import versioned_update

MANDATE_FIELDS = frozenset({*MATERIAL_FIELDS, "title", "review_interval_months", "summary"})


def _ids(items: Iterable[Any]) -> set[int]:
    return {getattr(item, "pk", item) for item in items}


@transaction.atomic
def mandate_create(
    *,
    by: User,
    activity_types: Iterable[ActivityType],
    partners: Iterable[Partner] = (),
    **fields: Any,
) -> LegalMandate:
    if not can_edit_mandates(by):
        raise PermissionDenied("Only legal advisors and administrators record mandates.")
    activity_types, partners = list(activity_types), list(partners)
    _check_scope(fields, activity_types, partners)
    if (
        fields.get("agreement") is not None
        and not agreements_visible_to(by).filter(pk=fields["agreement"].pk).exists()
    ):
        raise ValidationError({"agreement": ["No such agreement."]})
    mandate = LegalMandate(
        status=LegalMandate.Status.PENDING_REVIEW, review_requested_at=timezone.now(), **fields
    )
    mandate.full_clean()
    mandate._history_user = by
    mandate.save()
    mandate.activity_types.set(activity_types)
    mandate.partners.set(partners)
    return mandate


def _check_scope(fields: dict[str, Any], activity_types: list[Any], partners: list[Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not activity_types:
        errors["activity_types"] = ["A mandate covers at least one activity type."]
    if fields.get("applies_to_all_partners") and partners:
        errors["partners"] = ["A mandate for all partners lists none; clear one or the other."]
    if not fields.get("applies_to_all_partners") and not partners:
        errors["partners"] = ["Name the partners it applies to, or make it apply to all."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mandate_update(
    *,
    mandate: LegalMandate,
    by: User,
    version: int,
    activity_types: Iterable[ActivityType] | None = None,
    partners: Iterable[Partner] | None = None,
    **changes: Any,
) -> LegalMandate:
    """Change a mandate. A material change to an approved mandate sends it back to pending
    review: an approval never silently covers text nobody approved."""
    if not can_edit_mandates(by):
        raise PermissionDenied("Only legal advisors and administrators change mandates.")
    unknown = set(changes) - MANDATE_FIELDS
    if unknown:
        raise TypeError(f"mandate_update() got unknown fields: {sorted(unknown)}")
    new_types = list(activity_types) if activity_types is not None else None
    new_partners = list(partners) if partners is not None else None
    scope = {
        "applies_to_all_partners": changes.get(
            "applies_to_all_partners", mandate.applies_to_all_partners
        )
    }
    _check_scope(
        scope,
        new_types if new_types is not None else list(mandate.activity_types.all()),
        new_partners if new_partners is not None else list(mandate.partners.all()),
    )
    # Compared with the row as stored, not with the object handed in: a door (the admin's form)
    # may already have written the new values onto it.
    stored = LegalMandate.objects.get(pk=mandate.pk)
    material = any(
        getattr(stored, name) != value for name, value in changes.items() if name in MATERIAL_FIELDS
    )
    if new_types is not None and _ids(new_types) != _ids(stored.activity_types.all()):
        material = True
    if new_partners is not None and _ids(new_partners) != _ids(stored.partners.all()):
        material = True
    if material and stored.status != LegalMandate.Status.PENDING_REVIEW:
        changes["status"] = LegalMandate.Status.PENDING_REVIEW
        changes["review_requested_at"] = timezone.now()
        mandate._change_reason = "Material change: back to pending legal review."
    versioned_update(mandate, by=by, version=version, changes=changes)
    mandate._history_user = by
    if new_types is not None:
        mandate.activity_types.set(new_types)
    if new_partners is not None:
        mandate.partners.set(new_partners)
    return mandate


@transaction.atomic
def legal_review_decide(
    *,
    mandate: LegalMandate,
    reviewer: User,
    decision: str,
    opinion: str,
    version: int,
    conditions: str = "",
) -> LegalReview:
    """Only a legal advisor decides, on the version of the mandate they read: a mandate
    changed since is refused (StaleVersionError). The decision records the mandate as it
    stood."""
    if not has_role(reviewer, Role.LEGAL_ADVISOR):
        raise PermissionDenied("Only a legal advisor can decide a legal review.")
    errors: dict[str, list[str]] = {}
    if decision not in LegalReview.Decision.values:
        errors["decision"] = [f"“{decision}” is not a decision."]
    if not (opinion or "").strip():
        errors["opinion"] = ["Give the opinion the decision rests on."]
    if decision == LegalReview.Decision.APPROVED_WITH_CONDITIONS and not conditions.strip():
        errors["conditions"] = ["Approval with conditions needs the conditions."]
    if errors:
        raise ValidationError(errors)
    locked = LegalMandate.objects.select_for_update().get(pk=mandate.pk)
    if locked.version != version:
        raise StaleVersionError(
            instance_label=f"Mandate “{locked}”", expected=version, current=locked.version
        )
    if not can_decide_legal_review(reviewer, locked):
        raise AgreementsError(
            f"This mandate is already decided ({locked.get_status_display().lower()}); "
            "a material change sends it back for a new decision.",
            field_errors={"decision": ["This mandate is already decided."]},
        )
    now = timezone.now()
    review = LegalReview.objects.create(
        mandate=locked,
        reviewer=reviewer,
        decision=decision,
        opinion=opinion.strip(),
        conditions=conditions.strip(),
        decided_at=now,
        mandate_version=locked.version,
        snapshot=locked.material_snapshot(),
    )
    locked.status = decision
    locked.last_decided_at = now
    locked._history_user = reviewer
    locked._change_reason = f"Legal review: {review.get_decision_display().lower()}."
    locked.save()
    mandate.refresh_from_db()
    return review


# --- constraints and engagements -------------------------------------------------------------


def _check_partner_writable(by: User, partner: Partner) -> None:
    if not partners_visible_to(by).filter(pk=partner.pk).exists():
        raise ValidationError({"partner": ["No such partner."]})
    if not can_edit_partner(by, partner):
        raise PermissionDenied("Only the partner's liaison officers and administrators do this.")


def engagements_refresh_consent_dates(*, partner_ids: Iterable[int]) -> int:
    """Recompute the stored consent request deadline of these partners' engagements (after an
    engagement or a constraint changed); returns how many changed. Two queries and one bulk
    update, whatever the number of engagements."""
    ids = {pk for pk in partner_ids if pk is not None}
    engagements = list(
        Engagement.objects.filter(partner_id__in=ids).only(
            "pk", "partner_id", "activity_type_id", "starts_on", "ends_on", "consent_request_by"
        )
    )
    rows = consent_constraint_rows(ids)
    changed = []
    for engagement in engagements:
        deadline = consent_request_by(engagement, rows)
        if deadline != engagement.consent_request_by:
            engagement.consent_request_by = deadline
            changed.append(engagement)
    Engagement.objects.bulk_update(changed, ["consent_request_by"], batch_size=500)
    return len(changed)


def _refresh_consent_dates(record: SovereigntyConstraint | Engagement, *partner_ids: int) -> None:
    engagements_refresh_consent_dates(partner_ids=partner_ids)
    if isinstance(record, Engagement) and record.pk is not None:
        record.refresh_from_db(fields=["consent_request_by"])


@transaction.atomic
def constraint_create(
    *, by: User, activity_types: Iterable[ActivityType] = (), **fields: Any
) -> SovereigntyConstraint:
    _check_partner_writable(by, fields["partner"])
    constraint = SovereigntyConstraint(**fields)
    constraint.full_clean()
    constraint._history_user = by
    constraint.save()
    constraint.activity_types.set(list(activity_types))
    _refresh_consent_dates(constraint, constraint.partner_id)
    return constraint


@transaction.atomic
def constraint_update(
    *,
    constraint: SovereigntyConstraint,
    by: User,
    version: int,
    activity_types: Iterable[ActivityType] | None = None,
    **changes: Any,
) -> SovereigntyConstraint:
    _check_partner_writable(by, constraint.partner)
    if "partner" in changes:
        _check_partner_writable(by, changes["partner"])
    partner_before = constraint.partner_id
    versioned_update(constraint, by=by, version=version, changes=changes)
    if activity_types is not None:
        constraint._history_user = by
        constraint.activity_types.set(list(activity_types))
    _refresh_consent_dates(constraint, partner_before, constraint.partner_id)
    return constraint


@transaction.atomic
def engagement_create(*, by: User, **fields: Any) -> Engagement:
    _check_partner_writable(by, fields["partner"])
    engagement = Engagement(created_by=by, **fields)
    engagement.full_clean()
    engagement._history_user = by
    engagement.save()
    _refresh_consent_dates(engagement, engagement.partner_id)
    return engagement


@transaction.atomic
def engagement_update(
    *, engagement: Engagement, by: User, version: int, **changes: Any
) -> Engagement:
    _check_partner_writable(by, engagement.partner)
    if "partner" in changes:
        _check_partner_writable(by, changes["partner"])
    versioned_update(engagement, by=by, version=version, changes=changes)
    _refresh_consent_dates(engagement, engagement.partner_id)
    return engagement


def _remove_partner_record(
    record: SovereigntyConstraint | Engagement, *, by: User, reason: str, noun: str
) -> None:
    if not can_remove_partner_record(by, record):
        raise PermissionDenied(
            f"Only the partner's liaison officers and administrators remove {noun}s."
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": [f"Say why the {noun} is removed; it is kept."]})
    record._history_user = by
    record._change_reason = reason.strip()
    record.delete()


@transaction.atomic
def constraint_remove(*, constraint: SovereigntyConstraint, by: User, reason: str) -> None:
    """Withdraw a constraint the partner no longer imposes (or recorded by mistake); the
    removal and its reason stay in the partner's history."""
    partner_id = constraint.partner_id
    _remove_partner_record(constraint, by=by, reason=reason, noun="constraint")
    engagements_refresh_consent_dates(partner_ids=[partner_id])


@transaction.atomic
def engagement_remove(*, engagement: Engagement, by: User, reason: str) -> None:
    """Cancel a planned engagement; the removal and its reason stay in the partner's history."""
    _remove_partner_record(engagement, by=by, reason=reason, noun="engagement")
