from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from agreements.validators import country_name, validate_country_code
from config.db import FieldUniqueConstraint
from config.roles import Role
from config.versioning import VersionedModel

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ActivityType(VersionedModel):
    """What partners do together; agreements, mandates, constraints and engagements cite it."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive types stay on old records but are not offered."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partner(VersionedModel):
    class Kind(models.TextChoices):
        NATION = "nation", "Nation"
        INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
        AGENCY = "agency", "Agency"
        COALITION = "coalition", "Coalition"

    class Region(models.TextChoices):
        CARIBBEAN = "caribbean", "Caribbean"
        CENTRAL_AMERICA = "central_america", "Central America"
        SOUTH_AMERICA = "south_america", "South America"
        NORTH_AMERICA = "north_america", "North America"
        EUROPE = "europe", "Europe"
        AFRICA = "africa", "Africa"
        MIDDLE_EAST = "middle_east", "Middle East"
        ASIA = "asia", "Asia"
        PACIFIC = "pacific", "Pacific"
        GLOBAL = "global", "Global"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        INACTIVE = "inactive", "Inactive"

    name = models.CharField(max_length=200)
    short_name = models.CharField(
        max_length=40, blank=True, help_text="Abbreviation used in references, e.g. COL, NATO."
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    country_code = models.CharField(
        "country code",
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text="ISO 3166-1 alpha-2; required for nations and agencies.",
    )
    region = models.CharField(max_length=32, choices=Region.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        help_text="For an agency: the nation it belongs to.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    liaison_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="portfolio",
        help_text="The liaison officers whose portfolio includes this partner.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[liaison_officers])

    class Meta:
        ordering = ["name"]
        constraints = [
            FieldUniqueConstraint(
                Lower("name"),
                error_field="name",
                name="partner_name_unique_ignoring_case",
                violation_error_message=(
                    "A partner with this name already exists (names are compared ignoring case)."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | models.Q(kind="agency"),
                name="partner_only_agencies_have_a_parent",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["region"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def country_name(self) -> str | None:
        return country_name(self.country_code) if self.country_code else None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.name:
            self.name = " ".join(self.name.split())
        if self.country_code:
            self.country_code = self.country_code.strip()
        needs_country = self.kind in {self.Kind.NATION, self.Kind.AGENCY}
        if needs_country and not self.country_code and not (self.parent and self.parent_id):
            errors.setdefault("country_code", []).append(
                f"A {self.get_kind_display().lower()} needs its ISO 3166-1 country code."
            )
        if self.kind == self.Kind.AGENCY:
            if self.parent_id is None:
                errors.setdefault("parent", []).append(
                    "An agency needs a parent partner: the nation it belongs to."
                )
            else:
                parent = self.parent
                assert parent is not None  # parent_id is set: the row loads or DoesNotExist
                if parent.kind != self.Kind.NATION:
                    errors.setdefault("parent", []).append(
                        f"An agency's parent must be a nation; “{parent}” is "
                        f"{parent.get_kind_display().lower()}."
                    )
                elif not self.country_code:
                    self.country_code = parent.country_code
                elif self.country_code != parent.country_code:
                    errors.setdefault("country_code", []).append(
                        f"An agency has its parent nation's country code "
                        f"({parent.country_code}), not {self.country_code}."
                    )
        elif self.parent_id is not None:
            errors.setdefault("parent", []).append("Only an agency has a parent partner.")
        if self.pk and self.parent_id == self.pk:
            errors.setdefault("parent", []).append("A partner cannot be its own parent.")
        if errors:
            raise ValidationError(errors)

    def validate_liaison_officers(self, users: list[User]) -> None:
        """Only members of the liaison_officer group can hold a portfolio."""
        outsiders = [u for u in users if not u.groups.filter(name=Role.LIAISON_OFFICER).exists()]
        if outsiders:
            names = ", ".join(sorted(u.get_username() for u in outsiders))
            raise ValidationError(
                {
                    "liaison_officers": [
                        f"Not in the liaison_officer group, so cannot hold a portfolio: {names}."
                    ]
                }
            )
