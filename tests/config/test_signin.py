"""Repeated failed sign-ins lock a username out from one address, on every door."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _three_failures_lock(settings) -> None:
    settings.ACCORD_SIGNIN_MAX_FAILURES = 3
    settings.ACCORD_SIGNIN_LOCKOUT_MINUTES = 15


def sign_in(client, username: str, password: str, *, url: str = "/login/", address=None):
    extra = {"REMOTE_ADDR": address} if address else {}
    return client.post(url, {"username": username, "password": password}, **extra)


def test_the_sign_in_page_locks_a_username_out_after_repeated_failures(personas, client) -> None:
    for _ in range(3):
        response = sign_in(client, "maria", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    # Even the right password is refused now, with a message saying why and for how long.
    response = sign_in(client, "maria", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and "Try again in 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_its_window_and_a_success_clears_the_count(personas, client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            sign_in(client, "maria", "wrong")
        assert sign_in(client, "maria", PASSWORD).status_code == 429

        clock.shift(timedelta(minutes=15, seconds=1))
        assert sign_in(client, "maria", PASSWORD).status_code == 302  # signed in
        client.logout()

        # The success cleared the earlier failures: two more do not lock.
        for _ in range(2):
            sign_in(client, "maria", "wrong")
        assert sign_in(client, "maria", PASSWORD).status_code == 302


def test_the_lockout_is_per_username_and_address(personas, client) -> None:
    for _ in range(3):
        sign_in(client, "maria", "wrong", address="203.0.113.7")
    assert sign_in(client, "maria", PASSWORD, address="203.0.113.7").status_code == 429
    # The same person from another address, and another person from that one, are not locked.
    assert sign_in(client, "maria", PASSWORD, address="198.51.100.2").status_code == 302
    client.logout()
    assert sign_in(client, "james", PASSWORD, address="203.0.113.7").status_code == 302


def test_a_spoofed_forwarded_for_header_does_not_dodge_the_lockout(personas, client) -> None:
    for n in range(3):
        client.post(
            "/login/",
            {"username": "maria", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    response = client.post(
        "/login/", {"username": "maria", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429


def test_the_admin_sign_in_shares_the_lockout(personas, client) -> None:
    for _ in range(2):
        sign_in(client, "root", "wrong", url="/admin/login/")
    sign_in(client, "root", "wrong")  # the third failure on the ordinary page
    response = sign_in(client, "root", PASSWORD, url="/admin/login/")
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_answers_429_json_when_locked_out(personas, client) -> None:
    api = APIClient()
    for _ in range(3):
        response = api.post(TOKEN_URL, {"username": "maria", "password": "wrong"})
        assert response.status_code == 400
    response = api.post(TOKEN_URL, {"username": "maria", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.json()["detail"]
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    # The page is locked for the same pair too: it is one lockout.
    assert sign_in(client, "maria", PASSWORD).status_code == 429


def test_the_token_endpoint_throttles_many_requests_from_one_address(settings, db) -> None:
    settings.ACCORD_SIGNIN_MAX_FAILURES = 100
    api = APIClient()
    statuses = [
        api.post(TOKEN_URL, {"username": f"guess{n}", "password": "x"}).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_failed_sign_ins_are_logged_with_username_and_address_but_no_password(
    personas, client, caplog
) -> None:
    with caplog.at_level(logging.WARNING, logger="accord.signin"):
        sign_in(client, "maria", "hunter2-secret", address="203.0.113.9")
        APIClient().post(
            TOKEN_URL,
            {"username": "james", "password": "hunter2-secret"},
            REMOTE_ADDR="203.0.113.9",
        )
    lines = [record.getMessage() for record in caplog.records]
    assert "Sign-in failed for username 'maria' from 203.0.113.9" in lines
    assert "Sign-in failed for username 'james' from 203.0.113.9" in lines
    assert "hunter2" not in caplog.text


def test_a_garbled_forwarded_address_is_counted_as_unknown_not_a_server_error(
    personas, client, settings
) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(3):
        response = client.post(
            "/login/", {"username": "maria", "password": "wrong"}, HTTP_X_FORWARDED_FOR="bogus"
        )
        assert response.status_code == 200
    response = client.post(
        "/login/", {"username": "maria", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="bogus"
    )
    assert response.status_code == 429
