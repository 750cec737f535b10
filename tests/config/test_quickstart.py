from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agreements.models import Partner


@pytest.mark.django_db
def test_quickstart_prepares_demo_data_and_prints_a_login_per_role() -> None:
    out = io.StringIO()
    call_command("quickstart", "--no-serve", stdout=out)
    printed = out.getvalue()
    for username, role in [
        ("liaison", "liaison officer"),
        ("legal", "legal advisor"),
        ("manager", "manager"),
        ("admin", "administrator"),
    ]:
        assert username in printed and role in printed
    assert "accord-demo-2026" in printed
    liaison = get_user_model().objects.get(username="liaison")
    assert liaison.check_password("accord-demo-2026")
    jamaica = Partner.objects.get(name="Jamaica")
    assert liaison in jamaica.liaison_officers.all()
    coast_guard = Partner.objects.get(short_name="JDF CG")
    assert coast_guard.parent == jamaica and coast_guard.country_code == "JM"
    assert Partner.objects.filter(short_name__in=["NATO", "UNODC", "INTERPOL"]).count() == 3
    # demo assessments: Jamaica's approved round and the one after it, one waiting for approval
    from checklists.models import Assessment
    from checklists.selectors import assessment_score

    jamaica_rounds = list(Assessment.objects.filter(partner=jamaica).order_by("created_at"))
    assert [a.status for a in jamaica_rounds] == ["approved", "in_progress"]
    first, second = (assessment_score(a) for a in jamaica_rounds)
    assert first.capped and first.level == 1  # an unmet high-criticality item caps it
    assert second.level is not None and second.level > first.level
    assert Assessment.objects.filter(status="submitted").count() == 1
    assert "12 assessments" in printed


@pytest.mark.django_db
def test_the_demo_managers_heat_map_trend_and_changes_have_something_to_show() -> None:
    call_command("quickstart", "--no-serve", stdout=io.StringIO())
    from checklists.gap_reports.models import GapReport, GapReportRow
    from checklists.gap_reports.selectors import gap_report_heat_map

    manager = get_user_model().objects.get(username="manager")
    older, latest = GapReport.objects.filter(scope=GapReport.Scope.PORTFOLIO).order_by("as_of")
    assert latest.previous == older and latest.status == older.status == GapReport.Status.DONE
    heat = gap_report_heat_map(latest, manager)
    levels = {p["name"]: p["level"] for p in heat.partners}
    assert len(levels) >= 6, levels
    assert set(levels.values()) == {0, 1, 2, 3}, levels  # every level, from real checklists
    assert len(heat.areas) == 11 and len(heat.cells) >= 6 * 11
    before = {
        row.data["partner_name"]: row.data["level"]
        for row in older.rows.filter(kind="partner_score")
    }
    assert before != levels and len(before) >= 6  # both editions scored, and they differ
    changes = set(
        latest.rows.filter(section=GapReportRow.Section.CHANGES).values_list("kind", flat=True)
    )
    assert {"new", "closed", "level"} <= changes, changes


@pytest.mark.django_db
def test_running_quickstart_twice_duplicates_nothing() -> None:
    call_command("quickstart", "--no-serve", stdout=io.StringIO())
    from checklists.models import Assessment, ItemResponse

    def counts() -> tuple[int, ...]:
        return (
            Partner.objects.count(),
            get_user_model().objects.count(),
            Partner.history.count(),
            Assessment.objects.count(),
            ItemResponse.history.count(),
        )

    before = counts()
    out = io.StringIO()
    call_command("quickstart", "--no-serve", stdout=out)
    assert counts() == before
    assert "0 demo partners added" in out.getvalue() and "0 assessments" in out.getvalue()


@pytest.mark.django_db
def test_a_demo_user_who_changed_their_password_keeps_it() -> None:
    call_command("quickstart", "--no-serve", stdout=io.StringIO())
    legal = get_user_model().objects.get(username="legal")
    legal.set_password("a-better-password-of-my-own")
    legal.save()
    out = io.StringIO()
    call_command("quickstart", "--no-serve", stdout=out)
    legal.refresh_from_db()
    assert legal.check_password("a-better-password-of-my-own")
    assert "(changed)" in out.getvalue()


@pytest.mark.django_db
def test_a_first_edit_of_a_demo_agreement_shows_only_what_was_changed() -> None:
    from agreements.models import Agreement
    from agreements.services import agreement_update
    from config.history import history_entries

    call_command("quickstart", "--no-serve", stdout=io.StringIO())
    agreement = Agreement.objects.exclude(activity_types=None).exclude(owner=None).first()
    assert agreement is not None
    agreement_update(
        agreement=agreement,
        by=agreement.owner,
        version=agreement.version,
        summary="Reviewed with the coast guard.",
    )
    latest = history_entries(agreement)[0]
    assert latest.by.endswith(f"({agreement.owner.username})")
    assert [change.field for change in latest.changes] == ["summary"]


@pytest.mark.django_db
def test_each_demo_persona_opens_onto_a_desk_with_due_and_overdue_items_of_several_kinds() -> None:
    from django.utils import timezone

    from config.desk import desk_context

    call_command("quickstart", "--no-serve", stdout=io.StringIO())
    users = get_user_model().objects
    for username in ("liaison", "liaison.pacific", "legal", "manager", "admin"):
        desk = desk_context(users.get(username=username), today=timezone.localdate())
        ahead = desk["soon"] if desk["view"] == "manager" else desk["upcoming"]
        kinds = {line.item.kind.code for line in desk["overdue"] + ahead}
        assert desk["overdue"] and ahead and len(kinds) >= 3, (username, sorted(kinds))
    legal = desk_context(users.get(username="legal"), today=timezone.localdate())
    (queue,) = legal["panels"]
    assert [m.title for m in queue["mandates"]] == ["Building partner capacity (10 U.S.C. 333)"]


@pytest.mark.django_db
def test_each_demo_persona_finds_todays_reminders_in_the_inbox_armed_once() -> None:
    from config.reminders.models import Reminder

    call_command("quickstart", "--no-serve", stdout=io.StringIO())
    users = get_user_model().objects
    for username in ("liaison", "legal", "manager"):
        mine = Reminder.objects.filter(recipient=users.get(username=username))
        assert mine.filter(status=Reminder.Status.PENDING).exists(), username
    armed = Reminder.objects.count()
    out = io.StringIO()
    call_command("quickstart", "--no-serve", stdout=out)
    assert Reminder.objects.count() == armed
    assert "0 reminders armed" in out.getvalue()
