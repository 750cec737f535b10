"""The in-app inbox: each person's own reminders, acknowledge and snooze, the header's count."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from agreements.models import Agreement
from config.reminders.models import Reminder
from config.reminders.scan import scan
from tests.factories import AgreementFactory

TODAY = date(2027, 1, 4)
NOON = datetime(2027, 1, 4, 12, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOON, tick=False):
        yield


def _due(personas, *, days: int, partner=None, owner=None) -> Agreement:
    return AgreementFactory(
        status=Agreement.Status.IN_FORCE,
        expires_on=TODAY + timedelta(days=days),
        owner=owner or personas.lo,
        parties=[partner or personas.colombia],
    )


def _inbox(personas) -> list[Reminder]:
    """Two expiry reminders for the LO (7 and 30 days ahead), one for the other LO."""
    _due(personas, days=7)
    _due(personas, days=30)
    _due(personas, days=7, partner=personas.panama, owner=personas.other_lo)
    scan(as_of=TODAY)
    return list(Reminder.objects.filter(recipient=personas.lo, kind="agreements.expiry"))


def test_the_inbox_lists_only_my_reminders_with_wording_and_link(personas, api) -> None:
    mine = _inbox(personas)
    assert len(mine) == 2
    answer = api(personas.lo).get("/api/v1/reminders/", {"state": "open"})
    assert answer.status_code == 200, answer.content
    rows = answer.json()["results"]
    expiry = [row for row in rows if row["kind"] == "agreements.expiry"]
    assert {row["id"] for row in expiry} == {r.pk for r in mine}
    first = expiry[0]
    assert first["kind_label"] == "Agreement expiry"
    assert "expires on 11 January 2027" in first["sentence"]
    assert first["link"].startswith("http://testserver/agreements/")
    assert first["days_left"] == 7 and first["state"] == "open"
    others = Reminder.objects.filter(recipient=personas.other_lo)
    assert not {row["id"] for row in rows} & set(others.values_list("pk", flat=True))


def test_someone_elses_reminder_answers_404_at_every_door(personas, api) -> None:
    _inbox(personas)
    theirs = Reminder.objects.filter(recipient=personas.other_lo).first()
    assert theirs is not None
    client = api(personas.lo)
    assert client.get(f"/api/v1/reminders/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/reminders/{theirs.pk}/acknowledge/").status_code == 404
    page = Client()
    page.force_login(personas.lo)
    assert page.post(f"/reminders/{theirs.pk}/acknowledge/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_acknowledging_moves_a_reminder_out_of_the_open_list_and_twice_changes_nothing(
    personas, api
) -> None:
    first, _second = sorted(_inbox(personas), key=lambda r: r.due_on)
    client = api(personas.lo)
    answer = client.post(f"/api/v1/reminders/{first.pk}/acknowledge/")
    assert answer.status_code == 200 and answer.json()["state"] == "acknowledged"
    at = Reminder.objects.get(pk=first.pk).acknowledged_at
    client.post(f"/api/v1/reminders/{first.pk}/acknowledge/")
    assert Reminder.objects.get(pk=first.pk).acknowledged_at == at
    open_ids = [r["id"] for r in client.get("/api/v1/reminders/?state=open").json()["results"]]
    done = [r["id"] for r in client.get("/api/v1/reminders/?state=acknowledged").json()["results"]]
    assert first.pk not in open_ids and done == [first.pk]


def test_a_snoozed_reminder_is_hidden_until_its_day(personas, api) -> None:
    first, _second = sorted(_inbox(personas), key=lambda r: r.due_on)
    client = api(personas.lo)
    answer = client.post(f"/api/v1/reminders/{first.pk}/snooze/", {"until": "2027-01-06"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "snoozed"
    snoozed = [r["id"] for r in client.get("/api/v1/reminders/?state=snoozed").json()["results"]]
    assert snoozed == [first.pk]
    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        open_ids = [r["id"] for r in client.get("/api/v1/reminders/?state=open").json()["results"]]
    assert first.pk in open_ids


@pytest.mark.parametrize(
    ("until", "says"),
    [
        ("2027-01-03", "after today"),
        ("2027-01-04", "after today"),
        ("2028-02-01", "at most a year"),
        ("next week", "not a date"),
        ("2027-02-30", "not a date"),
        ("", "blank"),
    ],
)
def test_a_bad_snooze_date_is_refused_naming_the_field(personas, api, until, says) -> None:
    first = _inbox(personas)[0]
    answer = api(personas.lo).post(f"/api/v1/reminders/{first.pk}/snooze/", {"until": until})
    assert answer.status_code == 400, answer.content
    assert says in " ".join(answer.json()["until"])
    assert Reminder.objects.get(pk=first.pk).snoozed_until is None
    page = Client()
    page.force_login(personas.lo)
    response = page.post(f"/reminders/{first.pk}/snooze/", {"until": until}, follow=True)
    assert response.status_code == 200
    assert "Not snoozed" in response.content.decode()
    assert Reminder.objects.get(pk=first.pk).snoozed_until is None


def test_an_unknown_state_filter_is_refused_naming_it(personas, api) -> None:
    answer = api(personas.lo).get("/api/v1/reminders/", {"state": "everything"})
    assert answer.status_code == 400 and "state" in answer.json()


def test_a_reminder_about_a_record_i_may_no_longer_read_is_not_shown(personas, api) -> None:
    _inbox(personas)
    # She owned them and held Colombia: both end (handed over, portfolio changed).
    Agreement.objects.filter(owner=personas.lo).update(owner=personas.other_lo)
    personas.colombia.liaison_officers.remove(personas.lo)
    rows = api(personas.lo).get("/api/v1/reminders/").json()["results"]
    assert rows == []
    page = Client()
    page.force_login(personas.lo)
    assert "Nothing needs you now" in page.get("/reminders/").content.decode()


def _header_count(user):
    """The header's count as a page's template calls it (the roles are read before)."""
    from django.test import RequestFactory

    from config.context_processors import accord

    request = RequestFactory().get("/")
    request.user = user
    return accord(request)["accord_open_reminders"]


def test_the_header_counts_my_open_reminders_in_two_queries(
    personas, django_assert_max_num_queries
) -> None:
    _inbox(personas)
    page = Client()
    page.force_login(personas.lo)
    html = page.get("/partners/").content.decode()
    open_count = Reminder.objects.filter(recipient=personas.lo).count()
    assert f'title="{open_count} open"' in html
    # Which kinds her open rows are of, then the count checking access for those kinds only.
    count = _header_count(personas.lo)
    with django_assert_max_num_queries(2):
        assert count() == open_count


def test_the_header_counts_in_one_query_for_someone_with_no_open_reminders(
    personas, django_assert_num_queries
) -> None:
    _inbox(personas)
    Reminder.objects.filter(recipient=personas.lo).update(acknowledged_at=NOON)
    lo, manager = _header_count(personas.lo), _header_count(personas.manager)
    with django_assert_num_queries(1):
        assert lo() == 0
    with django_assert_num_queries(1):
        assert manager() == 0


def test_the_header_count_leaves_out_reminders_about_records_i_may_no_longer_read(
    personas,
) -> None:
    from config.reminders.inbox import InboxState, inbox_reminders

    _inbox(personas)
    assert _header_count(personas.lo)() == 2
    # One agreement is handed over and she no longer holds Colombia: she still owns the other.
    handed, kept = Reminder.objects.filter(recipient=personas.lo).order_by("pk")
    Agreement.objects.filter(pk=handed.subject_id).update(owner=personas.other_lo)
    personas.colombia.liaison_officers.remove(personas.lo)
    listed = inbox_reminders(personas.lo, today=TODAY, state=InboxState.OPEN)
    assert [r.pk for r in listed] == [kept.pk]
    assert _header_count(personas.lo)() == 1
    # A row of a kind no app declares any more is not counted either.
    Reminder.objects.filter(pk=kept.pk).update(kind="retired.kind")
    assert _header_count(personas.lo)() == 0


def test_the_header_shows_no_count_to_anonymous_visitors(personas) -> None:
    html = Client().get("/login/").content.decode()
    assert "badge-count" not in html and "Reminders" not in html


def test_the_inbox_page_lists_acknowledges_and_snoozes(
    personas, django_assert_max_num_queries
) -> None:
    first, second = sorted(_inbox(personas), key=lambda r: r.due_on)
    page = Client()
    page.force_login(personas.lo)
    with django_assert_max_num_queries(14):
        html = page.get("/reminders/").content.decode()
    assert "expires on 11 January 2027" in html and "Record a review" in html
    response = page.post(f"/reminders/{first.pk}/acknowledge/", {"state": "open"})
    assert response.status_code == 302 and response["Location"].endswith("?state=open")
    page.post(f"/reminders/{second.pk}/snooze/", {"until": "2027-01-20"})
    assert Reminder.objects.get(pk=first.pk).acknowledged_at is not None
    assert Reminder.objects.get(pk=second.pk).snoozed_until == date(2027, 1, 20)
    html = page.get("/reminders/?state=snoozed").content.decode()
    assert "snoozed until 20 Jan 2027" in html


def test_the_inbox_page_query_count_does_not_grow_with_reminders(
    personas, django_assert_max_num_queries
) -> None:
    for days in range(1, 40):
        _due(personas, days=days % 8)
    scan(as_of=TODAY)
    assert Reminder.objects.filter(recipient=personas.lo).count() >= 39
    page = Client()
    page.force_login(personas.lo)
    with django_assert_max_num_queries(14):
        assert page.get("/reminders/").status_code == 200
    with django_assert_max_num_queries(12):
        assert api_get(personas, "/api/v1/reminders/").status_code == 200


def api_get(personas, path: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(personas.lo)
    return client.get(path)


def test_people_without_a_role_have_no_inbox(personas, api) -> None:
    assert api(personas.outsider).get("/api/v1/reminders/").status_code == 403
    assert api(None).get("/api/v1/reminders/").status_code == 401
