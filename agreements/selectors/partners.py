"""Partners and activity types: who sees and changes which partner."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from agreements.models import ActivityType, Partner
from config.roles import (
    AnyUser,
    Role,
    has_any_role,
    has_role,
    is_administrator,
    reads_everything,
)


def in_portfolio_of(user: AnyUser) -> Exists:
    """True for partners whose liaison officers include `user`: an EXISTS, never a list of ids."""
    through = Partner.liaison_officers.through
    return Exists(through.objects.filter(partner_id=OuterRef("pk"), user_id=user.pk))


def partners_visible_to(user: AnyUser) -> QuerySet[Partner]:
    if not has_any_role(user):
        return Partner.objects.none()
    if reads_everything(user):
        return Partner.objects.all()
    return Partner.objects.filter(in_portfolio_of(user))


def partner_list(user: AnyUser) -> QuerySet[Partner]:
    """Visible partners with what a list shows, the user's own portfolio first."""
    return (
        partners_visible_to(user)
        .select_related("parent")
        .prefetch_related("liaison_officers")
        .annotate(in_my_portfolio=in_portfolio_of(user))
        .order_by("-in_my_portfolio", "name")
    )


def can_edit_partner(user: AnyUser, partner: Partner) -> bool:
    if is_administrator(user):
        return True
    if not has_role(user, Role.LIAISON_OFFICER):
        return False
    return partner.liaison_officers.filter(pk=user.pk).exists()


def partner_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Partner:
    """The one way every door fetches a partner: 404 if out of sight, 403 if read-only."""
    try:
        partner = partners_visible_to(user).select_related("parent").get(pk=pk)
    except (Partner.DoesNotExist, ValueError, TypeError):
        raise Http404("No such partner.") from None
    if write and not can_edit_partner(user, partner):
        raise PermissionDenied("You may read this partner but not change it.")
    return partner


def can_create_partner(user: AnyUser) -> bool:
    return is_administrator(user) or has_role(user, Role.LIAISON_OFFICER)


def activity_types(*, include_inactive: bool = False) -> QuerySet[ActivityType]:
    queryset = ActivityType.objects.all()
    return queryset if include_inactive else queryset.filter(is_active=True)


def liaison_officer_candidates() -> QuerySet[User]:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.LIAISON_OFFICER)
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def accord_people() -> QuerySet[User]:
    """Active users with an Accord role, and administrators: who can be given a task."""
    return (
        get_user_model()
        .objects.filter(Q(is_staff=True) | Q(groups__name__in=list(Role)), is_active=True)
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def users_with_role(role: Role) -> QuerySet[User]:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=role)
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def can_edit_activity_types(user: AnyUser) -> bool:
    """The activity vocabulary is reference data: administrators keep it."""
    return is_administrator(user)
