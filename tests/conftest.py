from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.models import Partner
from config.celery import app as celery_app
from tests.factories import PartnerFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    """Test connections are not kept open between requests: a live-server thread holding one
    would stop PostgreSQL from dropping the test database at the end."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of PostgreSQL's own settings run in the PostgreSQL pass and are left out (not
    skipped, which CI counts as a failure) of the SQLite pass."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql_only")]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """In CI every service is present, so a test that skips for a missing one is a failure."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be missing: {report.longrepr}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, PostgreSQL sessions left by worker processes that
    tests started and stopped (a pool child still closing) are ended: otherwise the drop
    fails with "being accessed by other users".

    Autovacuum is off for the test database's tables: otherwise it gathers planner
    statistics at moments that depend on the machine's speed (after a committing test
    flushed its rows, say), and a query later planned on a table whose statistics describe
    other data than the test's can run for minutes where it takes milliseconds (CI failed
    on statement timeouts, in different tests each run). Every run now plans on the same
    statistics: none, unless a test or the code gathers them (`ANALYZE`)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} SET"
                    " (autovacuum_enabled = false, toast.autovacuum_enabled = false)"
                )
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in-process unless a test starts a real worker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@dataclass
class Personas:
    lo: object
    other_lo: object
    legal_advisor: object
    manager: object
    outsider: object
    admin: object
    colombia: Partner
    colombian_navy: Partner
    panama: Partner


@pytest.fixture
def personas(db: None) -> Personas:
    """An LO with a portfolio (Colombia and its navy), another LO (Panama), a legal advisor,
    a manager, an outsider with no role, and an administrator."""
    lo = UserFactory(
        username="maria", first_name="María", last_name="Ortega", roles=["liaison_officer"]
    )
    other_lo = UserFactory(
        username="james", first_name="James", last_name="Tane", roles=["liaison_officer"]
    )
    legal_advisor = UserFactory(username="hannah", roles=["legal_advisor"])
    manager = UserFactory(username="samuel", roles=["manager"])
    outsider = UserFactory(username="nobody")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    colombia = PartnerFactory(
        name="Colombia", short_name="COL", country_code="CO", liaison_officers=[lo]
    )
    colombian_navy = PartnerFactory(
        name="Colombian Navy",
        kind=Partner.Kind.AGENCY,
        parent=colombia,
        country_code="CO",
        liaison_officers=[lo],
    )
    panama = PartnerFactory(
        name="Panama",
        country_code="PA",
        region=Partner.Region.CENTRAL_AMERICA,
        liaison_officers=[other_lo],
    )
    return Personas(
        lo, other_lo, legal_advisor, manager, outsider, admin, colombia, colombian_navy, panama
    )


@pytest.fixture
def api() -> Callable[[object | None], APIClient]:
    """An API client authenticated with the user's token, as a real client would be."""

    def client_for(user: object | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture(autouse=True)
def _no_throttle_left_from_another_test() -> Iterator[None]:
    """DRF's request throttles count in the cache; every test starts with none counted (the
    sign-in lockout lives in the test database, which each test gets fresh)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path) -> None:
    """Files a test uploads never land in the project's own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
