"""Issue 9, checklists: re-confirming carried-over answers, returning a submitted assessment
with a note, and the wording of the editor, the comparison and the submit refusal."""

from __future__ import annotations

import pytest
import yaml
from django.core.exceptions import PermissionDenied
from django.test import Client

from checklists.exceptions import ChecklistsError
from checklists.models import Assessment, ItemResponse
from checklists.services import (
    assessment_approve,
    assessment_clone,
    assessment_create,
    assessment_return,
    assessment_submit,
    response_confirm,
    responses_confirm_area,
    responses_update,
    template_load,
)
from config.errors import StaleVersionError
from config.history import history_entries

URL = "/api/v1/assessments/"
ITEMS = [
    {"code": "RC-COM-1", "area": "communications", "requirement": "Voice.", "criticality": "low"},
    {"code": "RC-COM-2", "area": "communications", "requirement": "Data.", "criticality": "low"},
    {"code": "RC-COM-3", "area": "communications", "requirement": "Keys.", "criticality": "low"},
    {"code": "RC-LEG-1", "area": "legal_roe", "requirement": "Basis.", "criticality": "high"},
]


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def template():
    document = {
        "urn": "urn:accord:test:reconfirm",
        "version": 1,
        "title": "Re-confirm",
        "provider": "tests",
        "items": ITEMS,
    }
    return template_load(content=yaml.safe_dump(document)).template


def answer(assessment, by, **results: str) -> None:
    versions = {r.item.code: r.version for r in assessment.responses.select_related("item")}
    responses_update(
        assessment=assessment,
        by=by,
        changes=[
            {"code": code, "result": result, "version": versions[code], "evidence_text": "Seen."}
            for code, result in results.items()
        ],
    )


def submitted(personas) -> Assessment:
    assessment = assessment_create(
        by=personas.lo, partner=personas.colombia, template=template(), assessor=personas.lo
    )
    answer(assessment, personas.lo, **{"RC-COM-1": "met", "RC-LEG-1": "met"})
    return assessment_submit(assessment=assessment, by=personas.lo)


@pytest.fixture
def cloned(personas) -> Assessment:
    """Round 2: round 1 answered (RC-COM-3 left unanswered), approved, then cloned."""
    first = assessment_create(by=personas.lo, partner=personas.colombia, template=template())
    answer(
        first,
        personas.lo,
        **{"RC-COM-1": "met", "RC-COM-2": "partially_met", "RC-LEG-1": "met"},
    )
    assessment_submit(assessment=first, by=personas.lo)
    assessment_approve(assessment=first, by=personas.manager)
    return assessment_clone(source=first, by=personas.lo)


def response(assessment, code) -> ItemResponse:
    return assessment.responses.get(item__code=code)


def answer_entries(assessment, code) -> list:
    return [e for e in history_entries(assessment) if e.subject == f"Answer {code}"]


# Re-confirming one answer


