from __future__ import annotations

from datetime import date

import pytest
import yaml
from django.core.exceptions import PermissionDenied

from checklists.exceptions import ChecklistsError
from checklists.models import Assessment, ItemResponse
from checklists.selectors import assessment_score
from checklists.services import (
    assessment_approve,
    assessment_clone,
    assessment_create,
    assessment_submit,
    assessment_upgrade,
    responses_update,
    template_load,
)

ITEMS = [
    {
        "code": "A-1",
        "area": "communications",
        "requirement": "Secure voice.",
        "criticality": "high",
        "weight": 3,
    },
    {
        "code": "A-2",
        "area": "communications",
        "requirement": "Call signs.",
        "criticality": "low",
        "weight": 1,
    },
    {
        "code": "B-1",
        "area": "legal_roe",
        "requirement": "Legal basis.",
        "criticality": "high",
        "weight": 2,
    },
    {
        "code": "B-2",
        "area": "legal_roe",
        "requirement": "Claims.",
        "criticality": "medium",
        "weight": 2,
    },
]


def load(version: int = 1, items: list | None = None):
    document = {
        "urn": "urn:accord:test:scores",
        "version": version,
        "title": "Scores",
        "provider": "tests",
        "items": items or ITEMS,
    }
    return template_load(content=yaml.safe_dump(document)).template


def answer(assessment, by, **results: str) -> None:
    versions = {r.item.code: r.version for r in assessment.responses.select_related("item")}
    responses_update(
        assessment=assessment,
        by=by,
        changes=[
            {
                "code": code.replace("_", "-"),
                "result": result,
                "version": versions[code.replace("_", "-")],
                "evidence_text": "Seen on site.",
            }
            for code, result in results.items()
        ],
    )


@pytest.fixture
def assessment(personas):
    return assessment_create(by=personas.lo, partner=personas.colombia, template=load())


def test_a_new_assessment_has_one_unanswered_response_per_item(assessment) -> None:
    assert assessment.responses.count() == 4
    score = assessment_score(assessment)
    assert (score.overall, score.completion, score.level) == (0.0, 0.0, 0)


def test_the_weighted_score_counts_partial_as_half_and_leaves_out_not_applicable(
    assessment, personas
) -> None:
    answer(assessment, personas.lo, A_1="met", A_2="partially_met", B_1="met", B_2="not_applicable")
    score = assessment_score(assessment)
    # (3 + 0.5 + 2) / (3 + 1 + 2) = 91.7 %
    assert score.overall == 91.7 and score.completion == 100.0 and score.level == 3
    areas = {a.area: a.score for a in score.areas}
    assert areas == {"communications": 87.5, "legal_roe": 100.0}


def test_an_unmet_high_criticality_item_caps_the_level(assessment, personas, settings) -> None:
    settings.ACCORD_LEVEL_THRESHOLDS = {3: 50, 2: 30, 1: 10}
    answer(assessment, personas.lo, A_1="not_met", A_2="met", B_1="met", B_2="met")
    score = assessment_score(assessment)
    assert score.overall == 62.5
    assert (score.level, score.capped) == (1, True)


def test_all_not_applicable_gives_no_score_rather_than_a_false_one(assessment, personas):
    answer(
        assessment,
        personas.lo,
        A_1="not_applicable",
        A_2="not_applicable",
        B_1="not_applicable",
        B_2="not_applicable",
    )
    score = assessment_score(assessment)
    assert (score.overall, score.level, score.completion) == (None, None, 100.0)


def test_a_bulk_answer_with_one_bad_item_saves_nothing(assessment, personas) -> None:
    with pytest.raises(ChecklistsError) as refused:
        responses_update(
            assessment=assessment,
            by=personas.lo,
            changes=[
                {"code": "A-1", "result": "met", "version": 1},
                {"code": "A-2", "result": "brilliant", "version": 1},
                {"code": "Z-9", "result": "met", "version": 1},
                {"code": "B-1", "remediation_due_on": date(2020, 1, 1), "version": 1},
            ],
        )
    errors = refused.value.field_errors
    assert "responses[2] (A-2).result" in errors
    assert "responses[3] (Z-9).code" in errors
    assert "responses[4] (B-1).remediation_due_on" in errors
    assert not ItemResponse.objects.exclude(result="not_assessed").exists()


def test_submit_needs_evidence_on_high_criticality_items_marked_met(assessment, personas):
    versions = {r.item.code: r.version for r in assessment.responses.select_related("item")}
    responses_update(
        assessment=assessment,
        by=personas.lo,
        changes=[
            {"code": "A-1", "result": "met", "version": versions["A-1"]},
        ],
    )
    with pytest.raises(ChecklistsError) as refused:
        assessment_submit(assessment=assessment, by=personas.lo)
    assert list(refused.value.field_errors) == ["responses (A-1).evidence_text"]
    answer(assessment, personas.lo, A_1="met")
    assert assessment_submit(assessment=assessment, by=personas.lo).status == "submitted"


def test_only_a_manager_approves_and_an_approved_assessment_is_read_only(assessment, personas):
    answer(assessment, personas.lo, A_1="met")
    assessment_submit(assessment=assessment, by=personas.lo)
    with pytest.raises(PermissionDenied):
        assessment_approve(assessment=assessment, by=personas.lo)
    approved = assessment_approve(assessment=assessment, by=personas.manager)
    assert approved.status == "approved"
    with pytest.raises(ChecklistsError, match="read-only; start a new round as a clone"):
        answer(approved, personas.lo, A_2="met")
    with pytest.raises(ChecklistsError):
        assessment_approve(assessment=approved, by=personas.manager)  # twice: nothing more


def test_a_clone_keeps_answers_and_marks_them_for_reconfirmation(assessment, personas):
    answer(assessment, personas.lo, A_1="met", B_2="not_met")
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.APPROVED)
    clone = assessment_clone(source=assessment, by=personas.lo)
    kept = {
        r.item.code: (r.result, r.needs_reconfirmation, r.evidence_text)
        for r in clone.responses.select_related("item")
    }
    assert kept["A-1"] == ("met", True, "Seen on site.")
    assert kept["A-2"] == ("not_assessed", False, "")
    assert clone.previous == assessment and clone.status == "draft"


def test_an_upgrade_carries_over_unchanged_items_only(assessment, personas) -> None:
    answer(assessment, personas.lo, A_1="met", A_2="met", B_1="met")
    items = [dict(i) for i in ITEMS]
    items[1]["requirement"] = "Call signs and channels."  # changed
    items.append(
        {"code": "C-1", "area": "medical", "requirement": "Medevac.", "criticality": "high"}
    )
    del items[3]  # B-2 removed
    report = assessment_upgrade(source=assessment, to=load(2, items), by=personas.lo)
    assert report.carried_over == ["A-1", "B-1"]
    assert report.changed == ["A-2"] and report.added == ["C-1"] and report.removed == ["B-2"]
    results = {r.item.code: r.result for r in report.assessment.responses.select_related("item")}
    assert results == {"A-1": "met", "A-2": "not_assessed", "B-1": "met", "C-1": "not_assessed"}


def test_others_cannot_answer_a_partners_assessment(assessment, personas) -> None:
    for who in (personas.other_lo, personas.manager, personas.legal_advisor):
        with pytest.raises((PermissionDenied, Exception)):
            answer(assessment, who, A_1="met")
    assert Assessment.objects.count() == 1
