from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from agreements.models import Agreement, LegalMandate, LegalReview, SovereigntyConstraint
from agreements.services import legal_review_decide, mandate_create
from tests.factories import AgreementFactory, activity


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def colombia_mou(personas):
    return AgreementFactory(
        reference="MOU-COL-2024-003",
        owner=personas.lo,
        parties=[personas.colombia],
        activity_types=[activity("joint-training")],
        signed_on=date(2024, 2, 1),
        effective_on=date(2024, 3, 1),
    )


@pytest.fixture
def panama_sofa(personas):
    return AgreementFactory(reference="SOFA-PAN-2002-001", parties=[personas.panama])


@pytest.mark.parametrize(
    "path",
    ["/agreements/", "/mandates/", "/legal/queue/", "/clearance/", "/coverage/"],
)
@pytest.mark.parametrize("who", ["lo", "legal_advisor", "manager", "admin"])
def test_every_role_opens_the_legal_pages(personas, path, who) -> None:
    assert browser_as(getattr(personas, who)).get(path).status_code == 200


@pytest.mark.parametrize("path", ["/agreements/", "/mandates/", "/coverage/", "/clearance/"])
def test_a_user_without_a_role_is_refused_the_legal_pages(personas, path) -> None:
    assert browser_as(personas.outsider).get(path).status_code == 403


def test_a_liaison_officer_cannot_open_another_portfolios_agreement(
    personas, colombia_mou, panama_sofa
) -> None:
    client = browser_as(personas.lo)
    assert client.get(f"/agreements/{colombia_mou.pk}/").status_code == 200
    assert client.get(f"/agreements/{panama_sofa.pk}/").status_code == 404
    assert client.get(f"/agreements/{panama_sofa.pk}/edit/").status_code == 404
    assert "SOFA-PAN" not in client.get("/agreements/").content.decode()


def test_transition_buttons_show_only_what_the_user_may_do(personas, colombia_mou) -> None:
    lo_page = browser_as(personas.lo).get(f"/agreements/{colombia_mou.pk}/").content.decode()
    assert 'value="negotiation"' in lo_page and 'value="legal_review"' in lo_page
    assert 'value="in_force"' not in lo_page
    manager_page = (
        browser_as(personas.manager).get(f"/agreements/{colombia_mou.pk}/").content.decode()
    )
    assert 'name="to"' not in manager_page


def test_a_transition_from_the_page_is_logged_and_a_forbidden_one_explained(
    personas, colombia_mou
) -> None:
    client = browser_as(personas.lo)
    response = client.post(
        f"/agreements/{colombia_mou.pk}/transition/",
        {"to": "legal_review", "note": "Ready for legal."},
        follow=True,
    )
    assert "Now in legal review." in response.content.decode()
    response = client.post(
        f"/agreements/{colombia_mou.pk}/transition/", {"to": "in_force"}, follow=True
    )
    assert "Not allowed from “legal_review”" in response.content.decode()
    colombia_mou.refresh_from_db()
    assert colombia_mou.status == Agreement.Status.LEGAL_REVIEW


def test_the_agreement_form_creates_a_draft_and_names_bad_fields(personas) -> None:
    client = browser_as(personas.lo)
    bad = client.post(
        "/agreements/new/",
        {
            "reference": "MOU-COL-2026-001",
            "title": "Draft",
            "kind": "mou",
            "effective_on": "2026-05-01",
            "expires_on": "2026-04-01",
        },
    )
    assert "The expiry date must come after the effective date." in bad.content.decode()
    assert not Agreement.objects.exists()
    good = client.post(
        "/agreements/new/",
        {
            "reference": "mou-col-2026-001",
            "title": "Draft",
            "kind": "mou",
            "activity_types": [activity("joint-training").pk],
        },
    )
    assert good.status_code == 302
    assert Agreement.objects.get().reference == "MOU-COL-2026-001"


