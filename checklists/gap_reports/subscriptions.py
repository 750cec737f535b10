"""Subscriptions to gap report editions, and the e-mail each new edition sends its
subscribers: armed in the reminders' ledger (one row per edition and subscriber, unique), so
it goes out once however often the hook runs, and the ledger's sweeper sends it if the queue
lost it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agreements.models import Partner
from checklists.gap_reports.models import GapReport, GapReportSubscription
from checklists.gap_reports.selectors import can_read_gap_reports, gap_reports_visible_to
from config.reminders.models import Reminder
from config.roles import AnyUser, is_administrator

NOTICE_KIND = "checklists.gap_report_ready"


def subscriptions_of(user: AnyUser) -> QuerySet[GapReportSubscription]:
    if not can_read_gap_reports(user) or user.pk is None:
        return GapReportSubscription.objects.none()
    return GapReportSubscription.objects.filter(user_id=user.pk).select_related("partner")


def gap_report_subscribe(
    *, by: User, scope: str, partner: Partner | int | str | None = None, region: str = ""
) -> GapReportSubscription:
    """Subscribe `by` to a scope they may generate (an LO: the portfolio — their partners'
    rows —, their partners, their regions). Subscribing twice changes nothing."""
    from checklists.services.gap_reports import clean_scope

    if not can_read_gap_reports(by):
        raise PermissionDenied("You may not read gap reports.")
    found, region = clean_scope(by=by, scope=scope, partner=partner, region=region)
    key = GapReport.key_for(scope, partner_id=found.pk if found else None, region=region)
    with transaction.atomic():
        existing = GapReportSubscription.objects.filter(user=by, scope_key=key).first()
        if existing is not None:
            return existing
        subscription = GapReportSubscription(user=by, scope=scope, partner=found, region=region)
        subscription._history_user = by  # type: ignore[attr-defined]
        subscription.save()
    return subscription


def gap_report_unsubscribe(*, by: User, subscription: GapReportSubscription) -> None:
    if subscription.user_id != by.pk and not is_administrator(by):
        raise PermissionDenied("This subscription is someone else's.")
    subscription._history_user = by  # type: ignore[attr-defined]
    subscription.delete()


def arm_edition_notices(report: GapReport) -> list[int]:
    """Ledger rows for the subscribers of this edition's scope who may read it; returns the
    pending rows' ids. Safe to call twice: the ledger's unique constraint keeps one row."""
    if report.status != GapReport.Status.DONE or report.as_of > timezone.localdate():
        # An edition as of a future day is a projection someone asked for, not news.
        return []
    subscribers = [
        subscription.user
        for subscription in GapReportSubscription.objects.filter(
            scope_key=report.scope_key, user__is_active=True
        ).select_related("user")
    ]
    readers = [user for user in subscribers if gap_reports_visible_to(user).filter(pk=report.pk)]
    today = timezone.localdate()
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=NOTICE_KIND,
                subject_id=report.pk,
                due_on=report.as_of,
                lead_days=0,
                recipient=user,
                armed_on=today,
            )
            for user in readers
        ],
        ignore_conflicts=True,
    )
    return list(
        Reminder.objects.filter(
            kind=NOTICE_KIND, subject_id=report.pk, status=Reminder.Status.PENDING
        ).values_list("pk", flat=True)
    )


def subscription_scope_choices(user: AnyUser) -> dict[str, Any]:
    """What the subscribe form offers this person."""
    from agreements.selectors.partners import partners_visible_to

    partners = partners_visible_to(user).order_by("name")
    regions = sorted(set(partners.values_list("region", flat=True)))
    return {
        "partners": list(partners.values_list("pk", "name")),
        "regions": [(code, Partner.Region(code).label) for code in regions if code],
    }