def test_the_confirm_control_confirms_a_carried_over_answer_with_one_save_in_the_history(
    personas, cloned
) -> None:
    before = response(cloned, "RC-COM-2")
    assert before.needs_reconfirmation and before.result == "partially_met"
    client = browser_as(personas.lo)
    page = client.get(f"/assessments/{cloned.pk}/").content.decode()
    assert f"/assessments/{cloned.pk}/items/RC-COM-2/confirm/" in page
    assert "Confirm “partially met”" in page

    html = client.post(
        f"/assessments/{cloned.pk}/items/RC-COM-2/confirm/",
        {"version": before.version},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Saved" in html and "re-confirm" not in html
    after = response(cloned, "RC-COM-2")
    assert (after.result, after.needs_reconfirmation) == ("partially_met", False)
    assert after.version == before.version + 1  # one save
    entries = answer_entries(cloned, "RC-COM-2")
    assert len(entries) == 1
    assert entries[0].reason == "Confirmed unchanged from the round before."
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [
        ("Needs reconfirmation", "yes", "no")
    ]

    # twice: nothing more (even with the version the page had)
    again = client.post(
        f"/assessments/{cloned.pk}/items/RC-COM-2/confirm/", {"version": before.version}
    ).content.decode()
    assert "Not saved" not in again
    assert response(cloned, "RC-COM-2").version == after.version
    assert len(answer_entries(cloned, "RC-COM-2")) == 1


def test_confirming_an_answer_changed_since_it_was_loaded_is_refused(personas, cloned) -> None:
    row = response(cloned, "RC-COM-1")
    responses_update(
        assessment=cloned,
        by=personas.lo,
        changes=[{"code": "RC-COM-1", "version": row.version, "evidence_text": "New log."}],
    )
    with pytest.raises(StaleVersionError):
        response_confirm(assessment=cloned, by=personas.lo, code="RC-COM-1", version=row.version)
    assert response(cloned, "RC-COM-1").needs_reconfirmation


def test_only_the_partners_liaison_officers_confirm(personas, cloned) -> None:
    row = response(cloned, "RC-COM-1")
    for who in (personas.manager, personas.legal_advisor):
        with pytest.raises(PermissionDenied):
            response_confirm(assessment=cloned, by=who, code="RC-COM-1", version=row.version)
        reply = browser_as(who).post(
            f"/assessments/{cloned.pk}/items/RC-COM-1/confirm/", {"version": row.version}
        )
        assert reply.status_code == 403
    assert (
        browser_as(personas.other_lo)
        .post(f"/assessments/{cloned.pk}/items/RC-COM-1/confirm/", {"version": row.version})
        .status_code
        == 404
    )
    assert response(cloned, "RC-COM-1").needs_reconfirmation


# Confirming every unchanged answer of an area


def test_confirm_all_confirms_the_unchanged_answers_of_one_area_only(personas, cloned) -> None:
    answer(cloned, personas.lo, **{"RC-COM-2": "met"})  # changed: no longer to re-confirm
    client = browser_as(personas.lo)
    page = client.get(f"/assessments/{cloned.pk}/").content.decode()
    communications, legal = page.split('id="area-legal_roe"')
    # one each: RC-COM-1 (RC-COM-2 was changed, RC-COM-3 never answered) and RC-LEG-1
    assert 'title="1 answer to re-confirm when the page was loaded"' in communications
    assert 'title="1 answer to re-confirm when the page was loaded"' in legal
    versions = {
        r.item.code: r.version for r in cloned.responses.select_related("item").order_by("pk")
    }

    reply = client.post(
        f"/assessments/{cloned.pk}/confirm-area/",
        {"area": "communications", "version:RC-COM-1": versions["RC-COM-1"]},
        follow=True,
    )
    assert "Confirmed 1 unchanged answer in Communications." in reply.content.decode()
    assert not response(cloned, "RC-COM-1").needs_reconfirmation
    assert response(cloned, "RC-LEG-1").needs_reconfirmation  # another area: untouched
    assert response(cloned, "RC-COM-1").version == versions["RC-COM-1"] + 1
    own = [e for e in history_entries(cloned) if not e.subject and "Confirmed" in e.reason]
    assert [e.reason for e in own] == ["Confirmed 1 unchanged answer in Communications: RC-COM-1."]
    assert "(all unchanged in Communications)" in answer_entries(cloned, "RC-COM-1")[0].reason

    again = client.post(
        f"/assessments/{cloned.pk}/confirm-area/", {"area": "communications"}, follow=True
    ).content.decode()
    assert "Nothing left to confirm in Communications." in again
    assert response(cloned, "RC-COM-1").version == versions["RC-COM-1"] + 1
    assert len([e for e in history_entries(cloned) if "Confirmed 1" in e.reason]) == 1


def test_confirm_all_is_all_or_nothing_when_one_answer_changed_since_it_was_shown(
    personas, cloned
) -> None:
    shown = {r.item.code: r.version for r in cloned.responses.select_related("item")}
    responses_update(  # someone adds evidence to RC-COM-2 meanwhile; it still needs confirming
        assessment=cloned,
        by=personas.lo,
        changes=[{"code": "RC-COM-2", "version": shown["RC-COM-2"], "evidence_text": "New."}],
    )
    with pytest.raises(StaleVersionError):
        responses_confirm_area(
            assessment=cloned, by=personas.lo, area="communications", versions=shown
        )
    assert response(cloned, "RC-COM-1").needs_reconfirmation  # nothing half-written
    page = browser_as(personas.lo).post(
        f"/assessments/{cloned.pk}/confirm-area/",
        {"area": "communications", **{f"version:{c}": v for c, v in shown.items()}},
        follow=True,
    )
    assert "Nothing was confirmed." in page.content.decode()
    assert response(cloned, "RC-COM-1").needs_reconfirmation


def test_confirm_all_through_the_api_names_a_bad_area_and_refuses_others(
    personas, api, cloned
) -> None:
    client = api(personas.lo)
    bad = client.post(f"{URL}{cloned.pk}/confirm/", {"area": "cooking"}, format="json")
    assert bad.status_code == 400 and "area" in bad.json()
    missing = client.post(f"{URL}{cloned.pk}/confirm/", {}, format="json")
    assert missing.status_code == 400 and "area" in missing.json()
    assert (
        api(personas.manager)
        .post(f"{URL}{cloned.pk}/confirm/", {"area": "communications"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(personas.other_lo)
        .post(f"{URL}{cloned.pk}/confirm/", {"area": "communications"}, format="json")
        .status_code
        == 404
    )

    done = client.post(f"{URL}{cloned.pk}/confirm/", {"area": "communications"}, format="json")
    assert done.status_code == 200
    assert sorted(r["code"] for r in done.json()) == ["RC-COM-1", "RC-COM-2"]
    assert all(not r["needs_reconfirmation"] for r in done.json())
    twice = client.post(f"{URL}{cloned.pk}/confirm/", {"area": "communications"}, format="json")
    assert twice.status_code == 200 and twice.json() == []
    reasons = [e["reason"] for e in client.get(f"{URL}{cloned.pk}/history/").json()]
    assert "Confirmed 2 unchanged answers in Communications: RC-COM-1, RC-COM-2." in reasons


def test_confirm_all_with_stale_versions_answers_409_through_the_api(personas, api, cloned):
    row = response(cloned, "RC-COM-1")
    reply = api(personas.lo).post(
        f"{URL}{cloned.pk}/confirm/",
        {"area": "communications", "versions": {"RC-COM-1": row.version + 5}},
        format="json",
    )
    assert reply.status_code == 409
    assert response(cloned, "RC-COM-1").needs_reconfirmation


# Returning a submitted assessment to its assessor


def test_a_manager_returns_a_submitted_assessment_with_a_note(personas) -> None:
    assessment = submitted(personas)
    client = browser_as(personas.manager)
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "Return to assessor" in page and 'name="note"' in page

    reply = client.post(
        f"/assessments/{assessment.pk}/return/",
        {"note": "Attach the radio check log for RC-COM-1."},
        follow=True,
    )
    assert "Returned to the assessor with your note." in reply.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "in_progress" and assessment.submitted_at is None
    assert assessment.returned_note == "Attach the radio check log for RC-COM-1."
    newest = history_entries(assessment)[0]
    assert newest.by.endswith("(samuel)") and not newest.subject
    assert newest.reason == "Returned to the assessor: Attach the radio check log for RC-COM-1."
    assert ("Status", "Submitted", "In progress") in [
        (c.label, c.old, c.new) for c in newest.changes
    ]

    # the assessor sees the note and can answer again; submitting again clears it
    lo_page = browser_as(personas.lo).get(f"/assessments/{assessment.pk}/").content.decode()
    assert "Returned by the manager:" in lo_page and "radio check log" in lo_page
    assert 'type="radio"' in lo_page
    resubmitted = assessment_submit(assessment=assessment, by=personas.lo)
    assert resubmitted.returned_note == ""
    assert (
        "Returned by the manager:"
        not in browser_as(personas.lo).get(f"/assessments/{assessment.pk}/").content.decode()
    )


def test_returning_needs_a_note_and_a_submitted_assessment(personas) -> None:
    assessment = submitted(personas)
    for note in ("", "   "):
        with pytest.raises(ChecklistsError) as refused:
            assessment_return(assessment=assessment, by=personas.manager, note=note)
        assert "note" in refused.value.field_errors
    page = browser_as(personas.manager).post(
        f"/assessments/{assessment.pk}/return/", {"note": ""}, follow=True
    )
    assert "a note is required" in page.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "submitted"

    assessment_return(assessment=assessment, by=personas.manager, note="Add evidence.")
    with pytest.raises(ChecklistsError, match="Only a submitted assessment"):  # twice
        assessment_return(assessment=assessment, by=personas.manager, note="Add evidence.")
    returns = [e for e in history_entries(assessment) if e.reason.startswith("Returned")]
    assert len(returns) == 1


def test_liaison_officers_and_legal_advisors_cannot_return_an_assessment(personas, api) -> None:
    assessment = submitted(personas)
    for who in (personas.lo, personas.legal_advisor):
        with pytest.raises(PermissionDenied):
            assessment_return(assessment=assessment, by=who, note="Please redo.")
        assert (
            browser_as(who)
            .post(f"/assessments/{assessment.pk}/return/", {"note": "Please redo."})
            .status_code
            == 403
        )
        page = browser_as(who).get(f"/assessments/{assessment.pk}/").content.decode()
        assert "Return to assessor" not in page
        reply = api(who).post(
            f"{URL}{assessment.pk}/return/", {"note": "Please redo."}, format="json"
        )
        assert reply.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.returned_note == ""


def test_a_manager_returns_an_assessment_through_the_api(personas, api) -> None:
    assessment = submitted(personas)
    client = api(personas.manager)
    missing = client.post(f"{URL}{assessment.pk}/return/", {}, format="json")
    assert missing.status_code == 400 and "note" in missing.json()
    blank = client.post(f"{URL}{assessment.pk}/return/", {"note": "  "}, format="json")
    assert blank.status_code == 400 and "note" in blank.json()
    done = client.post(f"{URL}{assessment.pk}/return/", {"note": "Add the log."}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "in_progress" and done.json()["returned_note"] == "Add the log."
    twice = client.post(f"{URL}{assessment.pk}/return/", {"note": "Add the log."}, format="json")
    assert twice.status_code == 400 and "status" in twice.json()


# Wording


def test_a_submit_refusal_names_each_item_and_links_to_it(personas) -> None:
    assessment = assessment_create(by=personas.lo, partner=personas.colombia, template=template())
    row = response(assessment, "RC-LEG-1")
    responses_update(
        assessment=assessment,
        by=personas.lo,
        changes=[{"code": "RC-LEG-1", "version": row.version, "result": "met"}],
    )
    page = (
        browser_as(personas.lo)
        .post(f"/assessments/{assessment.pk}/submit/", {"incomplete_ok": "1"}, follow=True)
        .content.decode()
    )
    assert (
        f'<a href="/assessments/{assessment.pk}/#item-RC-LEG-1">RC-LEG-1</a> is marked met but '
        "has no evidence"
    ) in page
    assert "responses (RC-LEG-1)" not in page
    assessment.refresh_from_db()
    assert assessment.status == "in_progress"


def test_the_comparison_says_round_1_to_round_2_with_result_labels(personas, cloned) -> None:
    answer(cloned, personas.lo, **{"RC-COM-2": "met"})
    html = (
        browser_as(personas.manager)
        .get(f"/assessments/{cloned.previous_id}/compare/{cloned.pk}/")
        .content.decode()
    )
    assert ">round 1</a> → <a" in html and ">round 2</a>" in html
    assert "Partially met" in html and "partially_met" not in html
    assert "Not assessed" in html and "not_assessed" not in html
    editor = browser_as(personas.lo).get(f"/assessments/{cloned.pk}/").content.decode()
    assert "round 2" in editor and "compare with round 1" in editor


def test_rounds_follow_the_creation_order_of_the_partners_assessments_of_that_template(
    personas, cloned
) -> None:
    from checklists.selectors import assessment_rounds

    third = assessment_create(by=personas.lo, partner=personas.colombia, template=cloned.template)
    other_partner = assessment_create(
        by=personas.lo, partner=personas.colombian_navy, template=cloned.template
    )
    rounds = assessment_rounds([cloned.previous, cloned, third, other_partner])
    assert [rounds[a.pk] for a in (cloned.previous, cloned, third, other_partner)] == [1, 2, 3, 1]


def test_the_editor_shows_the_assessor_and_owners_by_full_name_and_has_a_skip_link(
    personas,
) -> None:
    assessment = submitted(personas)
    html = browser_as(personas.manager).get(f"/assessments/{assessment.pk}/").content.decode()
    assert "assessor: María Ortega" in html
    assert '<a class="skip-link" href="#item-RC-COM-1">Skip to the first item</a>' in html
    assert 'id="item-RC-COM-1"' in html


def test_a_new_assessment_names_its_assessor_by_full_name_defaulting_to_the_signed_in_lo(
    personas,
) -> None:
    template()
    client = browser_as(personas.lo)
    form = client.get(f"/partners/{personas.colombia.pk}/assessments/new/").content.decode()
    assert f'<option value="{personas.lo.pk}" selected>María Ortega</option>' in form
    assert f'<option value="{personas.other_lo.pk}">James Tane</option>' in form


def test_submitting_with_items_not_assessed_asks_first(personas) -> None:
    assessment = assessment_create(by=personas.lo, partner=personas.colombia, template=template())
    client = browser_as(personas.lo)
    asked = client.post(f"/assessments/{assessment.pk}/submit/")
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "not assessed" in text and "Submit anyway" in text
    assessment.refresh_from_db()
    assert assessment.status == "draft"
    client.post(f"/assessments/{assessment.pk}/submit/", {"incomplete_ok": "1"})
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
