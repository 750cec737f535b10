"""The checklists app's deadline kinds — remediation due and assessment due: which answers and
assessments carry each date, what the reminder says, who is reminded, moved dates."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from checklists import services
from checklists.models import Assessment, ChecklistTemplate, ItemResponse
from config.reminders.scan import scan
from tests.reminder_kinds import only_rule, reminded, sentences

REMEDIATION = "checklists.remediation_due"
ASSESSMENT = "checklists.assessment_due"
R = ItemResponse.Result
TITLE = "Colombia's Maritime counter-drug cooperation (ship-rider operations) assessment"


@pytest.fixture
def template() -> ChecklistTemplate:
    call_command("load_checklist_templates", stdout=io.StringIO())
    return ChecklistTemplate.objects.get(urn="urn:accord:checklist:maritime-counter-drug")


@pytest.fixture
def assessment(personas, template) -> Assessment:
    return services.assessment_create(
        by=personas.lo,
        partner=personas.colombia,
        template=template,
        assessor=personas.lo,
        due_on=date(2027, 3, 1),
    )


def _answer(assessment: Assessment, by, **results: tuple[str, date | None]) -> None:
    """results: item code (with _ for -) → (result, remediation due)."""
    responses = {r.item.code: r for r in assessment.responses.select_related("item")}
    changes = []
    for name, (result, due) in results.items():
        response = responses[name.replace("_", "-")]
        change = {"code": response.item.code, "version": response.version, "result": result}
        if result != R.MET:
            change.update(owner=by, remediation_plan="Agree it at the staff talks.")
        if due:
            change["remediation_due_on"] = due
        if result == R.MET:
            change["evidence_text"] = "Seen at the exercise."
        changes.append(change)
    services.responses_update(assessment=assessment, by=by, changes=changes)


def _response(assessment: Assessment, code: str) -> ItemResponse:
    return assessment.responses.get(item__code=code)


def test_unmet_and_partly_met_answers_with_a_date_are_remediation_deadlines(
    personas, assessment
) -> None:
    only_rule(REMEDIATION)
    _answer(
        assessment,
        personas.lo,
        MCD_MED_01=(R.NOT_MET, date(2027, 2, 1)),
        MCD_COM_02=(R.PARTIALLY_MET, date(2027, 2, 20)),
        MCD_CYB_01=(R.NOT_MET, None),
    )
    scan(as_of=date(2027, 1, 25))
    medical = _response(assessment, "MCD-MED-01")
    comms = _response(assessment, "MCD-COM-02")
    assert sorted(row[:4] for row in reminded(REMEDIATION)) == sorted(
        [(medical.pk, date(2027, 2, 1), 7, "maria"), (comms.pk, date(2027, 2, 20), 30, "maria")]
    )
    said = sentences(REMEDIATION, personas.lo)
    assert said == [
        f"Remediation of MCD-MED-01 in {TITLE} is due on 1 February 2027.",
        f"Remediation of MCD-COM-02 in {TITLE} is due on 20 February 2027.",
    ], said
    assert sentences(REMEDIATION, personas.other_lo) == []


def test_a_remediation_met_since_or_replaced_by_a_later_round_is_no_deadline(
    personas, assessment
) -> None:
    only_rule(REMEDIATION)
    _answer(assessment, personas.lo, MCD_MED_01=(R.NOT_MET, date(2027, 2, 1)))
    scan(as_of=date(2027, 1, 25))
    _answer(assessment, personas.lo, MCD_MED_01=(R.MET, None))
    result = scan(as_of=date(2027, 1, 26))
    assert result.cancelled == 1
    assert sentences(REMEDIATION) == []
    # A later round carries the answer forward: only its copy is a deadline.
    _answer(assessment, personas.lo, MCD_MED_01=(R.NOT_MET, date(2027, 2, 1)))
    services.assessment_submit(assessment=assessment, by=personas.lo)
    services.assessment_approve(assessment=assessment, by=personas.manager)
    follower = services.assessment_clone(source=assessment, by=personas.lo)
    items = [item.subject for item in _items(REMEDIATION)]
    assert [response["assessment_id"] for response in items] == [follower.pk]


def _items(code: str):
    from config.reminders.selectors import due_items

    return due_items(None, start=None, end=None, kind_codes=[code])


def test_the_remediation_owner_and_the_partners_officers_are_reminded(personas, assessment) -> None:
    only_rule(REMEDIATION)
    personas.colombia.liaison_officers.add(personas.other_lo)
    _answer(assessment, personas.other_lo, MCD_MED_01=(R.NOT_MET, date(2027, 2, 1)))
    scan(as_of=date(2027, 2, 1))
    assert [row[3] for row in reminded(REMEDIATION)] == ["james", "maria"]


def test_an_open_assessment_reminds_its_assessor_until_it_is_submitted(
    personas, assessment
) -> None:
    only_rule(ASSESSMENT, recipients=["owner"])
    scan(as_of=date(2027, 2, 1))
    assert reminded(ASSESSMENT) == [(assessment.pk, date(2027, 3, 1), 30, "maria", "pending")]
    assert sentences(ASSESSMENT, personas.lo) == [
        f"{TITLE} is due to be submitted on 1 March 2027."
    ]
    _answer(assessment, personas.lo, MCD_MED_01=(R.MET, None))
    services.assessment_submit(assessment=assessment, by=personas.lo)
    assert scan(as_of=date(2027, 2, 2)).cancelled == 1
    assert sentences(ASSESSMENT) == []


def test_a_moved_assessment_due_date_cancels_the_old_schedule(personas, assessment) -> None:
    only_rule(ASSESSMENT, recipients=["owner"])
    scan(as_of=date(2027, 2, 22))
    # No door edits the due date yet; the scan reads the stored date whoever moves it.
    Assessment.objects.filter(pk=assessment.pk).update(due_on=date(2027, 4, 1))
    scan(as_of=date(2027, 3, 2))
    rows = [(row[1], row[2], row[4]) for row in reminded(ASSESSMENT)]
    assert rows == [(date(2027, 3, 1), 7, "cancelled"), (date(2027, 4, 1), 30, "pending")], rows


def test_a_remediation_owner_who_left_the_portfolio_is_not_reminded(personas, assessment) -> None:
    only_rule(REMEDIATION)
    personas.colombia.liaison_officers.add(personas.other_lo)
    _answer(assessment, personas.other_lo, MCD_MED_01=(R.NOT_MET, date(2027, 2, 1)))
    personas.colombia.liaison_officers.remove(personas.other_lo)
    scan(as_of=date(2027, 2, 1))
    # James owns the remediation but no longer holds Colombia; María still does.
    assert [row[3] for row in reminded(REMEDIATION)] == ["maria"]


def test_a_second_round_of_the_same_checklist_lists_each_remediation_once_from_that_round(
    personas, assessment, template
) -> None:
    only_rule(REMEDIATION)
    _answer(assessment, personas.lo, MCD_MED_01=(R.NOT_MET, date(2027, 2, 1)))
    second = services.assessment_create(
        by=personas.lo,
        partner=personas.colombia,
        template=template,
        assessor=personas.lo,
        due_on=date(2027, 9, 1),
    )
    _answer(second, personas.lo, MCD_MED_01=(R.NOT_MET, date(2027, 6, 1)))
    said = sentences(REMEDIATION, personas.lo)
    assert said == [f"Remediation of MCD-MED-01 in {TITLE} is due on 1 June 2027."], said
    assert [item.subject["assessment_id"] for item in _items(REMEDIATION)] == [second.pk]
    # Panama's round of the same checklist is another series: both partners' items stay.
    personas.panama.liaison_officers.add(personas.lo)
    panama = services.assessment_create(
        by=personas.lo, partner=personas.panama, template=template, assessor=personas.lo
    )
    _answer(panama, personas.lo, MCD_MED_01=(R.NOT_MET, date(2027, 7, 1)))
    assert len(sentences(REMEDIATION, personas.lo)) == 2
