from __future__ import annotations

import io

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from checklists.models import Assessment, ChecklistTemplate

URL = "/api/v1/assessments/"


@pytest.fixture
def library(db) -> ChecklistTemplate:
    call_command("load_checklist_templates", stdout=io.StringIO())
    return ChecklistTemplate.objects.get(urn="urn:accord:checklist:maritime-counter-drug")


@pytest.fixture
def assessment(personas, api, library) -> dict:
    response = api(personas.lo).post(URL, {"partner": personas.colombia.pk, "template": library.pk})
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_liaison_officer_assesses_a_partner_of_their_portfolio(personas, api, assessment):
    assert assessment["status"] == "draft" and assessment["partner_name"] == "Colombia"
    assert api(personas.other_lo).get(f"{URL}{assessment['id']}/").status_code == 404
    refused = api(personas.other_lo).post(
        URL, {"partner": personas.colombia.pk, "template": assessment["template"]}
    )
    assert refused.status_code == 400 and "partner" in refused.json()
    assert api(personas.manager).get(f"{URL}{assessment['id']}/score/").status_code == 200


def test_answers_are_saved_in_bulk_and_the_score_follows(personas, api, assessment) -> None:
    client = api(personas.lo)
    rows = client.get(f"{URL}{assessment['id']}/responses/").json()
    assert len(rows) == 21
    changes = [
        {"code": r["code"], "version": r["version"], "result": "met", "evidence_text": "Checked."}
        for r in rows[:5]
    ]
    response = client.patch(f"{URL}{assessment['id']}/responses/", changes)
    assert response.status_code == 200, response.json()
    score = client.get(f"{URL}{assessment['id']}/score/").json()
    assert score["completion"] == pytest.approx(23.8)
    assert score["overall"] > 0 and {a["area"] for a in score["areas"]} >= {"legal_roe"}
    stale = client.patch(f"{URL}{assessment['id']}/responses/", changes[:1])
    assert stale.status_code == 409


def test_a_bad_answer_names_the_item_and_field(personas, api, assessment) -> None:
    response = api(personas.lo).patch(
        f"{URL}{assessment['id']}/responses/",
        [
            {"code": "MCD-LEG-01", "version": 1, "result": "excellent"},
        ],
    )
    assert response.status_code == 400
    assert "not a valid choice" in response.json()["responses[1] (MCD-LEG-01).result"][0]


@pytest.mark.parametrize("who", ["legal_advisor", "manager", "other_lo"])
def test_only_the_portfolios_liaison_officers_answer(personas, api, assessment, who) -> None:
    response = api(getattr(personas, who)).patch(
        f"{URL}{assessment['id']}/responses/",
        [{"code": "MCD-LEG-01", "version": 1, "result": "met"}],
    )
    assert response.status_code in {403, 404}


def test_submit_approve_and_clone_through_the_api(personas, api, assessment) -> None:
    lo, manager = api(personas.lo), api(personas.manager)
    assert manager.post(f"{URL}{assessment['id']}/approve/").status_code == 400  # not submitted
    assert lo.post(f"{URL}{assessment['id']}/submit/").json()["status"] == "submitted"
    assert lo.post(f"{URL}{assessment['id']}/approve/").status_code == 403
    assert manager.post(f"{URL}{assessment['id']}/approve/").json()["status"] == "approved"
    clone = lo.post(f"{URL}{assessment['id']}/clone/")
    assert clone.status_code == 201 and clone.json()["previous"] == assessment["id"]
    assert Assessment.objects.count() == 2


def test_administrators_upload_templates_and_bad_yaml_names_the_item(personas, api, db):
    good = yaml.safe_dump(
        {
            "urn": "urn:x",
            "version": 1,
            "title": "X",
            "provider": "P",
            "items": [{"code": "X-1", "area": "cyber", "requirement": "r", "criticality": "low"}],
        }
    )
    upload = SimpleUploadedFile("x.yaml", good.encode(), "application/yaml")
    assert (
        api(personas.lo)
        .post("/api/v1/checklist-templates/", {"file": upload}, format="multipart")
        .status_code
        == 403
    )
    upload.seek(0)
    created = api(personas.admin).post(
        "/api/v1/checklist-templates/", {"file": upload}, format="multipart"
    )
    assert created.status_code == 201 and created.json()["item_count"] == 1
    bad = yaml.safe_dump(
        {
            "urn": "urn:y",
            "version": 1,
            "title": "Y",
            "provider": "P",
            "items": [{"code": "Y-1", "area": "space", "requirement": "r", "criticality": "low"}],
        }
    )
    refused = api(personas.admin).post(
        "/api/v1/checklist-templates/",
        {"file": SimpleUploadedFile("y.yaml", bad.encode(), "application/yaml")},
        format="multipart",
    )
    assert refused.status_code == 400
    assert "Unknown area" in refused.json()["items[1] (Y-1).area"][0]


def test_two_assessments_compare_per_item_and_area(personas, api, assessment) -> None:
    client = api(personas.lo)
    rows = client.get(f"{URL}{assessment['id']}/responses/").json()
    versions = {r["code"]: r["version"] for r in rows}
    client.patch(
        f"{URL}{assessment['id']}/responses/",
        [
            {"code": "MCD-LEG-01", "version": versions["MCD-LEG-01"], "result": "partially_met"},
            {
                "code": "MCD-COM-01",
                "version": versions["MCD-COM-01"],
                "result": "met",
                "evidence_text": "Log.",
            },
        ],
    )
    second = client.post(
        URL, {"partner": personas.colombia.pk, "template": assessment["template"]}
    ).json()
    rows = {r["code"]: r["version"] for r in client.get(f"{URL}{second['id']}/responses/").json()}
    client.patch(
        f"{URL}{second['id']}/responses/",
        [
            {
                "code": "MCD-LEG-01",
                "version": rows["MCD-LEG-01"],
                "result": "met",
                "evidence_text": "Matrix.",
            },
            {"code": "MCD-COM-01", "version": rows["MCD-COM-01"], "result": "not_met"},
        ],
    )
    body = client.get(f"{URL}{second['id']}/compare/", {"with": assessment["id"]}).json()
    changes = {i["code"]: i["change"] for i in body["items"]}
    assert changes["MCD-LEG-01"] == "better" and changes["MCD-COM-01"] == "worse"
    assert changes["MCD-DOC-01"] == "unchanged"
    areas = {a["area"]: a["change"] for a in body["areas"]}
    assert areas["legal_roe"] == "better" and areas["communications"] == "worse"
    assert client.get(f"{URL}{second['id']}/compare/", {"with": "x"}).status_code == 400
    page = api(personas.lo)
    scores = page.get(f"{URL}scores/").json()
    assert {row["assessment"] for row in scores} == {assessment["id"], second["id"]}
    assert page.get(f"{URL}scores/", {"status": "lost"}).status_code == 400


def test_the_compare_page_shows_better_and_worse(personas, assessment) -> None:
    from django.test import Client

    from checklists.models import Assessment as Model
    from checklists.services import assessment_create

    first = Model.objects.get(pk=assessment["id"])
    second = assessment_create(by=personas.lo, partner=personas.colombia, template=first.template)
    client = Client()
    client.force_login(personas.manager)
    response = client.get(f"/assessments/{second.pk}/compare/{first.pk}/")
    assert response.status_code == 200 and "By area" in response.content.decode()
