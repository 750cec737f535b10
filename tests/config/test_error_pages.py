"""Errors answer with Accord's own pages, JSON under /api/, and never Django's debug page; an
unreachable database answers 503 quickly and the site recovers by itself."""

from __future__ import annotations

import logging
import socket
import time
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.config.test_production_settings import manage

URLS = "tests.config.broken_urls"


@pytest.fixture
def browser() -> Client:
    """A client that gets the response a user would get, not the exception."""
    return Client(raise_request_exception=False)


def test_an_unknown_page_gets_accords_404_page(personas, browser) -> None:
    browser.force_login(personas.lo)
    response = browser.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing here that you can see" in page
    assert 'class="topbar"' in page


def test_an_unknown_api_address_gets_json_404(db, browser) -> None:
    response = browser.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.urls(URLS)
def test_a_failing_page_gets_accords_500_page_and_the_error_is_logged(
    personas, browser, caplog
) -> None:
    browser.force_login(personas.lo)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = browser.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and 'class="topbar"' in page
    assert "hunter2" not in page and "Traceback" not in page
    assert "a bug in a page" in caplog.text


@pytest.mark.urls(URLS)
def test_a_failing_endpoint_answers_json_500_and_the_error_is_logged(db, browser, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = browser.get("/api/v1/broken/")
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Server error.")
    assert "a bug in an endpoint" in caplog.text


def test_the_embedded_setup_keeps_djangos_debug_pages_off_unless_asked() -> None:
    """The quickstart runs with DJANGO_DEBUG=true; Django's debug page would show DATABASE_URL
    with its password to whoever meets an error."""
    script = "from django.conf import settings; print(settings.DEVELOPMENT, settings.DEBUG)"
    embedded = manage("shell", "-v", "0", "-c", script, env={"ACCORD_DEBUG_PAGES": ""})
    assert embedded.stdout.split() == ["True", "False"], embedded.stderr
    asked = manage("shell", "-v", "0", "-c", script, env={"ACCORD_DEBUG_PAGES": "true"})
    assert asked.stdout.split() == ["True", "True"], asked.stderr


def test_an_expired_form_gets_accords_403_page_with_a_hint(personas) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.lo)
    response = browser.post("/logout/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Reload the page and try again" in page and 'class="topbar"' in page


def database_down() -> mock._patch:
    """Every new query fails as it does when PostgreSQL refuses connections."""
    failure = OperationalError('connection to server at "db" failed: Connection refused')
    return mock.patch.object(connection, "ensure_connection", side_effect=failure)


def test_a_page_answers_503_while_the_database_is_down_and_recovers_after(
    personas, browser, caplog
) -> None:
    browser.force_login(personas.lo)
    with database_down():
        response = browser.get("/partners/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "cannot reach its database" in page and 'class="topbar"' in page
    assert "Database unavailable for GET /partners/" in caplog.text

    assert browser.get("/partners/").status_code == 200  # no restart needed


def test_the_api_answers_json_503_while_the_database_is_down(personas, api) -> None:
    client = api(personas.lo)
    client.raise_request_exception = False
    with database_down():
        response = client.get("/api/v1/partners/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {"detail": "The database is unavailable. Try again in a moment."}
    assert client.get("/api/v1/partners/").status_code == 200


def test_health_answers_503_while_the_database_is_down(db, browser) -> None:
    with database_down():
        response = browser.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
    assert browser.get("/health/").status_code == 200


@pytest.mark.postgresql_only
def test_a_database_that_never_answers_fails_within_the_connect_timeout(db, settings) -> None:
    """A server that accepts the TCP connection and then says nothing (a hung database)."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    timeout = settings.DATABASES["default"]["OPTIONS"]["connect_timeout"]
    assert 1 <= timeout <= 10
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        hung = DatabaseWrapper(
            {
                **connection.settings_dict,
                "HOST": "127.0.0.1",
                "PORT": silent.getsockname()[1],
                "OPTIONS": {**connection.settings_dict["OPTIONS"], "connect_timeout": 1},
            }
        )
        started = time.monotonic()
        with pytest.raises(OperationalError):
            hung.ensure_connection()
        assert time.monotonic() - started < 3
    finally:
        silent.close()


@pytest.mark.postgresql_only
def test_postgresql_statements_stop_at_the_statement_timeout(db) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"
