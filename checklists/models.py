"""Interoperability checklist templates: a versioned library; a published version never changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from checklists.exceptions import ChecklistsError
from config.bounds import DATE_VALIDATORS
from config.versioning import VersionedModel

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Area(models.TextChoices):
    COMMUNICATIONS = "communications", "Communications"
    INFORMATION_SHARING = "information_sharing", "Information sharing"
    COMMAND_CONTROL = "command_control", "Command and control"
    LEGAL_ROE = "legal_roe", "Legal and rules of engagement"
    LOGISTICS = "logistics", "Logistics"
    DOCTRINE = "doctrine", "Doctrine and standards"
    TRAINING = "training", "Training and exercises"
    LANGUAGE_LIAISON = "language_liaison", "Language and liaison"
    INTELLIGENCE = "intelligence", "Intelligence"
    MEDICAL = "medical", "Medical"
    CYBER = "cyber", "Cyber"


class Criticality(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class _Immutable(models.Model):
    """Rows written once, when a template version is published."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ChecklistsError(
                "A published checklist template never changes; publish a new version."
            )
        super().save(*args, **kwargs)


class ChecklistTemplate(_Immutable):
    urn = models.CharField(max_length=200, help_text="Stable identifier, e.g. urn:accord:…")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    provider = models.CharField(max_length=200)
    published_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS)
    description = models.TextField(blank=True)
    content_sha256 = models.CharField(
        max_length=64, help_text="Fingerprint of the template's content as loaded."
    )
    source_name = models.CharField(max_length=255, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["urn", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["urn", "version"], name="template_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class ChecklistItem(_Immutable):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    code = models.CharField(max_length=40)
    area = models.CharField(max_length=32, choices=Area.choices)
    requirement = models.TextField()
    guidance = models.TextField(blank=True)
    typical_evidence = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    criticality = models.CharField(max_length=8, choices=Criticality.choices)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="template_item_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.requirement[:60]}"


class Assessment(VersionedModel):
    """One partner against one exact template version."""

    class Kind(models.TextChoices):
        SELF_ASSESSMENT = "self_assessment", "Self-assessment"
        EXTERNAL_EVALUATION = "external_evaluation", "External evaluation"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"

    partner = models.ForeignKey(
        "agreements.Partner", on_delete=models.PROTECT, related_name="assessments"
    )
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.SELF_ASSESSMENT)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
    )
    due_on = models.DateField(null=True, blank=True, validators=DATE_VALIDATORS, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followers",
        help_text="The assessment this one was cloned or upgraded from.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_note = models.TextField(
        blank=True,
        help_text="Why a manager returned it to the assessor; kept until it is submitted again.",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "status"])]

    def __str__(self) -> str:
        return f"{self.partner} — {self.template} ({self.get_status_display().lower()})"


class ItemResponse(VersionedModel):
    class Result(models.TextChoices):
        NOT_ASSESSED = "not_assessed", "Not assessed"
        MET = "met", "Met"
        PARTIALLY_MET = "partially_met", "Partially met"
        NOT_MET = "not_met", "Not met"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="responses")
    result = models.CharField(max_length=16, choices=Result.choices, default=Result.NOT_ASSESSED)
    needs_reconfirmation = models.BooleanField(
        default=False, help_text="Carried over from an earlier assessment: confirm or change it."
    )
    evidence_text = models.TextField(blank=True)
    evidence_link = models.URLField(max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    remediation_plan = models.TextField(blank=True)
    remediation_due_on = models.DateField(
        null=True, blank=True, validators=DATE_VALIDATORS, db_index=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["item__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="one_response_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.item.code}: {self.get_result_display()}"


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    return f"evidence/{instance.response.assessment_id}/{instance.response.item.code}/{filename}"


class EvidenceFile(models.Model):
    """A file that shows an item is met: a test report, a signed procedure, a photo.

    A clone or upgrade gives the new round its own rows for the same stored file, so removing
    a file from a draft never takes it from an approved earlier round."""

    response = models.ForeignKey(
        ItemResponse, on_delete=models.CASCADE, related_name="evidence_files"
    )
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    name = models.CharField(max_length=200, help_text="The file's name as uploaded.")
    size_bytes = models.PositiveBigIntegerField(editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    # Who saved the change, for the history row; set by the service before save().
    _history_user: User | None

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


# Gap report editions live in their own module; imported here so Django finds the models.
from checklists.gap_reports.models import GapReport as GapReport  # noqa: E402
from checklists.gap_reports.models import GapReportRow as GapReportRow  # noqa: E402
from checklists.gap_reports.models import (  # noqa: E402
    GapReportSubscription as GapReportSubscription,
)
