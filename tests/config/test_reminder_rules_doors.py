"""Reminder rules at every door: the API, the page and the admin change them through one
service, refuse the same bad input naming the field, and keep every change in the history."""

from __future__ import annotations

import pytest
from django.test import Client

from config.reminders.models import ReminderRule

EXPIRY = "agreements.expiry"


def _rule() -> ReminderRule:
    return ReminderRule.objects.get(kind=EXPIRY)


def _state(rule: ReminderRule) -> tuple:
    rule.refresh_from_db()
    return (rule.version, rule.enabled, rule.lead_days, rule.recipients, rule.escalate,
            rule.escalate_after_days)  # fmt: skip


def test_everyone_with_a_role_reads_the_rules_with_kind_labels_and_recipient_choices(
    personas, api, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(10):
        answer = api(personas.lo).get("/api/v1/reminder-rules/")
    assert answer.status_code == 200
    rows = {row["kind"]: row for row in answer.json()["results"]}
    expiry = rows[EXPIRY]
    assert expiry["kind_label"] == "Agreement expiry"
    assert expiry["lead_days"] == [90, 60, 30, 7, 0]
    assert {c["value"] for c in expiry["recipient_choices"]} == {
        "owner",
        "legal_reviewer",
        "liaison_officers",
        "managers",
    }
    one = api(personas.lo).get(f"/api/v1/reminder-rules/{expiry['id']}/")
    assert one.status_code == 200 and one.json()["kind"] == EXPIRY
    assert api(personas.outsider).get("/api/v1/reminder-rules/").status_code == 403


def test_a_manager_changes_a_rule_and_the_change_is_in_its_history(personas, api) -> None:
    rule = _rule()
    client = api(personas.manager)
    answer = client.patch(
        f"/api/v1/reminder-rules/{rule.pk}/",
        {"lead_days": [14, 120, 0], "version": rule.version},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["lead_days"] == [120, 14, 0]
    assert answer.json()["version"] == rule.version + 1
    full = client.put(
        f"/api/v1/reminder-rules/{rule.pk}/",
        {
            "enabled": False,
            "lead_days": [30],
            "recipients": ["managers", "owner"],
            "escalate": True,
            "escalate_after_days": 5,
            "version": rule.version + 1,
        },
    )
    assert full.status_code == 200, full.content
    assert full.json()["recipients"] == ["owner", "managers"]
    history = client.get(f"/api/v1/reminder-rules/{rule.pk}/history/").json()
    assert "(samuel)" in history[0]["by"]
    changed = {c["field"] for c in history[0]["changes"]}
    assert {"enabled", "lead_days", "recipients", "escalate_after_days"} <= changed


def test_a_stale_version_answers_409_and_writes_nothing(personas, api) -> None:
    rule = _rule()
    before = _state(rule)
    answer = api(personas.manager).patch(
        f"/api/v1/reminder-rules/{rule.pk}/", {"lead_days": [5], "version": rule.version + 7}
    )
    assert answer.status_code == 409 and answer.json()["current"]["kind"] == EXPIRY
    assert _state(rule) == before


def test_liaison_officers_and_legal_advisors_may_not_change_rules(personas, api) -> None:
    rule = _rule()
    before = _state(rule)
    for who in (personas.lo, personas.legal_advisor):
        answer = api(who).patch(
            f"/api/v1/reminder-rules/{rule.pk}/", {"lead_days": [1], "version": rule.version}
        )
        assert answer.status_code == 403
    page = Client()
    page.force_login(personas.lo)
    assert page.post(f"/reminders/rules/{rule.pk}/", {"lead_days": "1"}).status_code == 403
    assert _state(rule) == before


def test_rules_are_neither_created_nor_deleted_through_the_api(personas, api) -> None:
    rule = _rule()
    client = api(personas.manager)
    assert client.post("/api/v1/reminder-rules/", {"kind": "x"}).status_code == 405
    assert client.delete(f"/api/v1/reminder-rules/{rule.pk}/").status_code == 405


BAD_RULES = [
    ({"lead_days": [-1]}, "lead_days"),
    ({"lead_days": [30, 30]}, "lead_days"),
    ({"lead_days": [3651]}, "lead_days"),
    ({"lead_days": []}, "lead_days"),
    ({"lead_days": ["ten"]}, "lead_days"),
    ({"lead_days": [1.5]}, "lead_days"),
    ({"lead_days": "٣"}, "lead_days"),
    ({"lead_days": {"a": 1}}, "lead_days"),
    ({"recipients": ["president"]}, "recipients"),
    ({"recipients": []}, "recipients"),
    ({"recipients": [{"x": 1}]}, "recipients"),
    ({"escalate": True, "escalate_after_days": None}, "escalate_after_days"),
    ({"escalate": True, "escalate_after_days": 0}, "escalate_after_days"),
    ({"escalate_after_days": -3}, "escalate_after_days"),
    ({"escalate_after_days": 99999}, "escalate_after_days"),
    ({"escalate_after_days": "soon"}, "escalate_after_days"),
]


@pytest.mark.parametrize(("change", "field"), BAD_RULES)
def test_a_bad_rule_is_refused_at_every_door_naming_the_field(personas, api, change, field) -> None:
    rule = _rule()
    before = _state(rule)
    answer = api(personas.manager).patch(
        f"/api/v1/reminder-rules/{rule.pk}/", {**change, "version": rule.version}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    assert _state(rule) == before

    page = Client()
    page.force_login(personas.manager)
    form = {
        "enabled": "on",
        "lead_days": "90, 30",
        "recipients": ["owner"],
        "escalate_after_days": "",
        "version": rule.version,
    }
    for name, value in change.items():
        if name == "escalate":
            form["escalate"] = "on"
        elif isinstance(value, list) and name == "lead_days":
            form[name] = ", ".join(str(v) for v in value)
        elif isinstance(value, list):
            form[name] = [str(v) for v in value]
        else:
            form[name] = "" if value is None else str(value)
    response = page.post(f"/reminders/rules/{rule.pk}/", form)
    assert response.status_code == 200, response.status_code
    form_errors = response.context["form"].errors
    assert field in form_errors, (field, form_errors)
    assert _state(rule) == before


def test_the_rules_page_lists_every_kind_and_a_manager_edits_one(personas) -> None:
    rule = _rule()
    page = Client()
    page.force_login(personas.manager)
    html = page.get("/reminders/rules/").content.decode()
    assert "Agreement expiry" in html and "Notice deadline" in html and "Edit" in html
    response = page.post(
        f"/reminders/rules/{rule.pk}/",
        {
            "enabled": "on",
            "lead_days": "45, 10, 0",
            "recipients": ["owner", "managers"],
            "escalate": "on",
            "escalate_after_days": "3",
            "version": rule.version,
        },
    )
    assert response.status_code == 302
    assert _state(rule)[1:] == (True, [45, 10, 0], ["owner", "managers"], True, 3)
    detail = page.get(f"/reminders/rules/{rule.pk}/").content.decode()
    assert "45, 10, 0" in detail and "samuel" in detail  # the history shows who


def test_others_see_the_rules_read_only(personas) -> None:
    rule = _rule()
    page = Client()
    page.force_login(personas.lo)
    html = page.get(f"/reminders/rules/{rule.pk}/").content.decode()
    assert "Managers change reminder rules." in html and "Save rule" not in html
    assert "Edit</a>" not in page.get("/reminders/rules/").content.decode()


def test_a_stale_edit_on_the_page_keeps_what_was_typed(personas) -> None:
    rule = _rule()
    page = Client()
    page.force_login(personas.manager)
    response = page.post(
        f"/reminders/rules/{rule.pk}/",
        {"lead_days": "5", "recipients": ["owner"], "version": rule.version + 3},
    )
    assert response.status_code == 200
    assert "Your unsaved values" in response.content.decode()
    assert _state(rule)[2] == [90, 60, 30, 7, 0]


def test_the_admin_changes_a_rule_through_the_service_and_refuses_bad_input(personas) -> None:
    rule = _rule()
    page = Client()
    page.force_login(personas.admin)
    url = f"/admin/accord/reminderrule/{rule.pk}/change/"
    assert page.get(url).status_code == 200
    form = {
        "enabled": "on",
        "lead_days": "[30, -2]",
        "recipients": '["owner"]',
        "escalate_after_days": "",
        "version": rule.version,
    }
    refused = page.post(url, form)
    assert refused.status_code == 200 and "between 0 and 3,650" in refused.content.decode()
    assert _state(rule)[2] == [90, 60, 30, 7, 0]
    saved = page.post(url, {**form, "lead_days": "[30, 2]"})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert _state(rule)[2] == [30, 2]
    assert rule.history.first().history_user == personas.admin
    assert page.get("/admin/accord/reminderrule/add/").status_code == 403


# What is typed on the page, the same value as the API receives it, and what both must say.
SAME_WORDS = [
    ("-1", [-1], "lead_days", "A lead time must be between 0 and 3,650 days, not -1."),
    ("90, -1", [90, -1], "lead_days", "A lead time must be between 0 and 3,650 days, not -1."),
    (
        "90,,30",
        [90, None, 30],
        "lead_days",
        "Lead time 2 of 3 is empty: give whole days separated by commas, e.g. 90, 30, 7, 0.",
    ),
    (
        "90, 30,",
        [90, 30, ""],
        "lead_days",
        "Lead time 3 of 3 is empty: give whole days separated by commas, e.g. 90, 30, 7, 0.",
    ),
    ("", [], "lead_days", "Give at least one lead time, in days before the date."),
    ("1.5", [1.5], "lead_days", "A lead time must be a whole number of days, not “1.5”."),
    ("30, 30", [30, 30], "lead_days", "Each lead time once: 30 is given twice."),
    (
        "-3",
        -3,
        "escalate_after_days",
        "The escalation delay must be between 1 and 3,650 days, not -3.",
    ),
]


@pytest.mark.parametrize(("typed", "sent", "field", "message"), SAME_WORDS)
def test_the_page_and_the_api_refuse_a_rule_in_the_same_words(
    personas, api, typed, sent, field, message
) -> None:
    rule = _rule()
    before = _state(rule)
    answer = api(personas.manager).patch(
        f"/api/v1/reminder-rules/{rule.pk}/", {field: sent, "version": rule.version}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()[field] == [message]

    page = Client()
    page.force_login(personas.manager)
    form = {
        "enabled": "on",
        "lead_days": "90, 30",
        "recipients": ["owner"],
        "escalate_after_days": "",
        "version": rule.version,
        field: typed,
    }
    response = page.post(f"/reminders/rules/{rule.pk}/", form)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert _state(rule) == before
