"""Agreements: instruments, their parties, genealogy, lifecycle, dates, documents and reviews."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from agreements.models.partners import ActivityType, Partner
from config.bounds import (
    DATE_VALIDATORS,
    INTERVAL_MONTHS_VALIDATORS,
    NOTICE_DAYS_VALIDATORS,
    date_in_range,
    derived_date_problem,
    stored_value_problems,
)
from config.dates import add_months, minus_days
from config.db import FieldUniqueConstraint
from config.versioning import VersionedModel

if TYPE_CHECKING:
    from django.contrib.auth.models import User


#: "SR-JAM-2005-002 amends SR-JAM-1997-001": the relation as a verb before the parent.
RELATION_PHRASES = {
    "implementing_arrangement": "implements",
    "annex": "annex to",
    "amendment": "amends",
    "extension": "extends",
}


class Agreement(VersionedModel):
    class Kind(models.TextChoices):
        MOU = "mou", "Memorandum of understanding"
        TREATY = "treaty", "Treaty"
        SOFA = "sofa", "Status-of-forces agreement"
        TECHNICAL_ARRANGEMENT = "technical_arrangement", "Technical arrangement"
        IMPLEMENTING_ARRANGEMENT = "implementing_arrangement", "Implementing arrangement"
        LETTER_OF_INTENT = "letter_of_intent", "Letter of intent"
        EXCHANGE_OF_NOTES = "exchange_of_notes", "Exchange of notes"
        SHIP_RIDER = "ship_rider", "Ship-rider agreement"
        MLAT = "mlat", "Mutual legal assistance treaty"
        OTHER = "other", "Other instrument"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NEGOTIATION = "negotiation", "In negotiation"
        LEGAL_REVIEW = "legal_review", "In legal review"
        SIGNED = "signed", "Signed"
        IN_FORCE = "in_force", "In force"
        SUSPENDED = "suspended", "Suspended"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"
        SUPERSEDED = "superseded", "Superseded"

    class Relation(models.TextChoices):
        IMPLEMENTING_ARRANGEMENT = "implementing_arrangement", "Implementing arrangement under"
        ANNEX = "annex", "Annex to"
        AMENDMENT = "amendment", "Amendment of"
        EXTENSION = "extension", "Extension of"

    reference = models.CharField(
        max_length=60, help_text="Unique reference, e.g. MOU-COL-2024-003."
    )
    title = models.CharField(max_length=400)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    activity_types = models.ManyToManyField(ActivityType, blank=True, related_name="agreements")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_agreements",
        help_text="The liaison officer who keeps this record.",
    )
    legal_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_agreements",
        help_text="The legal advisor responsible for this agreement.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The umbrella instrument this one hangs under.",
    )
    relation_to_parent = models.CharField(max_length=32, choices=Relation.choices, blank=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The agreement this one replaces.",
    )
    signed_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    effective_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    expires_on = models.DateField(
        null=True, blank=True, validators=DATE_VALIDATORS, help_text="Empty: indefinite."
    )
    auto_renews = models.BooleanField(default=False)
    renewal_term_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=INTERVAL_MONTHS_VALIDATORS
    )
    notice_period_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=NOTICE_DAYS_VALIDATORS,
        help_text="Notice needed to terminate or not renew.",
    )
    review_interval_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=INTERVAL_MONTHS_VALIDATORS
    )
    last_reviewed_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    # Derived, stored and indexed because reminders and reports query them.
    notice_deadline = models.DateField(
        null=True, blank=True, editable=False, help_text="Last day to give notice."
    )
    next_review_on = models.DateField(null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[activity_types])

    class Meta:
        ordering = ["reference"]
        constraints = [
            FieldUniqueConstraint(
                Lower("reference"),
                error_field="reference",
                name="agreement_reference_unique_ignoring_case",
                violation_error_message="An agreement with this reference already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["reference"]),  # list order
            models.Index(fields=["status", "effective_on"]),
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["expires_on"]),
            models.Index(fields=["notice_deadline"]),
            models.Index(fields=["next_review_on"]),
            models.Index(fields=["kind", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    @property
    def relation_phrase(self) -> str:
        """How this agreement reads against its parent: "amends", "implements", …"""
        return RELATION_PHRASES.get(self.relation_to_parent, "")

    @property
    def term_days(self) -> int | None:
        if self.effective_on and self.expires_on:
            return (self.expires_on - self.effective_on).days
        return None

    def compute_derived_dates(self) -> None:
        self.notice_deadline = (
            minus_days(self.expires_on, self.notice_period_days)
            if self.expires_on and self.notice_period_days is not None
            else None
        )
        base = self.last_reviewed_on or self.effective_on or self.signed_on
        self.next_review_on = (
            add_months(base, self.review_interval_months)
            if base and self.review_interval_months
            else None
        )

    def date_problems(self) -> list[str]:
        """Stored values no derived date can come from (legacy data), for the page to flag."""
        problems = stored_value_problems(self)
        if self.expires_on and self.notice_period_days is not None and not self.notice_deadline:
            problems.append(
                "The last day to give notice cannot be worked out from the expiry date and the "
                "notice period: correct them."
            )
        base = self.last_reviewed_on or self.effective_on or self.signed_on
        if base and self.review_interval_months and not self.next_review_on:
            problems.append(
                "The next review cannot be worked out from these dates and the review "
                "interval: correct them."
            )
        return problems

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def fail(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        if self.reference:
            self.reference = self.reference.strip().upper()
        self._check_derived_dates(fail)
        if self.expires_on and self.effective_on and self.expires_on <= self.effective_on:
            fail("expires_on", "The expiry date must come after the effective date.")
        if self.effective_on and self.signed_on and self.effective_on < self.signed_on:
            fail("effective_on", "The effective date cannot come before the signature.")
        term = self.term_days
        notice = self.notice_period_days
        if term is not None and term > 0 and notice is not None and notice >= term:
            fail(
                "notice_period_days",
                f"A notice period of {notice} days is as long as or "
                f"longer than the agreement's whole term ({term} days).",
            )
        if self.auto_renews:
            if not self.renewal_term_months:
                fail("renewal_term_months", "An agreement that renews needs a renewal term.")
            if not self.expires_on:
                fail("expires_on", "An agreement that renews needs an expiry date to renew at.")
        if self.parent_id and not self.relation_to_parent:
            fail("relation_to_parent", "Say how this agreement relates to its parent.")
        if self.relation_to_parent and not self.parent_id:
            fail("parent", "A relation to a parent needs the parent agreement.")
        if self.pk and self.parent_id == self.pk:
            fail("parent", "An agreement cannot hang under itself.")
        if self.pk and self.supersedes_id == self.pk:
            fail("supersedes", "An agreement cannot supersede itself.")
        if self.pk and self.parent_id and self._parent_chain_contains_self():
            fail("parent", "This parent would make the genealogy a loop.")
        if errors:
            raise ValidationError(errors)

    def _check_derived_dates(self, fail: Callable[[str, str], None]) -> None:
        """The notice deadline and next review a save would store stay within the bounds."""
        if not (date_in_range(self.expires_on) and date_in_range(self.effective_on)):
            return  # the date itself is refused by its field
        if not (date_in_range(self.signed_on) and date_in_range(self.last_reviewed_on)):
            return
        saved = (self.notice_deadline, self.next_review_on)
        self.compute_derived_dates()
        for name, label, day in (
            ("notice_period_days", "last day to give notice", self.notice_deadline),
            ("review_interval_months", "next review", self.next_review_on),
        ):
            problem = derived_date_problem(label, day)
            if problem:
                fail(name, problem)
        self.notice_deadline, self.next_review_on = saved

    def _parent_chain_contains_self(self) -> bool:
        seen: set[int] = set()
        current = self.parent
        while current is not None and current.pk not in seen:
            if current.pk == self.pk:
                return True
            seen.add(current.pk)
            current = current.parent
        return False

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.compute_derived_dates()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "notice_deadline", "next_review_on"}
        super().save(*args, **kwargs)


class AgreementParty(VersionedModel):
    class Role(models.TextChoices):
        PARTY = "party", "Party"
        SIGNATORY = "signatory", "Signatory"
        OBSERVER = "observer", "Observer"
        DEPOSITARY = "depositary", "Depositary"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreement_parties")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PARTY)
    signed_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    in_force_on = models.DateField(
        null=True,
        blank=True,
        validators=DATE_VALIDATORS,
        help_text="When the agreement entered into force for this party.",
    )
    withdrawn_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    reservations = models.TextField(blank=True, help_text="Reservations and declarations.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["partner__name"]
        verbose_name_plural = "agreement parties"
        constraints = [
            FieldUniqueConstraint(
                "agreement",
                "partner",
                error_field="partner",
                name="agreement_party_once",
                violation_error_message="This partner is already a party to the agreement.",
            ),
        ]
        indexes = [models.Index(fields=["partner", "agreement"])]

    def __str__(self) -> str:
        return f"{self.partner} ({self.get_role_display().lower()})"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.in_force_on and self.signed_on and self.in_force_on < self.signed_on:
            errors["in_force_on"] = ["Entry into force cannot come before this party signed."]
        start = self.in_force_on or self.signed_on
        if self.withdrawn_on and start and self.withdrawn_on <= start:
            errors["withdrawn_on"] = ["Withdrawal must come after signature or entry into force."]
        if errors:
            raise ValidationError(errors)

    def in_force_for_party_on(self, day: date) -> bool:
        agreement = self.agreement
        start = self.in_force_on or agreement.effective_on
        if agreement.status != Agreement.Status.IN_FORCE or start is None or start > day:
            return False
        if self.withdrawn_on and self.withdrawn_on <= day:
            return False
        return not (agreement.expires_on and agreement.expires_on < day)


class AgreementTransition(models.Model):
    """The lifecycle log: one immutable row per status change."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=Agreement.Status.choices)
    to_status = models.CharField(max_length=16, choices=Agreement.Status.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.agreement.reference}: {self.from_status} → {self.to_status}"


