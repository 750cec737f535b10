"""Legal mandates and the legal advisor's decisions on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from agreements.models.agreements import Agreement
from agreements.models.partners import ActivityType, Partner
from config.bounds import (
    DATE_VALIDATORS,
    INTERVAL_MONTHS_VALIDATORS,
    date_in_range,
    derived_date_problem,
    stored_value_problems,
)
from config.dates import add_months, plus_days
from config.errors import DomainError
from config.versioning import VersionedModel


def review_overdue_on(requested_at: datetime) -> date | None:
    """The day a legal review requested at `requested_at` becomes overdue."""
    return plus_days(timezone.localdate(requested_at), settings.ACCORD_LEGAL_REVIEW_DAYS)


# A change to any of these sends an approved mandate back to review.
MATERIAL_FIELDS = (
    "kind",
    "citation",
    "agreement",
    "article",
    "geographic_scope",
    "valid_from",
    "valid_until",
    "applies_to_all_partners",
)
MATERIAL_M2M_FIELDS = ("activity_types", "partners")


class LegalMandate(VersionedModel):
    class Kind(models.TextChoices):
        DOMESTIC_STATUTE = "domestic_statute", "Domestic statute"
        TREATY_PROVISION = "treaty_provision", "Treaty provision"
        UNSC_RESOLUTION = "unsc_resolution", "UN Security Council resolution"
        EXECUTIVE_ORDER = "executive_order", "Executive order"
        HOST_NATION_CONSENT = "host_nation_consent", "Host-nation consent"
        MINISTERIAL_DIRECTIVE = "ministerial_directive", "Ministerial directive"

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", "Pending legal review"
        APPROVED = "approved", "Approved"
        APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REJECTED = "rejected", "Rejected"

    APPROVED_STATUSES = (Status.APPROVED, Status.APPROVED_WITH_CONDITIONS)

    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    citation = models.CharField(
        max_length=300, help_text="Where the authority is written, e.g. 1988 Convention, art. 17."
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mandates",
        help_text="For a treaty provision: the agreement that contains it.",
    )
    article = models.CharField(max_length=60, blank=True)
    activity_types = models.ManyToManyField(ActivityType, related_name="mandates")
    applies_to_all_partners = models.BooleanField(default=False)
    partners = models.ManyToManyField(Partner, blank=True, related_name="mandates")
    geographic_scope = models.TextField(blank=True)
    valid_from = models.DateField(validators=DATE_VALIDATORS)
    valid_until = models.DateField(
        null=True, blank=True, validators=DATE_VALIDATORS, help_text="Empty: no end date."
    )
    review_interval_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=INTERVAL_MONTHS_VALIDATORS
    )
    next_review_on = models.DateField(null=True, blank=True, editable=False, db_index=True)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PENDING_REVIEW, editable=False
    )
    review_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The day a pending review becomes overdue (requested + ACCORD_LEGAL_REVIEW_DAYS); empty
    # once decided. Stored and indexed because the reminder scan and the desk query it.
    review_overdue_on = models.DateField(null=True, blank=True, editable=False, db_index=True)
    last_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[activity_types, partners])

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "valid_from"]),
            models.Index(fields=["valid_until"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_approved(self) -> bool:
        return self.status in self.APPROVED_STATUSES

    def date_problems(self) -> list[str]:
        """Stored values no derived date can come from (legacy data), for the page to flag."""
        problems = stored_value_problems(self)
        if self.review_interval_months and not self.next_review_on:
            problems.append(
                "The next review cannot be worked out from these dates and the review "
                "interval: correct them."
            )
        return problems

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if date_in_range(self.valid_from) and self.review_interval_months:
            saved = self.next_review_on
            self.compute_next_review()
            problem = derived_date_problem("next review", self.next_review_on)
            self.next_review_on = saved
            if problem:
                errors["review_interval_months"] = [problem]
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = ["A mandate cannot end before it starts."]
        if errors:
            raise ValidationError(errors)

    def compute_next_review(self) -> None:
        base = self.last_decided_at.date() if self.last_decided_at else self.valid_from
        self.next_review_on = (
            add_months(base, self.review_interval_months)
            if base and self.review_interval_months
            else None
        )

    def compute_review_overdue(self) -> None:
        requested = self.review_requested_at
        pending = self.status == self.Status.PENDING_REVIEW
        self.review_overdue_on = review_overdue_on(requested) if pending and requested else None

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.compute_next_review()
        self.compute_review_overdue()
        super().save(*args, **kwargs)

    def material_snapshot(self) -> dict[str, Any]:
        """What a legal decision covers: the mandate's material text, as plain JSON."""
        snapshot: dict[str, Any] = {"title": self.title}
        for name in MATERIAL_FIELDS:
            value = getattr(self, f"{name}_id" if name == "agreement" else name)
            snapshot[name] = value.isoformat() if hasattr(value, "isoformat") else value
        snapshot["activity_types"] = sorted(self.activity_types.values_list("code", flat=True))
        snapshot["partners"] = sorted(self.partners.values_list("name", flat=True))
        return snapshot


class LegalReview(models.Model):
    """A legal advisor's decision on a mandate. Immutable once made."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REJECTED = "rejected", "Rejected"

    mandate = models.ForeignKey(LegalMandate, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_reviews"
    )
    decision = models.CharField(max_length=32, choices=Decision.choices)
    opinion = models.TextField()
    conditions = models.TextField(blank=True)
    decided_at = models.DateTimeField()
    mandate_version = models.PositiveIntegerField()
    snapshot = models.JSONField(help_text="The mandate as it stood when decided.")

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer} on {self.decided_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DomainError("A legal decision cannot be changed once made.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("A legal decision cannot be deleted.")


#: The fields a person edits on a mandate, in the order forms and the API show them.
MANDATE_EDIT_FIELDS = [
    "title",
    "kind",
    "citation",
    "agreement",
    "article",
    "activity_types",
    "applies_to_all_partners",
    "partners",
    "geographic_scope",
    "valid_from",
    "valid_until",
    "review_interval_months",
    "summary",
]
