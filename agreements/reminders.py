"""The deadline kinds the agreements app owns, declared for the reminder engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from agreements.models import Agreement, Engagement, LegalMandate
from agreements.selectors.agreements import agreements_visible_to
from agreements.selectors.mandates import engagements_visible_to, mandates_visible_to
from config.display import long_day
from config.reminders.registry import (
    DeadlineKind,
    Recipient,
    Row,
    Wording,
    record_path,
    register,
)

# Agreements whose dates still bind someone: signed and not yet in force, in force, suspended.
_LIVE_AGREEMENT = (Agreement.Status.SIGNED, Agreement.Status.IN_FORCE, Agreement.Status.SUSPENDED)

_AGREEMENT_RECIPIENTS = {
    Recipient.OWNER: "owner",
    Recipient.LEGAL_REVIEWER: "legal_reviewer",
    Recipient.LIAISON_OFFICERS: "parties__partner__liaison_officers",
}
# `agreements_visible_to` admits the portfolio's agreements and those the user owns; a legal
# reviewer reads them only through their role, so that path is checked.
_AGREEMENT_READERS = (Recipient.OWNER, Recipient.LIAISON_OFFICERS)
# What the wording reads of an agreement (a feed words thousands of them from these values).
_AGREEMENT_COLUMNS = {"reference": "reference", "title": "title", "auto_renews": "auto_renews"}


def _agreement_subject(agreement: Row) -> str:
    return f"{agreement['reference']} — {agreement['title']}"


def _describe_expiry(agreement: Row, due_on: date) -> Wording:
    if agreement["auto_renews"]:
        why = "It renews automatically on that date unless notice was given."
    else:
        why = (
            "Cooperation that relies on it loses its legal basis on that date unless a "
            "successor or an extension is in force."
        )
    return Wording(
        subject=_agreement_subject(agreement),
        sentence=f"{agreement['reference']} expires on {long_day(due_on)}.",
        why=why,
        action="Record a review: renew, extend, replace or let it lapse",
        partners=agreement["partners"],
    )


def _describe_notice(agreement: Row, due_on: date) -> Wording:
    what = "non-renewal" if agreement["auto_renews"] else "termination"
    reference = agreement["reference"]
    return Wording(
        subject=_agreement_subject(agreement),
        sentence=f"Last day to give notice of {what} of {reference}: {long_day(due_on)}.",
        why=(
            "After this date the agreement binds the parties for another term."
            if agreement["auto_renews"]
            else "After this date notice can no longer take effect before the agreement expires."
        ),
        action="Give notice, or record the decision to continue",
        partners=agreement["partners"],
    )


def _describe_review(agreement: Row, due_on: date) -> Wording:
    return Wording(
        subject=_agreement_subject(agreement),
        sentence=f"{agreement['reference']} is due for its periodic review on {long_day(due_on)}.",
        why="Reviews keep the agreement's terms, parties and points of contact current.",
        action="Record a review",
        partners=agreement["partners"],
    )


def _live_agreements(date_field: str) -> Callable[[], QuerySet[Agreement]]:
    def subjects() -> QuerySet[Agreement]:
        return Agreement.objects.filter(
            status__in=_LIVE_AGREEMENT, **{f"{date_field}__isnull": False}
        )

    return subjects


def _agreement_kind(*, date_field: str, **declaration: Any) -> DeadlineKind:
    """What the three agreement kinds share: live agreements carrying the date, who reads
    them, whom they remind, their partners and the columns their wording reads."""
    return DeadlineKind(
        subjects=_live_agreements(date_field),
        date_field=date_field,
        visible_to=agreements_visible_to,
        url=record_path("agreement-detail"),
        recipient_paths=_AGREEMENT_RECIPIENTS,
        path_grants_access=_AGREEMENT_READERS,
        partner_path="parties__partner",
        partner_names_path="parties__partner__name",
        columns=_AGREEMENT_COLUMNS,
        **declaration,
    )


AGREEMENT_EXPIRY = _agreement_kind(
    code="agreements.expiry",
    label="Agreement expiry",
    date_field="expires_on",
    describe=_describe_expiry,
)

AGREEMENT_NOTICE = _agreement_kind(
    code="agreements.notice_deadline",
    label="Notice deadline",
    date_field="notice_deadline",
    describe=_describe_notice,
    default_recipients=(Recipient.OWNER, Recipient.LEGAL_REVIEWER, Recipient.LIAISON_OFFICERS),
)

AGREEMENT_REVIEW = _agreement_kind(
    code="agreements.review_due",
    label="Agreement review due",
    date_field="next_review_on",
    describe=_describe_review,
    default_leads=(30, 7, 0),
)


# --- legal mandates -------------------------------------------------------------------------

_MANDATE_RECIPIENTS = {Recipient.LIAISON_OFFICERS: "partners__liaison_officers"}


def _mandate_subject(mandate: Row) -> str:
    return f"Mandate “{mandate['title']}”"


def _describe_mandate_review(mandate: Row, due_on: date) -> Wording:
    return Wording(
        subject=_mandate_subject(mandate),
        sentence=f"Mandate “{mandate['title']}” is due for its periodic legal review on "
        f"{long_day(due_on)}.",
        why=(
            "Activities rely on its approval; the law or the facts it rests on may have "
            "changed since it was last decided."
        ),
        action="Review the mandate",
        partners=mandate["partners"],
    )


def _describe_mandate_expiry(mandate: Row, due_on: date) -> Wording:
    return Wording(
        subject=_mandate_subject(mandate),
        sentence=f"Mandate “{mandate['title']}” ends on {long_day(due_on)}.",
        why=(
            "Activities it covers have no legal authority from the next day unless another "
            "approved mandate covers them."
        ),
        action="Record a successor mandate or an extension",
        partners=mandate["partners"],
    )


def _describe_review_overdue(mandate: Row, due_on: date) -> Wording:
    requested = mandate["review_requested_at"]
    since = f" since {long_day(timezone.localdate(requested))}" if requested else ""
    return Wording(
        subject=_mandate_subject(mandate),
        sentence=f"Legal review of mandate “{mandate['title']}” has been pending{since}: "
        f"a decision is due by {long_day(due_on)}.",
        why=(
            "Until a legal advisor decides, the mandate covers no activity, and the "
            "clearance check reports a gap."
        ),
        action="Decide the legal review",
        partners=mandate["partners"],
    )


def _approved_mandates(date_field: str) -> Callable[[], QuerySet[LegalMandate]]:
    def subjects() -> QuerySet[LegalMandate]:
        return LegalMandate.objects.filter(
            status__in=LegalMandate.APPROVED_STATUSES, **{f"{date_field}__isnull": False}
        )

    return subjects


def _pending_mandates() -> QuerySet[LegalMandate]:
    return LegalMandate.objects.filter(
        status=LegalMandate.Status.PENDING_REVIEW, review_overdue_on__isnull=False
    )


# What the three mandate kinds share: who reads them, whom they remind, their partners.
_mandate_kind = partial(
    DeadlineKind,
    visible_to=mandates_visible_to,
    url=record_path("mandate-detail"),
    recipient_paths=_MANDATE_RECIPIENTS,
    path_grants_access=(Recipient.LIAISON_OFFICERS,),  # a mandate naming their partner
    role_recipients=(Recipient.LEGAL_ADVISORS,),
    partner_path="partners",
    partner_names_path="partners__name",
    columns={"title": "title", "review_requested_at": "review_requested_at"},
)

MANDATE_REVIEW = _mandate_kind(
    code="agreements.mandate_review_due",
    label="Mandate review due",
    subjects=_approved_mandates("next_review_on"),
    date_field="next_review_on",
    describe=_describe_mandate_review,
    default_leads=(30, 7, 0),
    default_recipients=(Recipient.LEGAL_ADVISORS,),
)

MANDATE_EXPIRY = _mandate_kind(
    code="agreements.mandate_expiry",
    label="Mandate expiry",
    subjects=_approved_mandates("valid_until"),
    date_field="valid_until",
    describe=_describe_mandate_expiry,
    default_recipients=(Recipient.LEGAL_ADVISORS, Recipient.LIAISON_OFFICERS),
)

LEGAL_REVIEW_OVERDUE = _mandate_kind(
    code="agreements.legal_review_overdue",
    label="Legal review pending too long",
    subjects=_pending_mandates,
    date_field="review_overdue_on",
    describe=_describe_review_overdue,
    default_leads=(3, 0),
    default_recipients=(Recipient.LEGAL_ADVISORS,),
)


# --- engagements ------------------------------------------------------------------------------


def _describe_consent(engagement: Row, due_on: date) -> Wording:
    partner, title, starts_on = engagement["partner"], engagement["title"], engagement["starts_on"]
    lead = (starts_on - due_on).days
    return Wording(
        subject=f"{title} — {partner}",
        sentence=f"Last day to request {partner}'s consent for “{title}” "
        f"({engagement['activity'].lower()} from {long_day(starts_on)}): "
        f"{long_day(due_on)}.",
        why=(
            f"{partner} needs {lead} day{'s' if lead != 1 else ''} to consider a request; "
            "asked later, the activity cannot start as planned."
        ),
        action="Request consent",
        partners=(partner,),
    )


def _engagements_needing_consent() -> QuerySet[Engagement]:
    """Engagements still to come: once one has started, asking consent for it is moot (and
    its clearance, not a reminder, tells whether it went ahead without)."""
    return Engagement.objects.filter(
        consent_request_by__isnull=False, starts_on__gte=timezone.localdate()
    )


CONSENT_REQUEST = DeadlineKind(
    code="agreements.consent_request",
    label="Consent request deadline",
    subjects=_engagements_needing_consent,
    date_field="consent_request_by",
    visible_to=engagements_visible_to,
    describe=_describe_consent,
    url=record_path("engagement-detail"),
    recipient_paths={
        Recipient.OWNER: "created_by",
        Recipient.LIAISON_OFFICERS: "partner__liaison_officers",
    },
    # The partner's LOs read its engagements; whoever created one may since have left it.
    path_grants_access=(Recipient.LIAISON_OFFICERS,),
    partner_path="partner",
    columns={
        "title": "title",
        "starts_on": "starts_on",
        "partner": "partner__name",
        "activity": "activity_type__name",
    },
    default_leads=(30, 7, 1, 0),
    default_recipients=(Recipient.LIAISON_OFFICERS,),
)


def register_kinds() -> None:
    register(
        AGREEMENT_EXPIRY,
        AGREEMENT_NOTICE,
        AGREEMENT_REVIEW,
        MANDATE_REVIEW,
        MANDATE_EXPIRY,
        LEGAL_REVIEW_OVERDUE,
        CONSENT_REQUEST,
    )