def document_upload_to(instance: AgreementDocument, filename: str) -> str:
    return f"agreements/{instance.agreement_id}/{filename}"


class AgreementDocument(models.Model):
    class Kind(models.TextChoices):
        SIGNED_TEXT = "signed_text", "Signed text"
        TRANSLATION = "translation", "Translation"
        DRAFT = "draft", "Draft text"
        OTHER = "other", "Other"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(
        max_length=255, blank=True, editable=False, help_text="The file's name as uploaded."
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SIGNED_TEXT)
    language = models.CharField(max_length=3, help_text="ISO 639 code, e.g. en, es, fr.")
    equally_authentic = models.BooleanField(
        default=False, help_text="An equally authentic text of the agreement."
    )
    size_bytes = models.PositiveBigIntegerField(editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    # Who saved the change, for the history row; set by the service before save().
    _history_user: User | None
    _change_reason: str

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def download_name(self) -> str:
        """The name the file was uploaded with (storage may have renamed it on disk)."""
        return self.original_name or (self.file.name or "").rsplit("/", 1)[-1]


class AgreementReview(models.Model):
    """A periodic review of an agreement; it moves the next review date."""

    class Outcome(models.TextChoices):
        CONTINUE = "continue", "Continue as is"
        AMEND = "amend", "Amend"
        RENEW = "renew", "Renew"
        TERMINATE = "terminate", "Terminate"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(validators=DATE_VALIDATORS)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    # Who saved the change, for the history row; set by the service before save().
    _history_user: User | None

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.agreement.reference} reviewed {self.reviewed_on}: {self.outcome}"
