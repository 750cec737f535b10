"""Demo data for the embedded quickstart: real partners, invented portfolios."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from agreements import services
from agreements.models import Partner

DEMO_FILE = Path(__file__).resolve().parent / "demo_data" / "partners.yaml"
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
