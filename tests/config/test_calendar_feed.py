"""Private calendar feeds and personal reminder settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from agreements.models import Agreement
from config.reminders import feed
from config.reminders.models import ReminderSettings
from config.reminders.services import reminder_settings_for
from tests.factories import AgreementFactory

TODAY = date(2027, 1, 4)
NOON = datetime(2027, 1, 4, 12, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def dated(personas) -> dict[str, Agreement]:
    """An agreement in the LO's portfolio and one of Panama's, both expiring with a notice
    deadline; one far beyond the feed's two years."""
    return {
        "colombia": AgreementFactory(
            reference="MOU-COL-2024-001",
            status=Agreement.Status.IN_FORCE,
            expires_on=TODAY + timedelta(days=100),
            notice_period_days=60,
            owner=personas.lo,
            parties=[personas.colombia],
        ),
        "panama": AgreementFactory(
            reference="MOU-PAN-2024-002",
            status=Agreement.Status.IN_FORCE,
            expires_on=TODAY + timedelta(days=20),
            owner=personas.other_lo,
            parties=[personas.panama],
        ),
        "far": AgreementFactory(
            reference="MOU-COL-2030-009",
            status=Agreement.Status.IN_FORCE,
            expires_on=TODAY + timedelta(days=900),
            owner=personas.lo,
            parties=[personas.colombia],
        ),
    }


def _feed(user, suffix: str = ".ics") -> tuple[int, bytes, str]:
    token = reminder_settings_for(user).feed_token
    response = Client().get(f"/calendar/{token}{suffix}")
    return response.status_code, response.content, response.get("Content-Type", "")


def _events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_valid_icalendar_with_all_day_events_and_stable_uids(personas, dated) -> None:
    status, body, content_type = _feed(personas.manager)
    assert status == 200 and content_type == "text/calendar; charset=utf-8"
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(body)
    for name in ("PRODID", "VERSION", "CALSCALE", "X-WR-CALNAME"):
        assert calendar.get(name), name
    assert str(calendar["VERSION"]) == "2.0"
    events = _events(body)
    uid = f"agreements.notice_deadline-{dated['colombia'].pk}-20270213@127.0.0.1"
    assert uid in events, sorted(events)
    notice = events[uid]
    assert notice.decoded("DTSTART") == date(2027, 2, 13)
    assert notice.decoded("DTEND") == date(2027, 2, 14)
    assert notice.get("DTSTAMP") is not None
    assert str(notice["SUMMARY"]).startswith("Notice deadline: MOU-COL-2024-001")
    description = str(notice["DESCRIPTION"])
    assert "Last day to give notice" in description and "What settles it" in description
    assert f"http://127.0.0.1:8000/agreements/{dated['colombia'].pk}/" in description
    assert not any("MOU-COL-2030-009" in str(e["SUMMARY"]) for e in events.values())
    _again, second, _ = _feed(personas.manager)
    assert set(_events(second)) == set(events)


def test_a_liaison_officer_sees_only_the_dates_of_their_portfolio(personas, dated) -> None:
    status, body, _ = _feed(personas.lo)
    assert status == 200
    summaries = " ".join(str(e["SUMMARY"]) for e in _events(body).values())
    assert "MOU-COL-2024-001" in summaries and "MOU-PAN-2024-002" not in summaries


@pytest.mark.parametrize(
    "token",
    ["nope", "x" * 43, "../../etc/passwd", "A" * 42, "A" * 44, "%00" * 20],
)
def test_a_wrong_token_answers_404(personas, dated, token) -> None:
    reminder_settings_for(personas.lo)
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
    assert Client().get(f"/calendar/{token}/partners/{personas.colombia.pk}.ics").status_code == 404


