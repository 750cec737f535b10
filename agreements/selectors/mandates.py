"""Legal mandates, sovereignty constraints and engagements: who sees and changes which."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from agreements.models import Agreement, Engagement, LegalMandate, Partner, SovereigntyConstraint
from agreements.selectors.agreements import agreements_visible_to
from agreements.selectors.partners import can_edit_partner, partners_visible_to
from config.roles import AnyUser, Role, has_any_role, has_role, is_administrator, reads_everything


def mandates_visible_to(user: AnyUser) -> QuerySet[LegalMandate]:
    """Everyone with a role reads mandates that apply to all partners; a liaison officer also
    those naming a partner in their portfolio, other roles all of them."""
    if not has_any_role(user):
        return LegalMandate.objects.none()
    if reads_everything(user):
        return LegalMandate.objects.all()
    through = LegalMandate.partners.through
    portfolio = Partner.liaison_officers.through.objects.filter(
        partner_id=OuterRef("partner_id"), user_id=user.pk
    )
    names_mine = Exists(
        through.objects.filter(legalmandate_id=OuterRef("pk")).filter(Exists(portfolio))
    )
    return LegalMandate.objects.filter(Q(applies_to_all_partners=True) | Q(names_mine))


def can_edit_mandates(user: AnyUser) -> bool:
    return is_administrator(user) or has_role(user, Role.LEGAL_ADVISOR)


def can_decide_legal_review(user: AnyUser, mandate: LegalMandate) -> bool:
    """A legal advisor decides a mandate pending review, once: a decided mandate comes back
    for a decision only when a material change sends it back to pending review."""
    return (
        has_role(user, Role.LEGAL_ADVISOR) and mandate.status == LegalMandate.Status.PENDING_REVIEW
    )


def mandate_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> LegalMandate:
    try:
        mandate = mandates_visible_to(user).select_related("agreement").get(pk=pk)
    except (LegalMandate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such mandate.") from None
    if write and not can_edit_mandates(user):
        raise PermissionDenied("Only legal advisors and administrators change mandates.")
    return mandate


def constraints_visible_to(user: AnyUser) -> QuerySet[SovereigntyConstraint]:
    return SovereigntyConstraint.objects.filter(partner__in=partners_visible_to(user))


def constraint_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> SovereigntyConstraint:
    try:
        constraint = constraints_visible_to(user).select_related("partner", "agreement").get(pk=pk)
    except (SovereigntyConstraint.DoesNotExist, ValueError, TypeError):
        raise Http404("No such constraint.") from None
    if write and not can_edit_partner(user, constraint.partner):
        raise PermissionDenied("You may read this constraint but not change it.")
    return constraint


def engagements_visible_to(user: AnyUser) -> QuerySet[Engagement]:
    return Engagement.objects.filter(partner__in=partners_visible_to(user))


def engagement_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Engagement:
    try:
        engagement = (
            engagements_visible_to(user).select_related("partner", "activity_type").get(pk=pk)
        )
    except (Engagement.DoesNotExist, ValueError, TypeError):
        raise Http404("No such engagement.") from None
    if write and not can_edit_partner(user, engagement.partner):
        raise PermissionDenied("You may read this engagement but not change it.")
    return engagement


def review_queue(user: AnyUser) -> dict[str, QuerySet[Any]]:
    """What awaits legal review, oldest first: mandates pending review and agreements in the
    legal-review stage."""
    return {
        "mandates": mandates_visible_to(user)
        .filter(status=LegalMandate.Status.PENDING_REVIEW)
        .order_by("review_requested_at", "pk"),
        "agreements": agreements_visible_to(user)
        .filter(status=Agreement.Status.LEGAL_REVIEW)
        .select_related("owner", "legal_reviewer")
        .order_by("status_changed_at", "pk"),
    }


def can_remove_partner_record(user: AnyUser, record: SovereigntyConstraint | Engagement) -> bool:
    """A constraint or an engagement is removed by those who edit its partner."""
    return can_edit_partner(user, record.partner)
