"""Interoperability checklist templates: a versioned library; a published version never changes."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from checklists.exceptions import ChecklistsError


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
    published_on = models.DateField(null=True, blank=True)
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