def test_a_deactivated_persons_feed_answers_404(personas, dated) -> None:
    token = reminder_settings_for(personas.lo).feed_token
    personas.lo.is_active = False
    personas.lo.save()
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_resetting_the_calendar_url_retires_the_old_one_and_shows_in_the_history(
    personas, dated, api
) -> None:
    old = reminder_settings_for(personas.lo).feed_token
    answer = api(personas.lo).post("/api/v1/reminder-settings/me/reset-feed/")
    assert answer.status_code == 200
    new = ReminderSettings.objects.get(user=personas.lo).feed_token
    assert new != old and answer.json()["feed_url"].endswith(f"/calendar/{new}.ics")
    assert Client().get(f"/calendar/{old}.ics").status_code == 404
    assert Client().get(f"/calendar/{new}.ics").status_code == 200
    history = api(personas.lo).get("/api/v1/reminder-settings/me/history/").json()
    assert history[0]["reason"] == "Calendar URL reset."
    shown = str(history)
    assert old not in shown and new not in shown
    page = Client()
    page.force_login(personas.lo)
    page.post("/reminders/settings/reset-feed/")
    newer = ReminderSettings.objects.get(user=personas.lo).feed_token
    assert newer != new
    html = page.get("/reminders/settings/").content.decode()
    assert f"/calendar/{newer}.ics" in html and new not in html


def test_the_partner_feed_lists_that_partner_for_those_who_may_read_it(personas, dated) -> None:
    token = reminder_settings_for(personas.lo).feed_token
    own = Client().get(f"/calendar/{token}/partners/{personas.colombia.pk}.ics")
    assert own.status_code == 200
    summaries = " ".join(str(e["SUMMARY"]) for e in _events(own.content).values())
    assert "MOU-COL-2024-001" in summaries and "MOU-PAN" not in summaries
    assert Client().get(f"/calendar/{token}/partners/{personas.panama.pk}.ics").status_code == 404
    assert Client().get(f"/calendar/{token}/partners/{2**70}.ics").status_code == 404
    manager = reminder_settings_for(personas.manager).feed_token
    theirs = Client().get(f"/calendar/{manager}/partners/{personas.panama.pk}.ics")
    assert "MOU-PAN-2024-002" in theirs.content.decode()


def test_the_partner_page_and_the_settings_page_link_the_calendars(personas, dated) -> None:
    page = Client()
    page.force_login(personas.lo)
    token = reminder_settings_for(personas.lo).feed_token
    partner_html = page.get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert f"/calendar/{token}/partners/{personas.colombia.pk}.ics" in partner_html
    assert f"/calendar/{token}.ics" in page.get("/reminders/settings/").content.decode()


