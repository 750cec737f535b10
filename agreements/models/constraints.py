"""Sovereignty constraints per partner, and planned engagements checked against them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from agreements.models.agreements import Agreement
from agreements.models.partners import ActivityType, Partner
from agreements.vocabulary import CONSTRAINT_CATEGORIES
from config.bounds import CONSENT_LEAD_DAYS_VALIDATORS, DATE_VALIDATORS
from config.versioning import VersionedModel


class SovereigntyConstraint(VersionedModel):
    class Effect(models.TextChoices):
        PROHIBITED = "prohibited", "Prohibited"
        REQUIRES_CONSENT = "requires_consent", "Requires consent"
        RESTRICTED = "restricted", "Restricted"
        ADVISORY = "advisory", "Advisory"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="constraints")
    category = models.CharField(max_length=60, choices=CONSTRAINT_CATEGORIES)
    effect = models.CharField(max_length=20, choices=Effect.choices)
    consent_lead_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=CONSENT_LEAD_DAYS_VALIDATORS,
        help_text="For consent: days needed between request and activity.",
    )
    activity_types = models.ManyToManyField(
        ActivityType,
        blank=True,
        related_name="constraints",
        help_text="Leave empty when the constraint applies to every activity.",
    )
    description = models.TextField(help_text="What the partner does not allow, or on which terms.")
    legal_basis = models.CharField(max_length=300, blank=True)
    agreement = models.ForeignKey(
        Agreement, on_delete=models.SET_NULL, null=True, blank=True, related_name="constraints"
    )
    clause = models.CharField(max_length=60, blank=True, help_text="e.g. art. 16(2)")
    valid_from = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    valid_until = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[activity_types])

    class Meta:
        ordering = ["partner__name", "category"]
        indexes = [models.Index(fields=["partner", "effect"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_category_display()} ({self.get_effect_display()})"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.effect == self.Effect.REQUIRES_CONSENT and self.consent_lead_days is None:
            errors["consent_lead_days"] = [
                "Say how many days before the activity consent must be requested."
            ]
        if self.effect != self.Effect.REQUIRES_CONSENT and self.consent_lead_days is not None:
            errors["consent_lead_days"] = ["A lead time only applies to consent."]
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = ["A constraint cannot end before it starts."]
        if errors:
            raise ValidationError(errors)


class Engagement(VersionedModel):
    """A planned activity with a partner; its clearance check says whether it may go ahead."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="engagements")
    activity_type = models.ForeignKey(
        ActivityType, on_delete=models.PROTECT, related_name="engagements"
    )
    title = models.CharField(max_length=200)
    starts_on = models.DateField(validators=DATE_VALIDATORS)
    ends_on = models.DateField(validators=DATE_VALIDATORS)
    location = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    # The last day to request the partner's consent: starts_on minus the longest consent lead
    # time of the constraints that require consent for it; empty when none does. Stored and
    # indexed for the reminder scan; kept current by the engagement and constraint services.
    consent_request_by = models.DateField(null=True, blank=True, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_on", "title"]
        indexes = [models.Index(fields=["partner", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_on} – {self.ends_on})"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": ["An engagement cannot end before it starts."]})
