"""A refused request is one log line; a user without a role is told whom to ask."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.factories import UserFactory


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refusal_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("django.request", "accord"))]


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("lo", "get", "/mandates/new/", 403),  # PermissionDenied raised by the page
        ("lo", "get", "/partners/{panama}/", 404),
        ("lo", "get", "/api/v1/partners/{panama}/", 404),
        ("outsider", "get", "/api/v1/partners/", 403),
        ("lo", "get", "/api/v1/agreements/?in_force_on=soon", 400),
        ("outsider", "get", "/partners/", 403),
    ],
)
def test_a_refused_request_logs_one_warning_line_without_a_traceback(
    personas, caplog, who, method, path, status
) -> None:
    caplog.set_level(logging.INFO)
    client = browser_as(getattr(personas, who))
    response = getattr(client, method)(path.format(panama=personas.panama.pk))
    assert response.status_code == status
    lines = refusal_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelno == logging.WARNING
    assert lines[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_the_one_line_keeps_the_reason_for_the_refusal(personas, caplog) -> None:
    caplog.set_level(logging.INFO)
    browser_as(personas.lo).get("/mandates/new/")
    (line,) = refusal_lines(caplog)
    assert "/mandates/new/" in line.getMessage()
    assert "Only legal advisors and administrators record mandates." in line.getMessage()


def test_a_server_error_still_logs_its_traceback(personas, caplog, monkeypatch) -> None:
    from agreements.views import partners

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(partners, "partner_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(personas.lo)
    caplog.set_level(logging.INFO)
    assert client.get("/partners/").status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert errors and errors[0].exc_info is not None


def test_a_user_without_a_role_is_told_whom_to_ask_and_shown_no_navigation(personas):
    UserFactory(
        username="ops", first_name="Olga", last_name="Pérez", email="ops@accord.test"
    ).__class__.objects.filter(username="ops").update(is_staff=True)
    response = browser_as(personas.outsider).get("/", follow=True)
    assert response.status_code == 403
    html = response.content.decode()
    assert "has no role in Accord" in html
    assert "Olga Pérez" in html and 'href="mailto:ops@accord.test"' in html
    assert "root@accord.test" in html  # every active administrator
    assert 'aria-label="Main"' not in html  # no navigation of pages that would refuse
    assert "Sign out" in html
    for path in ["/agreements/", "/assessments/", "/engagements/"]:
        assert "has no role in Accord" in browser_as(personas.outsider).get(path).content.decode()


def test_a_user_with_a_role_keeps_the_navigation(personas) -> None:
    html = browser_as(personas.lo).get("/partners/").content.decode()
    assert 'aria-label="Main"' in html and "has no role" not in html
