"""Each person's desk, the page after sign-in: built from the reminder selectors, so it shows
what the reminders say — for a liaison officer their portfolio, for a legal advisor the review
queue and legal deadlines, for a manager overdue items by partner and kind."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agreements import services
from agreements.models import Agreement, LegalMandate
from tests.factories import AgreementFactory, activity

TODAY = timezone.localdate()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _desk(user) -> str:
    response = _client(user).get("/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _agreement(personas, *, partner=None, **fields) -> Agreement:
    fields.setdefault("status", Agreement.Status.IN_FORCE)
    fields.setdefault("owner", personas.other_lo if partner == personas.panama else personas.lo)
    return AgreementFactory(parties=[partner or personas.colombia], **fields)


def _sentences(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<p class="desk-sentence">(.*?)</p>', html, re.S)
    ]


def _day(days: int) -> str:
    when = TODAY + timedelta(days=days)
    return f"{when.day} {when:%B %Y}"


def test_a_liaison_officer_sees_what_is_due_in_their_portfolio_soonest_first(personas) -> None:
    late = _agreement(personas, reference="MOU-COL-2020-001", expires_on=TODAY - timedelta(3))
    _agreement(personas, reference="MOU-COL-2024-002", expires_on=TODAY + timedelta(days=20))
    _agreement(personas, reference="MOU-COL-2024-003", expires_on=TODAY + timedelta(days=200))
    _agreement(
        personas,
        partner=personas.panama,
        reference="MOU-PAN-2024-001",
        expires_on=TODAY + timedelta(days=5),
    )
    html = _desk(personas.lo)
    assert _sentences(html) == [
        f"MOU-COL-2020-001 expires on {_day(-3)}.",
        f"MOU-COL-2024-002 expires on {_day(20)}.",
    ]
    assert "3 days overdue" in html and "in 20 days" in html
    # Each line carries the action that settles it, as a link to the record.
    assert f'href="/agreements/{late.pk}/">Record a review' in html
    assert "MOU-PAN-2024-001" not in html


def test_a_liaison_officer_with_nothing_due_is_told_where_to_keep_records_current(
    personas,
) -> None:
    html = _desk(personas.lo)
    assert "Nothing is due in your portfolio in the next 90 days" in html
    assert "Nothing is overdue in your portfolio" in html


def test_a_legal_advisor_sees_the_review_queue_and_legal_deadlines_only(personas) -> None:
    mandate = services.mandate_create(
        by=personas.legal_advisor,
        title="Boarding under the 1988 Convention, art. 17",
        kind=LegalMandate.Kind.TREATY_PROVISION,
        citation="1988 Convention, art. 17",
        valid_from=date(1990, 11, 11),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )
    queued = _agreement(personas, reference="TA-TTO-2025-001", status=Agreement.Status.LEGAL_REVIEW)
    # A notice deadline reminds the legal reviewer: a legal deadline. An expiry does not.
    _agreement(
        personas,
        reference="MOU-COL-2024-003",
        expires_on=TODAY + timedelta(days=150),
        notice_period_days=120,
        legal_reviewer=personas.legal_advisor,
    )
    html = _desk(personas.legal_advisor)
    assert "Review queue" in html
    assert f'href="/mandates/{mandate.pk}/#decide">Decide the legal review' in html
    assert f'href="/agreements/{queued.pk}/">Review the agreement' in html
    assert _sentences(html)[2:] == [
        f"Legal review of mandate “{mandate.title}” has been pending since {_day(0)}: "
        f"a decision is due by {_day(14)}.",
        f"Last day to give notice of termination of MOU-COL-2024-003: {_day(30)}.",
    ]
    assert "expires on" not in html


def test_a_manager_sees_overdue_items_by_partner_and_kind_and_what_comes_due_soon(
    personas,
) -> None:
    _agreement(personas, reference="MOU-COL-2020-001", expires_on=TODAY - timedelta(days=10))
    _agreement(
        personas,
        partner=personas.panama,
        reference="MOU-PAN-2020-001",
        expires_on=TODAY - timedelta(days=2),
    )
    _agreement(personas, reference="MOU-COL-2024-009", expires_on=TODAY + timedelta(days=12))
    _agreement(personas, reference="MOU-COL-2024-010", expires_on=TODAY + timedelta(days=60))
    for user in (personas.manager, personas.admin):
        html = _desk(user)
        overdue, soon = html.split('id="desk-soon"')
        groups = re.findall(r"<h3>(.*?)</h3>", overdue)
        assert groups == ["Colombia", "Panama"], groups
        assert re.search(r"Colombia</h3>\s*<h4 class=\"desk-kind\">Agreement expiry", overdue)
        assert "MOU-COL-2020-001" in overdue and "MOU-PAN-2020-001" in overdue
        assert "MOU-COL-2024-009" in soon and "MOU-COL-2024-010" not in html


def test_a_manager_with_nothing_overdue_is_told_so(personas) -> None:
    html = _desk(personas.manager)
    assert "Nothing is overdue across the portfolio." in html
    assert "Nothing comes due in the next 30 days." in html


@pytest.mark.parametrize("user", ["lo", "legal_advisor", "manager"])
def test_the_desk_takes_the_same_number_of_queries_however_much_is_due(
    user, personas, django_assert_max_num_queries
) -> None:
    def build(count: int, start: int) -> None:
        for n in range(count):
            _agreement(
                personas,
                reference=f"MOU-COL-2020-{start + n:03d}",
                expires_on=TODAY + timedelta(days=n - 5),
                next_review_on=TODAY + timedelta(days=n - 3),
                legal_reviewer=personas.legal_advisor,
                notice_period_days=1,
            )

    client = _client(getattr(personas, user))
    build(1, 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/")
    build(12, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/")
    assert response.content.decode().count('class="desk-line') >= 12


def test_signed_out_visitors_sign_in_and_people_without_a_role_are_told_whom_to_ask(
    personas,
) -> None:
    assert Client().get("/").url.startswith("/login/")
    response = _client(personas.outsider).get("/")
    assert response.status_code == 403
    assert "has no role in Accord" in response.content.decode()


def test_a_liaison_officer_is_not_shown_a_legal_decision_only_legal_advisors_are_reminded_of(
    personas,
) -> None:
    services.mandate_create(
        by=personas.legal_advisor,
        title="Boarding of Colombian-flag vessels",
        kind=LegalMandate.Kind.TREATY_PROVISION,
        citation="1988 Convention, art. 17",
        valid_from=date(1990, 11, 11),
        partners=[personas.colombia],
        activity_types=[activity("maritime-interdiction")],
    )
    assert "Boarding of Colombian-flag vessels" not in _desk(personas.lo)
    assert "Boarding of Colombian-flag vessels" in _desk(personas.legal_advisor)


def test_a_long_review_queue_shows_the_oldest_on_the_desk_and_links_the_rest(
    personas, monkeypatch
) -> None:
    from agreements import desk

    monkeypatch.setattr(desk, "DESK_QUEUE_SHOWN", 2)
    for n in range(3):
        _agreement(personas, reference=f"TA-TTO-2025-00{n}", status=Agreement.Status.LEGAL_REVIEW)
    html = _desk(personas.legal_advisor)
    assert "TA-TTO-2025-000" in html and "TA-TTO-2025-001" in html
    assert "TA-TTO-2025-002" not in html
    assert re.search(r'Review queue <span class="count">3</span>', html)
    assert "1 more waits in the" in html and 'href="/legal/queue/"' in html


@pytest.mark.parametrize("user", ["lo", "manager"])
def test_a_long_list_shows_the_most_urgent_lines_and_counts_them_all(
    user, personas, monkeypatch
) -> None:
    from config import desk

    monkeypatch.setattr(desk, "DESK_LINES_SHOWN", 2)
    for n in range(3):
        _agreement(personas, reference=f"MOU-COL-2019-00{n}", expires_on=TODAY - timedelta(n + 1))
    html = _desk(getattr(personas, user))
    assert "MOU-COL-2019-002" in html and "MOU-COL-2019-001" in html
    assert "MOU-COL-2019-000" not in html
    assert '<h2 id="desk-overdue">Overdue <span class="count">3</span>' in html
    assert "The longest-overdue 2 are shown; 1 more follows." in html