def test_the_manager_feed_costs_a_fixed_number_of_queries(personas) -> None:
    """A query or two per deadline kind, however many dates there are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = reminder_settings_for(personas.manager).feed_token

    def queries_for_feed() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(f"/calendar/{token}.ics").status_code == 200
        return len(captured)

    def add_agreements(count: int) -> None:
        for n in range(count):
            AgreementFactory(
                status=Agreement.Status.IN_FORCE,
                expires_on=TODAY + timedelta(days=10 + n),
                owner=personas.lo,
                parties=[personas.colombia, personas.panama],
            )

    add_agreements(1)
    with_one = queries_for_feed()
    add_agreements(30)
    assert queries_for_feed() == with_one


def test_settings_choose_a_digest_and_mute_known_kinds_with_history(personas, api) -> None:
    client = api(personas.lo)
    answer = client.patch(
        "/api/v1/reminder-settings/me/",
        {"delivery": "digest", "muted_kinds": ["agreements.review_due"]},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["delivery"] == "digest"
    assert answer.json()["muted_kinds"] == ["agreements.review_due"]
    history = client.get("/api/v1/reminder-settings/me/history/").json()
    changed = {c["field"] for entry in history for c in entry["changes"]}
    assert {"delivery", "muted_kinds"} <= changed
    assert history[0]["by"].startswith("María Ortega")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delivery": "weekly"}, "delivery"),
        ({"muted_kinds": ["agreements.nonsense"]}, "muted_kinds"),
        ({"muted_kinds": "agreements.expiry,nope"}, "muted_kinds"),
        ({"muted_kinds": [1, 2]}, "muted_kinds"),
        ({"muted_kinds": {"a": 1}}, "muted_kinds"),
        ({"delivery": "digest", "muted_kinds": ["x"]}, "muted_kinds"),
    ],
)
def test_bad_settings_are_refused_naming_the_field_and_nothing_is_written(
    personas, api, body, field
) -> None:
    before = reminder_settings_for(personas.lo)
    answer = api(personas.lo).patch("/api/v1/reminder-settings/me/", body)
    assert answer.status_code == 400 and field in answer.json(), answer.content
    after = ReminderSettings.objects.get(pk=before.pk)
    assert (after.delivery, after.muted_kinds) == (before.delivery, before.muted_kinds)


def test_the_settings_page_saves_delivery_and_muted_kinds(personas) -> None:
    page = Client()
    page.force_login(personas.lo)
    response = page.post(
        "/reminders/settings/", {"delivery": "digest", "muted_kinds": ["agreements.expiry"]}
    )
    assert response.status_code == 302
    saved = ReminderSettings.objects.get(user=personas.lo)
    assert (saved.delivery, saved.muted_kinds) == ("digest", ["agreements.expiry"])
    html = page.get("/reminders/settings/").content.decode()
    assert "One daily digest" in html and "History" in html
    refused = page.post("/reminders/settings/", {"delivery": "hourly"})
    assert refused.status_code == 200 and "hourly" in refused.content.decode()


def _whole_calendar(items: list, *, name: str) -> bytes:
    """The feed as icalendar writes it with every event added as a component."""
    calendar = Calendar.from_ical(feed.feed_calendar([], name=name))
    stamp = datetime.now(ZoneInfo("UTC"))
    domain = feed._uid_domain()
    for item in items:
        calendar.add_component(feed._event(feed._content(item, domain=domain), stamp=stamp))
    return calendar.to_ical()


def test_the_feed_is_byte_for_byte_what_icalendar_writes_and_follows_a_changed_record(
    personas, dated
) -> None:
    feed.RENDERED_EVENTS.clear()
    items = feed.user_feed(personas.manager, today=TODAY)
    assert len(items) == 3  # two dates of Colombia's agreement, one of Panama's
    assert feed.feed_calendar(items, name="Accord") == _whole_calendar(items, name="Accord")
    # Rendered events are reused by content: a changed title is a new entry, never a stale one.
    Agreement.objects.filter(pk=dated["colombia"].pk).update(title="Renamed cooperation")
    changed = feed.user_feed(personas.manager, today=TODAY)
    body = feed.feed_calendar(changed, name="Accord")
    assert body == _whole_calendar(changed, name="Accord")
    summaries = [str(e["SUMMARY"]) for e in _events(body).values()]
    assert sum("Renamed cooperation" in summary for summary in summaries) == 2, summaries


def test_the_served_feed_is_the_worded_feed_cold_warm_and_after_a_change(personas, dated) -> None:
    """The view reuses entries by their rows' values; it serves exactly what wording every item
    afresh gives, and a change to a record or to who may read it shows at once."""

    def both(user, **where) -> tuple[bytes, bytes]:
        served = feed.feed_body(user, today=TODAY, name="Accord", **where)
        return served, feed.feed_calendar(feed.user_feed(user, today=TODAY, **where), name="Accord")

    feed.RENDERED_EVENTS.clear()
    cold, worded = both(personas.manager)
    assert cold == worded and cold.count(b"BEGIN:VEVENT") == 3
    warm, _ = both(personas.manager)
    assert warm == cold
    Agreement.objects.filter(pk=dated["colombia"].pk).update(title="Renamed cooperation")
    personas.colombia.name = "República de Colombia"
    personas.colombia.save()
    changed, worded = both(personas.manager)
    assert changed == worded and changed != cold
    assert "República de Colombia" in changed.decode() and "Renamed" in changed.decode()
    assert both(personas.lo, partner_id=personas.colombia.pk)[0].count(b"BEGIN:VEVENT") == 2
    personas.colombia.liaison_officers.remove(personas.lo)
    Agreement.objects.filter(owner=personas.lo).update(owner=personas.other_lo)
    left, worded = both(personas.lo)
    assert left == worded and b"BEGIN:VEVENT" not in left
