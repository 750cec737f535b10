"""Agreements: who sees which, and what is in force."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from agreements.models import Agreement, AgreementDocument, AgreementParty, Partner
from config.roles import AnyUser, Role, has_any_role, has_role, is_administrator, reads_everything


def _in_portfolio_or_owned(user: AnyUser) -> Q:
    """A semi-join from the portfolio's partners to their agreements, plus those the user
    owns: `id IN (SELECT … UNION SELECT …)`. The database starts from the portfolio's few
    rows instead of testing every agreement, so the cost follows the portfolio, not the size
    of the register."""
    through = Partner.liaison_officers.through
    portfolio = through.objects.filter(user_id=user.pk).values("partner_id")
    parties = AgreementParty.objects.filter(partner_id__in=portfolio).values("agreement_id")
    owned = Agreement.objects.filter(owner_id=user.pk).values("pk")
    return Q(pk__in=parties.union(owned))


def agreements_visible_to(user: AnyUser) -> QuerySet[Agreement]:
    """All for legal advisors, managers and administrators; for a liaison officer, those with a
    party in their portfolio or that they own. A join in EXISTS, never a list of ids."""
    if not has_any_role(user):
        return Agreement.objects.none()
    if reads_everything(user):
        return Agreement.objects.all()
    return Agreement.objects.filter(_in_portfolio_or_owned(user))


def agreement_list(user: AnyUser) -> QuerySet[Agreement]:
    return (
        agreements_visible_to(user)
        .select_related("owner", "legal_reviewer")  # the parent is shown by id: no self-join
        .prefetch_related(
            Prefetch("parties", queryset=AgreementParty.objects.select_related("partner")),
            "activity_types",
        )
        .order_by("reference")
    )


def can_edit_agreement(user: AnyUser, agreement: Agreement) -> bool:
    """Administrators, and liaison officers whose portfolio the agreement is part of."""
    if is_administrator(user):
        return True
    if not has_role(user, Role.LIAISON_OFFICER):
        return False
    if agreement.owner_id == user.pk:
        return True
    return AgreementParty.objects.filter(
        agreement=agreement, partner__liaison_officers=user
    ).exists()


def can_review_agreement(user: AnyUser, agreement: Agreement) -> bool:
    """Periodic reviews: the agreement's liaison officers and any legal advisor."""
    return has_role(user, Role.LEGAL_ADVISOR) or can_edit_agreement(user, agreement)


def can_remove_agreement_document(user: AnyUser, document: AgreementDocument) -> bool:
    """A document is withdrawn by those who edit its agreement."""
    return can_edit_agreement(user, document.agreement)


def agreement_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Agreement:
    try:
        agreement = (
            agreements_visible_to(user)
            .select_related("owner", "legal_reviewer", "parent", "supersedes")
            .get(pk=pk)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise Http404("No such agreement.") from None
    if write and not can_edit_agreement(user, agreement):
        raise PermissionDenied("You may read this agreement but not change it.")
    return agreement


def in_force_on(day: date) -> Q:
    """The condition "in force on this day", over the stored (indexed) status and dates."""
    return Q(status=Agreement.Status.IN_FORCE, effective_on__lte=day) & (
        Q(expires_on__isnull=True) | Q(expires_on__gte=day)
    )


def agreements_in_force(*, on: date) -> QuerySet[Agreement]:
    """In force on a day: one query."""
    return Agreement.objects.filter(in_force_on(on))


def parties_in_force(*, on: date) -> QuerySet[AgreementParty]:
    """Party rows of agreements in force for that party on the day (multilateral instruments
    count only where they are in force for the partner)."""
    bound = [AgreementParty.Role.PARTY, AgreementParty.Role.SIGNATORY]
    return AgreementParty.objects.filter(
        Q(agreement__expires_on__isnull=True) | Q(agreement__expires_on__gte=on),
        # Its own entry into force, or (for a plain party with no date of its own) the
        # agreement's: a signatory that has not ratified is not bound.
        Q(in_force_on__lte=on, role__in=bound)
        | Q(
            in_force_on__isnull=True,
            role=AgreementParty.Role.PARTY,
            agreement__effective_on__lte=on,
        ),
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on),
        agreement__status=Agreement.Status.IN_FORCE,
    )


def can_import_agreements(user: AnyUser) -> bool:
    """Importing a register writes across every portfolio: administrators only."""
    return is_administrator(user)
