"""Writes for partners and activity types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agreements.models import ActivityType, Partner
from agreements.selectors.partners import (
    can_create_partner,
    can_edit_activity_types,
    can_edit_partner,
    partners_visible_to,
)
from config.roles import is_administrator
from config.versioning import versioned_update

PARTNER_FIELDS = frozenset(
    {"name", "short_name", "kind", "country_code", "region", "parent", "status", "notes"}
)


def _check_parent_visible(*, by: User, parent: Partner | None) -> None:
    if parent is not None and not partners_visible_to(by).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": ["No such partner."]})


@transaction.atomic
def partner_create(
    *,
    by: User,
    liaison_officers: Iterable[Any] | None = None,
    **fields: Any,
) -> Partner:
    """Administrators create any partner; a liaison officer creates one in their portfolio."""
    if not can_create_partner(by):
        raise PermissionDenied("Only administrators and liaison officers create partners.")
    unknown = set(fields) - PARTNER_FIELDS
    if unknown:
        raise TypeError(f"partner_create() got unknown fields: {sorted(unknown)}")
    officers = list(liaison_officers) if liaison_officers is not None else None
    if not is_administrator(by):
        if officers and {getattr(u, "pk", u) for u in officers} != {by.pk}:
            raise PermissionDenied("Only administrators assign liaison officers.")
        officers = [by]  # a liaison officer's new partner joins their own portfolio
    partner = Partner(**fields)
    _check_parent_visible(by=by, parent=partner.parent)
    partner.full_clean()
    if officers:
        partner.validate_liaison_officers(officers)
    partner._history_user = by
    partner.save()
    if officers:
        partner.liaison_officers.set(officers)
    return partner


@transaction.atomic
def partner_update(
    *,
    partner: Partner,
    by: User,
    version: int,
    liaison_officers: Iterable[Any] | None = None,
    **changes: Any,
) -> Partner:
    """Apply `changes` made on top of `version`; a stale version raises StaleVersionError."""
    unknown = set(changes) - PARTNER_FIELDS
    if unknown:
        raise TypeError(f"partner_update() got unknown fields: {sorted(unknown)}")
    if not can_edit_partner(by, partner):
        raise PermissionDenied("Only the partner's liaison officers and administrators change it.")
    if liaison_officers is not None and not is_administrator(by):
        current = set(partner.liaison_officers.values_list("pk", flat=True))
        if {getattr(u, "pk", u) for u in liaison_officers} != current:
            raise PermissionDenied("Only administrators assign liaison officers.")
        liaison_officers = None
    if "parent" in changes:
        _check_parent_visible(by=by, parent=changes["parent"])
    officers = list(liaison_officers) if liaison_officers is not None else None
    if officers is not None:
        partner.validate_liaison_officers(officers)
    versioned_update(partner, by=by, version=version, changes=changes)
    if officers is not None:
        partner.liaison_officers.set(officers)
    return partner


@transaction.atomic
def activity_type_create(*, by: User, **fields: Any) -> ActivityType:
    if not can_edit_activity_types(by):
        raise PermissionDenied("Only administrators change the activity vocabulary.")
    activity_type = ActivityType(**fields)
    activity_type.full_clean()
    activity_type._history_user = by
    activity_type.save()
    return activity_type


@transaction.atomic
def activity_type_update(
    *, activity_type: ActivityType, by: User, version: int, **changes: Any
) -> ActivityType:
    if not can_edit_activity_types(by):
        raise PermissionDenied("Only administrators change the activity vocabulary.")
    return versioned_update(activity_type, by=by, version=version, changes=changes)