def test_a_party_listed_twice_from_the_page_is_refused(personas, colombia_mou) -> None:
    client = browser_as(personas.lo)
    response = client.post(
        f"/agreements/{colombia_mou.pk}/parties/",
        {"partner": personas.colombia.pk, "role": "party"},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    assert colombia_mou.parties.count() == 1


def test_a_legal_advisor_decides_from_the_mandate_page(personas) -> None:
    mandate = mandate_create(
        by=personas.legal_advisor,
        title="Art. 17 boarding",
        kind="treaty_provision",
        citation="1988 Convention, art. 17",
        valid_from=date(1990, 11, 11),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )
    queue = browser_as(personas.legal_advisor).get("/legal/queue/").content.decode()
    assert "Art. 17 boarding" in queue
    manager = browser_as(personas.manager)
    assert "Record decision" not in manager.get(f"/mandates/{mandate.pk}/").content.decode()
    assert (
        manager.post(
            f"/mandates/{mandate.pk}/decide/",
            {"decision": "approved", "opinion": "x", "version": 1},
        ).status_code
        == 403
    )
    response = browser_as(personas.legal_advisor).post(
        f"/mandates/{mandate.pk}/decide/",
        {"decision": "approved", "opinion": "Flag-state authorisation suffices.", "version": 1},
        follow=True,
    )
    assert "Decision recorded: Approved." in response.content.decode()
    assert LegalReview.objects.get().reviewer == personas.legal_advisor
    assert (
        "Art. 17 boarding"
        not in browser_as(personas.legal_advisor).get("/legal/queue/").content.decode()
    )


def test_the_clearance_page_gives_a_verdict_with_reasons(personas) -> None:
    interdiction = activity("maritime-interdiction")
    AgreementFactory(
        status=Agreement.Status.IN_FORCE,
        signed_on=date(1997, 1, 1),
        effective_on=date(1998, 1, 1),
        parties=[personas.colombia],
        activity_types=[interdiction],
    )
    mandate = mandate_create(
        by=personas.legal_advisor,
        title="Art. 17",
        kind="treaty_provision",
        citation="art. 17",
        valid_from=date(1990, 1, 1),
        applies_to_all_partners=True,
        activity_types=[interdiction],
    )
    legal_review_decide(
        mandate=mandate,
        version=mandate.version,
        reviewer=personas.legal_advisor,
        decision="approved",
        opinion="ok",
    )
    SovereigntyConstraint.objects.create(
        partner=personas.colombia,
        category="flag_state_consent_to_board",
        effect="requires_consent",
        consent_lead_days=5,
        description="Express consent.",
    )
    html = (
        browser_as(personas.lo)
        .get(
            "/clearance/",
            {
                "partner": personas.colombia.pk,
                "activity_type": interdiction.pk,
                "starts_on": "2027-03-10",
                "ends_on": "2027-03-20",
            },
        )
        .content.decode()
    )
    assert "Conditional" in html
    assert "5 Mar 2027" in html
    other = (
        browser_as(personas.lo)
        .get(
            "/clearance/",
            {
                "partner": personas.panama.pk,
                "activity_type": interdiction.pk,
                "starts_on": "2027-03-10",
                "ends_on": "2027-03-20",
            },
        )
        .content.decode()
    )
    assert "Select a valid choice" in other


def test_a_material_change_from_the_form_sends_the_mandate_back(personas) -> None:
    mandate = mandate_create(
        by=personas.legal_advisor,
        title="Art. 17",
        kind="treaty_provision",
        citation="art. 17",
        valid_from=date(1990, 1, 1),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )
    legal_review_decide(
        mandate=mandate,
        version=mandate.version,
        reviewer=personas.legal_advisor,
        decision="approved",
        opinion="ok",
    )
    mandate.refresh_from_db()
    client = browser_as(personas.legal_advisor)
    response = client.post(
        f"/mandates/{mandate.pk}/edit/",
        {
            "title": "Art. 17",
            "kind": "treaty_provision",
            "citation": "art. 17",
            "activity_types": [activity("maritime-interdiction").pk],
            "applies_to_all_partners": "on",
            "valid_from": "1990-01-01",
            "valid_until": "2030-01-01",
            "version": mandate.version,
        },
        follow=True,
    )
    assert "awaits legal review" in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.status == LegalMandate.Status.PENDING_REVIEW


def test_documents_download_only_for_those_who_see_the_agreement(
    personas, colombia_mou, settings, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agreements.services import agreement_document_upload

    settings.MEDIA_ROOT = tmp_path
    document = agreement_document_upload(
        agreement=colombia_mou,
        by=personas.lo,
        title="Signed text",
        language="es",
        file=SimpleUploadedFile("signed.pdf", b"%PDF-1.7 text", "application/pdf"),
    )
    assert browser_as(personas.lo).get(f"/documents/{document.pk}/").status_code == 200
    assert browser_as(personas.other_lo).get(f"/documents/{document.pk}/").status_code == 404


def test_constraints_and_engagements_are_recorded_from_the_partner_page(personas) -> None:
    client = browser_as(personas.lo)
    response = client.post(
        f"/partners/{personas.colombia.pk}/constraints/new/",
        {
            "category": "flag_state_consent_to_board",
            "effect": "requires_consent",
            "description": "Express consent.",
        },
    )
    assert "Say how many days before the activity consent must be requested." in (
        response.content.decode()
    )
    response = client.post(
        f"/partners/{personas.colombia.pk}/constraints/new/",
        {
            "category": "flag_state_consent_to_board",
            "effect": "requires_consent",
            "consent_lead_days": 3,
            "description": "Express consent.",
        },
    )
    assert response.status_code == 302
    constraint = SovereigntyConstraint.objects.get()
    stale = client.post(
        f"/constraints/{constraint.pk}/edit/",
        {
            "category": "flag_state_consent_to_board",
            "effect": "requires_consent",
            "consent_lead_days": 5,
            "description": "Changed.",
            "version": 7,
        },
    )
    assert "changed by someone else" in stale.content.decode()
    response = client.post(
        f"/partners/{personas.colombia.pk}/engagements/new/",
        {
            "activity_type": activity("joint-training").pk,
            "title": "Course",
            "starts_on": "2027-03-10",
            "ends_on": "2027-03-01",
        },
    )
    assert "An engagement cannot end before it starts." in response.content.decode()
    assert (
        browser_as(personas.other_lo)
        .get(f"/partners/{personas.colombia.pk}/engagements/new/")
        .status_code
        == 404
    )
