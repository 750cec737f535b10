"""The OpenAPI schema describes the API, and the API keeps to it under generated input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from config.wsgi import application
from tests.factories import PartnerFactory, UserFactory

EXAMPLES = 50
# A schema-valid body can still be refused for state the schema cannot express (a duplicate name),
# and the requests here are authenticated on purpose.
# DRF reads a number sent for a text field as its text (and ignores unknown keys): lenient by
# design and harmless, so negative data need not be refused; it must still never cause a server
# error, an undocumented status or a response outside the schema.
EXCLUDED = [positive_data_acceptance, negative_data_rejection, ignored_auth]


@pytest.fixture
def admin_token(db: None) -> str:
    admin = UserFactory(username="schema-admin", is_staff=True, is_superuser=True)
    lo = UserFactory(username="schema-lo", roles=["liaison_officer"])
    PartnerFactory(name="Colombia", liaison_officers=[lo])
    return Token.objects.create(user=admin).key


@pytest.fixture
def api_schema(admin_token: str) -> Iterator[object]:
    # In-process WSGI calls must not close the test's database connection (as Django's own
    # test client arranges), or PostgreSQL loses the test transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/", application, headers={"Authorization": f"Token {admin_token}"}
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# schemathesis' own pytest plugin does not run under pytest 9 yet, so each operation's strategy is
# driven with Hypothesis directly; the checks are schemathesis' own.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_schema_and_never_fails_with_a_server_error(
    api_schema, admin_token: str, mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Token {admin_token}"}
    failures: list[str] = []
    # Revoking the token would sign the rest of the run out; tests/config/test_api_auth.py
    # covers DELETE /api/v1/auth/token/.
    operations = [
        operation
        for operation in (result.ok() for result in api_schema.get_all_operations())
        if (operation.method.upper(), operation.path) != ("DELETE", "/api/v1/auth/token/")
    ]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        try:
            exercise()
        except Unsatisfiable:
            # An operation with no parameter and no body (GET …/me/) has nothing to make
            # invalid; its positive run covers it.
            if mode is not GenerationMode.NEGATIVE:
                failures.append(f"{operation.method.upper()} {operation.path}: no case generated")
        except Exception as failure:  # noqa: BLE001 - collected and reported below
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_the_interactive_docs_load_nothing_from_other_hosts(client, admin_token: str) -> None:
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="schema-admin"))
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "//cdn." not in html and "https://" not in html
