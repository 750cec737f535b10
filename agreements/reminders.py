"""The deadline kinds the agreements app owns, declared for the reminder engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db.models import QuerySet
from django.urls import reverse

from agreements.models import Agreement
from agreements.selectors.agreements import agreements_visible_to
from config.display import long_day
from config.reminders.registry import DeadlineKind, Recipient, Wording, register

# Agreements whose dates still bind someone: signed and not yet in force, in force, suspended.
_LIVE_AGREEMENT = (Agreement.Status.SIGNED, Agreement.Status.IN_FORCE, Agreement.Status.SUSPENDED)

_AGREEMENT_RECIPIENTS = {
    Recipient.OWNER: "owner",
    Recipient.LEGAL_REVIEWER: "legal_reviewer",
    Recipient.LIAISON_OFFICERS: "parties__partner__liaison_officers",
}


def _agreement_partners(agreement: Agreement) -> tuple[str, ...]:
    return tuple(party.partner.name for party in agreement.parties.all())


def _agreement_subject(agreement: Agreement) -> str:
    return f"{agreement.reference} — {agreement.title}"


def _agreement_url(agreement: Agreement) -> str:
    return reverse("agreement-detail", args=[agreement.pk])


def _describe_expiry(agreement: Agreement, due_on: date) -> Wording:
    if agreement.auto_renews:
        why = "It renews automatically on that date unless notice was given."
    else:
        why = (
            "Cooperation that relies on it loses its legal basis on that date unless a "
            "successor or an extension is in force."
        )
    return Wording(
        subject=_agreement_subject(agreement),
        sentence=f"{agreement.reference} expires on {long_day(due_on)}.",
        why=why,
        action="Record a review: renew, extend, replace or let it lapse",
        partners=_agreement_partners(agreement),
    )


def _describe_notice(agreement: Agreement, due_on: date) -> Wording:
    what = "non-renewal" if agreement.auto_renews else "termination"
    return Wording(
        subject=_agreement_subject(agreement),
        sentence=f"Last day to give notice of {what} of {agreement.reference}: {long_day(due_on)}.",
        why=(
            "After this date the agreement binds the parties for another term."
            if agreement.auto_renews
            else "After this date notice can no longer take effect before the agreement expires."
        ),
        action="Give notice, or record the decision to continue",
        partners=_agreement_partners(agreement),
    )


def _describe_review(agreement: Agreement, due_on: date) -> Wording:
    return Wording(
        subject=_agreement_subject(agreement),
        sentence=f"{agreement.reference} is due for its periodic review on {long_day(due_on)}.",
        why="Reviews keep the agreement's terms, parties and points of contact current.",
        action="Record a review",
        partners=_agreement_partners(agreement),
    )


def _live_agreements(date_field: str) -> Callable[[], QuerySet[Agreement]]:
    def subjects() -> QuerySet[Agreement]:
        return Agreement.objects.filter(
            status__in=_LIVE_AGREEMENT, **{f"{date_field}__isnull": False}
        )

    return subjects


AGREEMENT_EXPIRY = DeadlineKind(
    code="agreements.expiry",
    label="Agreement expiry",
    subjects=_live_agreements("expires_on"),
    date_field="expires_on",
    visible_to=agreements_visible_to,
    describe=_describe_expiry,
    url=_agreement_url,
    recipient_paths=_AGREEMENT_RECIPIENTS,
    partner_path="parties__partner",
    prefetch=("parties__partner",),
)

AGREEMENT_NOTICE = DeadlineKind(
    code="agreements.notice_deadline",
    label="Notice deadline",
    subjects=_live_agreements("notice_deadline"),
    date_field="notice_deadline",
    visible_to=agreements_visible_to,
    describe=_describe_notice,
    url=_agreement_url,
    recipient_paths=_AGREEMENT_RECIPIENTS,
    partner_path="parties__partner",
    prefetch=("parties__partner",),
    default_recipients=(Recipient.OWNER, Recipient.LEGAL_REVIEWER, Recipient.LIAISON_OFFICERS),
)

AGREEMENT_REVIEW = DeadlineKind(
    code="agreements.review_due",
    label="Agreement review due",
    subjects=_live_agreements("next_review_on"),
    date_field="next_review_on",
    visible_to=agreements_visible_to,
    describe=_describe_review,
    url=_agreement_url,
    recipient_paths=_AGREEMENT_RECIPIENTS,
    partner_path="parties__partner",
    prefetch=("parties__partner",),
    default_leads=(30, 7, 0),
)


def register_kinds() -> None:
    register(AGREEMENT_EXPIRY, AGREEMENT_NOTICE, AGREEMENT_REVIEW)
