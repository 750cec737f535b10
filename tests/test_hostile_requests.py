"""Hostile requests found by trying Accord as an attacker would: each is refused with a 400 that
says what is wrong, never a 500, and nothing is written."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from agreements.models import Agreement, LegalMandate
from checklists.models import ChecklistTemplate, ItemResponse
from tests.factories import AgreementFactory, activity


def _post_json(client: APIClient, url: str, body: str):
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize("url", ["/api/v1/agreements/", "/api/v1/auth/token/"])
def test_json_nested_ten_thousand_deep_is_a_parse_error(personas, api, url) -> None:
    response = _post_json(api(personas.lo), url, "[" * 10_000 + "]" * 10_000)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/agreements/", '{"reference": "X-1", "title": "x", "kind": "\\ud800"}'),
        ("/api/v1/auth/token/", '{"username": "\\ud800", "password": "x"}'),
        ("/api/v1/partners/", '{"name": "Atlantis", "kind": "nation", "country_code": "\\udfff"}'),
    ],
)
def test_a_lone_surrogate_is_a_parse_error(personas, api, url, body) -> None:
    response = _post_json(api(personas.lo), url, body)
    assert response.status_code == 400
    assert "lone surrogate" in response.json()["detail"]
    assert not Agreement.objects.exists()


TEMPLATE = """urn: urn:accord:checklist:test
version: 1
title: Test
provider: Accord
{extra}
items:
{items}
"""
ITEM = "  - {code: T-1, area: communications, requirement: Radios, criticality: high}"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (TEMPLATE.format(extra="published_on: 2024-02-30", items=ITEM), "cannot be read"),
        (TEMPLATE.format(extra="description: !!int abc", items=ITEM), "cannot be read"),
        (TEMPLATE.format(extra="description: !!float abc", items=ITEM), "cannot be read"),
        (
            TEMPLATE.format(extra="published_on: 2024-01-01 10:00:00", items=ITEM),
            "not a date and time",
        ),
        (TEMPLATE.format(extra="", items="  {}"), "at least one item"),
        (TEMPLATE.format(extra="published_on: 0001-01-01", items=ITEM), "between 1 January 1900"),
        (
            TEMPLATE.format(
                extra="",
                items="  - {code: [A], area: communications, requirement: R, criticality: high}",
            ),
            "Must be text",
        ),
        (
            TEMPLATE.format(
                extra="", items="  - {code: A, area: [x], requirement: R, criticality: high}"
            ),
            "Must be text",
        ),
    ],
)
def test_a_template_yaml_cannot_build_is_refused_not_published(
    personas, api, document, expected
) -> None:
    upload = SimpleUploadedFile("t.yaml", document.encode(), "application/yaml")
    response = api(personas.admin).post(
        "/api/v1/checklist-templates/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert expected in json.dumps(response.json(), ensure_ascii=False)
    assert not ChecklistTemplate.objects.exists()


@pytest.fixture
def answers_url(personas, api) -> str:
    call_command("load_checklist_templates", stdout=io.StringIO())
    template = ChecklistTemplate.objects.get(urn="urn:accord:checklist:maritime-counter-drug")
    assessment = (
        api(personas.lo)
        .post("/api/v1/assessments/", {"partner": personas.colombia.pk, "template": template.pk})
        .json()
    )
    return f"/api/v1/assessments/{assessment['id']}/responses/"


def test_one_answer_changed_twice_in_one_request_is_refused(personas, api, answers_url) -> None:
    client = api(personas.lo)
    row = client.get(answers_url).json()[0]
    first = {"code": row["code"], "version": row["version"], "result": "met"}
    second = {**first, "result": "not_met"}
    response = client.patch(answers_url, [first, second])
    assert response.status_code == 400
    assert "listed twice" in response.json()[f"responses[2] ({row['code']}).code"][0]
    assert ItemResponse.objects.get(item__code=row["code"]).result == "not_assessed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "MCD-LEG-01", "version": 1, "owner": 10**30}, "owner"),
        ({"code": "MCD-LEG-01", "version": 1, "remediation_due_on": "9999-01-01"}, "remediation"),
    ],
)
def test_impossible_answer_values_name_the_field(personas, api, answers_url, body, field) -> None:
    response = api(personas.lo).patch(answers_url, [body])
    assert response.status_code == 400
    assert any(field in key for key in response.json())


def test_answers_sent_as_an_object_or_in_thousands_are_refused(personas, api, answers_url):
    client = api(personas.lo)
    as_object = client.patch(answers_url, {"code": "MCD-LEG-01", "version": 1})
    assert as_object.status_code == 400
    assert as_object.json() == {
        "responses": ["Send a list of changes, each an object with code and version."]
    }
    flood = client.patch(answers_url, [{"code": "MCD-LEG-01", "version": 1}] * 501)
    assert flood.status_code == 400
    assert "At most 500 changes at once" in flood.json()["responses"][0]


def test_the_mandate_form_refuses_an_impossible_partner_id(personas) -> None:
    client = Client()
    client.force_login(personas.legal_advisor)
    response = client.post(
        "/mandates/new/",
        {
            "title": "Boarding",
            "kind": "treaty_provision",
            "citation": "Art. 17",
            "activity_types": [activity("maritime-interdiction").pk],
            "partners": [str(10**30)],
            "valid_from": "2020-01-01",
        },
    )
    assert response.status_code == 200
    assert "partners" in response.context["form"].errors
    assert not LegalMandate.objects.exists()


@pytest.fixture
def in_force(personas) -> Agreement:
    return AgreementFactory(
        reference="SR-COL-1997-001",
        owner=personas.lo,
        status=Agreement.Status.IN_FORCE,
        signed_on=date(1997, 2, 20),
        effective_on=date(1998, 3, 10),
        parties=[personas.colombia],
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"signed_on": None}, "signed_on"),
        ({"effective_on": None}, "effective_on"),
        ({"effective_on": "2199-01-01"}, "effective_on"),
    ],
)
def test_an_agreement_in_force_keeps_the_dates_it_needed(
    personas, api, in_force, changes, field
) -> None:
    response = api(personas.lo).patch(
        f"/api/v1/agreements/{in_force.pk}/", {**changes, "version": in_force.version}
    )
    assert response.status_code == 400
    assert field in response.json()
    stored = Agreement.objects.get(pk=in_force.pk)
    assert (stored.signed_on, stored.effective_on) == (date(1997, 2, 20), date(1998, 3, 10))


def test_a_liaison_officer_cannot_hand_an_agreement_outside_its_portfolios(
    personas, api, in_force
) -> None:
    url = f"/api/v1/agreements/{in_force.pk}/"
    refused = api(personas.lo).patch(url, {"owner": personas.other_lo.pk, "version": 1})
    assert refused.status_code == 400
    assert "not a liaison officer of any party" in refused.json()["owner"][0]
    assert api(personas.other_lo).get(url).status_code == 404
    allowed = api(personas.admin).patch(url, {"owner": personas.other_lo.pk, "version": 1})
    assert allowed.status_code == 200


def test_a_second_open_round_of_one_checklist_is_refused(personas, api, answers_url) -> None:
    client = api(personas.lo)
    assessment_url = answers_url.removesuffix("responses/")
    first_round = client.get(assessment_url).json()
    for step in ("submit", "approve"):
        who = personas.lo if step == "submit" else personas.manager
        assert api(who).post(f"{assessment_url}{step}/").status_code == 200
    second = client.post(f"{assessment_url}clone/")
    assert second.status_code == 201, second.json()
    third = client.post(f"{assessment_url}clone/")
    assert third.status_code == 400
    assert "already has an open round" in third.json()["detail"]
    assert first_round["id"] != second.json()["id"]


def test_the_decision_form_names_every_missing_field_at_once(personas) -> None:
    from agreements.services import mandate_create

    mandate = mandate_create(
        by=personas.legal_advisor,
        title="Boarding",
        kind="treaty_provision",
        citation="Art. 17",
        valid_from=date(1990, 1, 1),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )
    client = Client()
    client.force_login(personas.legal_advisor)
    response = client.post(
        f"/mandates/{mandate.pk}/decide/",
        {"decision": "approved_with_conditions", "opinion": "", "version": mandate.version},
    )
    errors = response.context["decision_form"].errors
    assert "opinion" in errors and "conditions" in errors


def test_a_long_reason_is_kept_whole_in_the_history(personas, api) -> None:
    """A reason is a person's note: PostgreSQL would refuse one past 100 characters in
    simple_history's default column."""
    draft = AgreementFactory(reference="MOU-COL-2026-009", owner=personas.lo)
    note = "Talks abandoned after the ministry's review. " * 40
    response = api(personas.lo).post(
        f"/api/v1/agreements/{draft.pk}/transition/", {"to": "terminated", "note": note}
    )
    assert response.status_code == 200, response.json()
    assert draft.history.latest().history_change_reason == note.strip()
