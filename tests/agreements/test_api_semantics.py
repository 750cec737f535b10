"""What the API promised: in force for a partner means bound for that partner; every 409 carries
the current record; a legal decision names the version the advisor read."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from agreements import services
from agreements.models import Agreement, AgreementParty, LegalMandate, LegalReview
from checklists.models import ChecklistTemplate
from tests.factories import AgreementFactory, PartnerFactory, activity


@pytest.fixture
def san_jose(personas) -> Agreement:
    """A multilateral instrument: Colombia bound since 2008, Panama signed but never ratified,
    Costa Rica withdrew in 2020."""
    agreement = AgreementFactory(
        reference="TRT-SJO-2003-001",
        kind=Agreement.Kind.TREATY,
        status=Agreement.Status.IN_FORCE,
        signed_on=date(2003, 4, 10),
        effective_on=date(2008, 9, 18),
    )
    costa_rica = PartnerFactory(name="Costa Rica", country_code="CR")
    AgreementParty.objects.create(
        agreement=agreement, partner=personas.colombia, in_force_on=date(2008, 9, 18)
    )
    AgreementParty.objects.create(
        agreement=agreement,
        partner=personas.panama,
        role=AgreementParty.Role.SIGNATORY,
        signed_on=date(2003, 4, 10),
    )
    AgreementParty.objects.create(
        agreement=agreement,
        partner=costa_rica,
        in_force_on=date(2010, 1, 1),
        withdrawn_on=date(2020, 6, 1),
    )
    return agreement


def _references(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["reference"] for row in response.json()["results"]]


def test_in_force_for_a_partner_means_bound_for_that_partner(personas, api, san_jose) -> None:
    manager = api(personas.manager)
    url = "/api/v1/agreements/?in_force_on=2026-12-01"
    assert _references(manager.get(url)) == ["TRT-SJO-2003-001"]
    assert _references(manager.get(f"{url}&partner={personas.colombia.pk}")) == ["TRT-SJO-2003-001"]
    assert _references(manager.get(f"{url}&partner={personas.panama.pk}")) == []  # not ratified
    costa_rica = AgreementParty.objects.get(partner__name="Costa Rica").partner_id
    assert _references(manager.get(f"{url}&partner={costa_rica}")) == []  # withdrew
    then = "/api/v1/agreements/?in_force_on=2015-01-01"
    assert _references(manager.get(f"{then}&partner={costa_rica}")) == ["TRT-SJO-2003-001"]
    assert _references(manager.get(f"/api/v1/agreements/?partner={personas.panama.pk}")) == [
        "TRT-SJO-2003-001"
    ]  # a party to it, all the same


@pytest.fixture
def mandate(personas) -> LegalMandate:
    return services.mandate_create(
        by=personas.legal_advisor,
        title="Boarding under art. 17",
        kind=LegalMandate.Kind.TREATY_PROVISION,
        citation="1988 Convention, art. 17",
        valid_from=date(1990, 11, 11),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )


def test_a_legal_decision_must_name_the_version_read(personas, api, mandate) -> None:
    url = f"/api/v1/mandates/{mandate.pk}/reviews/"
    advisor = api(personas.legal_advisor)
    decision = {"decision": "approved", "opinion": "Article 17 suffices."}
    missing = advisor.post(url, decision)
    assert missing.status_code == 400 and "version" in missing.json()
    read = advisor.get(f"/api/v1/mandates/{mandate.pk}/").json()
    changed = advisor.patch(
        f"/api/v1/mandates/{mandate.pk}/",
        {"citation": "1988 Convention, art. 17(3)", "version": read["version"]},
    )
    assert changed.status_code == 200
    stale = advisor.post(url, {**decision, "version": read["version"]})
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == read["version"] + 1
    assert body["current"]["citation"] == "1988 Convention, art. 17(3)"
    assert not LegalReview.objects.exists()
    fresh = advisor.post(url, {**decision, "version": body["current_version"]})
    assert fresh.status_code == 201
    assert fresh.json()["mandate_version"] == body["current_version"]


def test_a_stale_checklist_answer_answers_409_with_the_answer_as_it_is(personas, api) -> None:
    call_command("load_checklist_templates", stdout=io.StringIO())
    template = ChecklistTemplate.objects.get(urn="urn:accord:checklist:maritime-counter-drug")
    client = api(personas.lo)
    assessment = client.post(
        "/api/v1/assessments/", {"partner": personas.colombia.pk, "template": template.pk}
    ).json()
    url = f"/api/v1/assessments/{assessment['id']}/responses/"
    row = client.get(url).json()[0]
    first = client.patch(url, [{"code": row["code"], "version": row["version"], "result": "met"}])
    assert first.status_code == 200
    stale = client.patch(
        url, [{"code": row["code"], "version": row["version"], "result": "not_met"}]
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "stale_version"
    assert body["current"]["code"] == row["code"]
    assert body["current"]["result"] == "met"
    assert body["current"]["version"] == body["current_version"] == row["version"] + 1
