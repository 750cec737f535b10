from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from agreements.models import ActivityType

URL = "/api/v1/activity-types/"


@pytest.mark.django_db
def test_the_vocabulary_is_seeded_with_the_twelve_activity_types() -> None:
    # Run the data migration's seed again (a transactional test may have flushed its rows):
    # it is idempotent, and it leaves the twelve types.
    seed_migration = importlib.import_module("agreements.migrations.0002_seed_activity_types")
    seed_migration.seed(django_apps, None)
    seed_migration.seed(django_apps, None)
    codes = set(ActivityType.objects.values_list("code", flat=True))
    assert {"maritime-interdiction", "ship-rider-embarkation", "detention-and-transfer"} <= codes
    assert len(codes) == 12


@pytest.mark.parametrize("who", ["lo", "legal_advisor", "manager"])
def test_every_role_reads_but_only_administrators_edit_activity_types(
    personas, api, who: str
) -> None:
    client = api(getattr(personas, who))
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"code": "port-security", "name": "Port security"})
    assert response.status_code == 403
    assert not ActivityType.objects.filter(code="port-security").exists()


def test_an_administrator_adds_renames_and_retires_an_activity_type(personas, api) -> None:
    client = api(personas.admin)
    created = client.post(URL, {"code": "port-security", "name": "Port security"})
    assert created.status_code == 201, created.json()
    url = f"{URL}{created.json()['id']}/"
    renamed = client.patch(url, {"name": "Port and harbour security", "version": 1})
    assert renamed.status_code == 200
    retired = client.patch(url, {"is_active": False, "version": 2})
    assert retired.json()["is_active"] is False
    assert client.patch(url, {"name": "x", "version": 1}).status_code == 409
    assert "port-security" not in {
        row["code"]
        for row in client.get(URL, {"is_active": "true", "page_size": 100}).json()["results"]
    }


def test_a_duplicate_activity_type_names_the_field(personas, api) -> None:
    client = api(personas.admin)
    client.post(URL, {"code": "port-security", "name": "Port security"})
    response = client.post(URL, {"code": "port-security", "name": "Another"})
    assert response.status_code == 400
    assert "code" in response.json()


def test_an_activity_types_history_shows_the_rename(personas, api) -> None:
    client = api(personas.admin)
    created = client.post(URL, {"code": "port-security", "name": "Port security"}).json()
    client.patch(f"{URL}{created['id']}/", {"name": "Harbour security", "version": 1})
    history = client.get(f"{URL}{created['id']}/history/").json()
    assert history[0]["changes"] == [
        {"field": "name", "label": "Name", "old": "Port security", "new": "Harbour security"}
    ]
    assert history[0]["by"].endswith("(root)")
