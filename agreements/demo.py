"""Demo data for the embedded quickstart: real partners, invented portfolios."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from agreements import services
from agreements.models import (
    ActivityType,
    Agreement,
    Engagement,
    LegalMandate,
    LegalReview,
    Partner,
    SovereigntyConstraint,
)
from config.dates import add_months

DEMO_FILE = Path(__file__).resolve().parent / "demo_data" / "partners.yaml"
LEGAL_FILE = Path(__file__).resolve().parent / "demo_data" / "legal.yaml"
DEMO_PASSWORD = "accord-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    name: str


def _demo_definition() -> dict[str, Any]:
    with DEMO_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@transaction.atomic
def load_demo_users() -> list[DemoLogin]:
    """Create the demo users once; an existing user keeps the password it has now."""
    User = get_user_model()
    logins = []
    for entry in _demo_definition()["users"]:
        user, created = User.objects.get_or_create(
            username=entry["username"],
            defaults={
                "first_name": entry["first_name"],
                "last_name": entry["last_name"],
                "email": entry["email"],
                "is_staff": entry.get("staff", False),
                "is_superuser": entry.get("staff", False),
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        role = entry.get("role")
        if role:
            user.groups.add(Group.objects.get(name=role))
        logins.append(
            DemoLogin(
                username=user.username,
                password=DEMO_PASSWORD
                if created or user.check_password(DEMO_PASSWORD)
                else "(changed)",
                role=role.replace("_", " ") if role else "administrator",
                name=user.get_full_name(),
            )
        )
    return logins


@transaction.atomic
def load_demo_partners() -> int:
    """Create the demo partners that do not exist yet; returns how many were created."""
    User = get_user_model()
    admin = User.objects.get(username="admin")
    created = 0
    for entry in _demo_definition()["partners"]:
        if Partner.objects.filter(name__iexact=entry["name"]).exists():
            continue
        fields = {
            key: entry[key]
            for key in ("name", "short_name", "kind", "country_code", "region", "status", "notes")
            if key in entry
        }
        if "parent" in entry:
            fields["parent"] = Partner.objects.get(name=entry["parent"])
        officers = list(User.objects.filter(username__in=entry.get("portfolio", [])))
        services.partner_create(by=admin, liaison_officers=officers, **fields)
        created += 1
    return created


def _legal_definition() -> dict[str, Any]:
    with LEGAL_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _relative_agreement_dates(entry: dict[str, Any], today: date) -> dict[str, Any]:
    """Dates given relative to the day of loading, so that each demo desk has something due."""
    fields: dict[str, Any] = {}
    if "expires_in_days" in entry:
        fields["expires_on"] = today + timedelta(days=entry["expires_in_days"])
    if "review_due_in_days" in entry:
        due = today + timedelta(days=entry["review_due_in_days"])
        fields["last_reviewed_on"] = add_months(due, -entry["review_interval_months"])
    return fields


def _date_mandate_as_it_stands(
    mandate: LegalMandate, entry: dict[str, Any], *, today: date, by: Any
) -> None:
    """A decision taken, or a review requested, that long ago (recorded as it stands, like the
    agreements' statuses): the mandate's review and overdue dates follow from it."""
    now = timezone.now()
    if "review_due_in_days" in entry:
        due = today + timedelta(days=entry["review_due_in_days"])
        decided = add_months(due, -24) or due
        at = now - timedelta(days=(today - decided).days)
        LegalReview.objects.filter(mandate=mandate).update(decided_at=at)
        mandate.last_decided_at = at
    if "pending_for_days" in entry:
        mandate.review_requested_at = now - timedelta(days=entry["pending_for_days"])
    if {"review_due_in_days", "pending_for_days"} & set(entry):
        mandate.refresh_from_db(fields=["version", "status"])
        mandate._history_user = by
        mandate._change_reason = "Demo data: recorded as it stands."
        mandate.save()


@transaction.atomic
def load_demo_legal(*, today: date) -> dict[str, int]:
    """Agreements, mandates (with decisions), constraints and engagements that do not exist
    yet. Agreements are recorded through the services and then given the state they are in
    today, as an import of an existing register would."""
    User = get_user_model()
    admin = User.objects.get(username="admin")
    legal = User.objects.get(username="legal")
    definition = _legal_definition()
    created = {"agreements": 0, "mandates": 0, "constraints": 0, "engagements": 0}
    partners = {p.name: p for p in Partner.objects.all()}
    types = {t.code: t for t in ActivityType.objects.all()}

    for entry in definition["agreements"]:
        if Agreement.objects.filter(reference__iexact=entry["reference"]).exists():
            continue
        fields = {
            key: entry[key]
            for key in (
                "reference",
                "title",
                "kind",
                "signed_on",
                "effective_on",
                "expires_on",
                "notice_period_days",
                "review_interval_months",
                "last_reviewed_on",
            )
            if key in entry
        }
        fields.update(_relative_agreement_dates(entry, today))
        fields.update(_relative_agreement_dates(entry, today))
        if "parent" in entry:
            fields["parent"] = Agreement.objects.get(reference=entry["parent"])
            fields["relation_to_parent"] = entry["relation"]
        for role in ("owner", "legal_reviewer"):
            if role in entry:
                fields[role] = User.objects.get(username=entry[role])
        parties = [
            {
                **{k: v for k, v in party.items() if k != "partner"},
                "partner": partners[party["partner"]],
            }
            for party in entry["parties"]
        ]
        agreement = services.agreement_create(
            by=admin,
            activity_types=[types[code] for code in entry["activities"]],
            parties=parties,
            **fields,
        )
        # Recorded as it stands (not a lifecycle move), by a save so that the history's
        # snapshot carries the activity types too.
        agreement.status = entry["status"]
        agreement.status_changed_at = timezone.now() - timedelta(days=12)
        agreement._history_user = admin
        agreement._change_reason = "Demo data: recorded as it stands."
        agreement.save()
        created["agreements"] += 1

    for entry in definition["mandates"]:
        if LegalMandate.objects.filter(title=entry["title"]).exists():
            continue
        fields = {
            key: entry[key]
            for key in ("title", "kind", "citation", "article", "valid_from", "valid_until")
            if key in entry
        }
        if "valid_for_days" in entry:
            fields["valid_until"] = today + timedelta(days=entry["valid_for_days"])
        if "agreement" in entry:
            fields["agreement"] = Agreement.objects.get(reference=entry["agreement"])
        mandate = services.mandate_create(
            by=legal,
            activity_types=[types[code] for code in entry["activities"]],
            partners=[partners[name] for name in entry.get("partners", [])],
            applies_to_all_partners=entry.get("all_partners", False),
            review_interval_months=24,
            **fields,
        )
        if "decision" in entry:
            services.legal_review_decide(
                mandate=mandate,
                reviewer=legal,
                decision=entry["decision"],
                opinion=entry["opinion"],
                conditions=entry.get("conditions", ""),
                version=mandate.version,
            )
        _date_mandate_as_it_stands(mandate, entry, today=today, by=legal)
        created["mandates"] += 1

    for entry in definition["constraints"]:
        partner = partners[entry["partner"]]
        if SovereigntyConstraint.objects.filter(
            partner=partner, category=entry["category"]
        ).exists():
            continue
        fields = {
            key: entry[key]
            for key in (
                "category",
                "effect",
                "consent_lead_days",
                "description",
                "legal_basis",
                "clause",
            )
            if key in entry
        }
        if "agreement" in entry:
            fields["agreement"] = Agreement.objects.get(reference=entry["agreement"])
        services.constraint_create(
            by=admin,
            partner=partner,
            activity_types=[types[code] for code in entry.get("activities", [])],
            **fields,
        )
        created["constraints"] += 1

    for entry in definition["engagements"]:
        partner = partners[entry["partner"]]
        if Engagement.objects.filter(partner=partner, title=entry["title"]).exists():
            continue
        starts = today + timedelta(days=entry["starts_in_days"])
        services.engagement_create(
            by=admin,
            partner=partner,
            activity_type=types[entry["activity"]],
            title=entry["title"],
            starts_on=starts,
            ends_on=starts + timedelta(days=entry["days"]),
            location=entry.get("location", ""),
        )
        created["engagements"] += 1
    return created
