"""Each "who may" rule is enforced by its service, so calling the service directly as the wrong
person fails as the API does; the admin saves through the same services."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agreements import services
from agreements.models import (
    ActivityType,
    Agreement,
    AgreementParty,
    AgreementReview,
    LegalMandate,
    SovereigntyConstraint,
)
from agreements.services.import_jobs import agreement_import_start
from checklists.services import template_upload
from tests.factories import AgreementFactory, activity


@pytest.fixture
def colombia_mou(personas) -> Agreement:
    return AgreementFactory(
        reference="MOU-COL-2024-003", owner=personas.lo, parties=[personas.colombia]
    )


@pytest.fixture
def approved_mandate(personas) -> LegalMandate:
    mandate = services.mandate_create(
        by=personas.legal_advisor,
        title="Boarding under the 1988 Convention, art. 17",
        kind=LegalMandate.Kind.TREATY_PROVISION,
        citation="1988 Convention, art. 17",
        valid_from=date(1990, 11, 11),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )
    services.legal_review_decide(
        mandate=mandate,
        version=mandate.version,
        reviewer=personas.legal_advisor,
        decision="approved",
        opinion="Article 17 lets the flag state authorise boarding.",
    )
    mandate.refresh_from_db()
    assert mandate.status == LegalMandate.Status.APPROVED
    return mandate


def _csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("register.csv", b"reference,title,kind,partner\n", "text/csv")


@pytest.mark.parametrize(
    ("who", "call"),
    [
        (
            "manager",
            lambda p, a: services.agreement_review_record(
                agreement=a, by=p.manager, reviewed_on=date(2026, 1, 5), outcome="continue"
            ),
        ),
        (
            "other_lo",
            lambda p, a: services.agreement_review_record(
                agreement=a, by=p.other_lo, reviewed_on=date(2026, 1, 5), outcome="continue"
            ),
        ),
        (
            "lo",
            lambda p, a: agreement_import_start(
                by=p.lo, upload=_csv(), dry_run=True, stop_on_error=False
            ),
        ),
        (
            "legal_advisor",
            lambda p, a: services.agreement_update(
                agreement=a, by=p.legal_advisor, version=a.version, title="Changed"
            ),
        ),
        (
            "other_lo",
            lambda p, a: services.agreement_party_add(agreement=a, by=p.other_lo, partner=p.panama),
        ),
        (
            "manager",
            lambda p, a: services.agreement_party_remove(
                party=a.parties.get(), by=p.manager, reason="No longer a party."
            ),
        ),
        (
            "legal_advisor",
            lambda p, a: services.agreement_party_update(
                party=a.parties.get(), by=p.legal_advisor, version=1, role="observer"
            ),
        ),
        (
            "manager",
            lambda p, a: services.agreement_document_upload(
                agreement=a,
                by=p.manager,
                file=SimpleUploadedFile("a.txt", b"text"),
                title="Text",
                language="en",
            ),
        ),
        (
            "other_lo",
            lambda p, a: services.partner_update(
                partner=p.colombia, by=p.other_lo, version=p.colombia.version, notes="Mine now"
            ),
        ),
        (
            "lo",
            lambda p, a: services.activity_type_update(
                activity_type=activity("joint-training"), by=p.lo, version=1, name="Drills"
            ),
        ),
        (
            "lo",
            lambda p, a: services.activity_type_create(by=p.lo, code="x-new", name="New"),
        ),
        (
            "lo",
            lambda p, a: template_upload(file=SimpleUploadedFile("t.yaml", b"urn: x\n"), by=p.lo),
        ),
    ],
)
def test_a_service_called_directly_refuses_the_wrong_person(personas, colombia_mou, who, call):
    before = (
        Agreement.objects.get(pk=colombia_mou.pk).version,
        AgreementParty.objects.count(),
        AgreementReview.objects.count(),
        ActivityType.objects.count(),
    )
    with pytest.raises(PermissionDenied):
        call(personas, colombia_mou)
    after = (
        Agreement.objects.get(pk=colombia_mou.pk).version,
        AgreementParty.objects.count(),
        AgreementReview.objects.count(),
        ActivityType.objects.count(),
    )
    assert after == before


def test_the_right_people_still_pass_the_same_services(personas, colombia_mou) -> None:
    review = services.agreement_review_record(
        agreement=colombia_mou,
        by=personas.legal_advisor,
        reviewed_on=date(2026, 1, 5),
        outcome="continue",
    )
    assert review.reviewer == personas.legal_advisor
    services.agreement_review_record(
        agreement=colombia_mou, by=personas.lo, reviewed_on=date(2026, 2, 5), outcome="continue"
    )
    services.agreement_party_add(
        agreement=colombia_mou, by=personas.lo, partner=personas.colombian_navy
    )
    assert colombia_mou.parties.count() == 2


def test_a_constraint_of_another_portfolio_cannot_be_changed_by_calling_the_service(personas):
    constraint = services.constraint_create(
        by=personas.lo,
        partner=personas.colombia,
        category="overflight",
        effect="advisory",
        description="Notify the civil aviation authority.",
    )
    with pytest.raises((PermissionDenied, ValidationError)):  # out of their sight: "no such"
        services.constraint_update(
            constraint=constraint, by=personas.other_lo, version=1, description="Nothing."
        )
    assert SovereigntyConstraint.objects.get().description == "Notify the civil aviation authority."


def test_an_agreement_its_creator_could_not_open_is_refused_before_saving(personas, api):
    body = {"reference": "MOU-X-1", "title": "x", "kind": "mou", "owner": personas.other_lo.pk}
    refused = api(personas.lo).post("/api/v1/agreements/", body)
    assert refused.status_code == 400
    assert "could not open this agreement" in refused.json()["owner"][0]
    assert not Agreement.objects.exists()
    in_their_portfolio = api(personas.lo).post(
        "/api/v1/agreements/",
        {**body, "owner": None, "parties": [{"partner": personas.colombia.pk}]},
    )
    assert in_their_portfolio.status_code == 201, in_their_portfolio.json()
    assert in_their_portfolio.json()["owner"]["username"] == "maria"


# --- the admin is a door too -----------------------------------------------------------------


# The read-only party rows' formset still sends its management form.
NO_PARTY_ROWS = {"parties-TOTAL_FORMS": 0, "parties-INITIAL_FORMS": 0}


def _admin(personas) -> Client:
    client = Client()
    client.force_login(personas.admin)
    return client


def _mandate_form(mandate: LegalMandate, **changes) -> dict:
    data = {
        "title": mandate.title,
        "kind": mandate.kind,
        "citation": mandate.citation,
        "agreement": "",
        "article": mandate.article,
        "activity_types": [t.pk for t in mandate.activity_types.all()],
        "applies_to_all_partners": "on" if mandate.applies_to_all_partners else "",
        "partners": [],
        "geographic_scope": mandate.geographic_scope,
        "valid_from": mandate.valid_from.isoformat(),
        "valid_until": "",
        "review_interval_months": "",
        "summary": mandate.summary,
        "version": mandate.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k in {"citation", "title"}}


def test_changing_an_approved_mandates_citation_in_the_admin_sends_it_back(
    personas, approved_mandate
) -> None:
    response = _admin(personas).post(
        f"/admin/agreements/legalmandate/{approved_mandate.pk}/change/",
        _mandate_form(approved_mandate, citation="1988 Convention, art. 17(4)(b)"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    approved_mandate.refresh_from_db()
    assert approved_mandate.citation == "1988 Convention, art. 17(4)(b)"
    assert approved_mandate.status == LegalMandate.Status.PENDING_REVIEW
    latest = approved_mandate.history.latest()
    assert latest.history_user == personas.admin


def test_a_wording_change_in_the_admin_keeps_the_approval(personas, approved_mandate) -> None:
    response = _admin(personas).post(
        f"/admin/agreements/legalmandate/{approved_mandate.pk}/change/",
        _mandate_form(approved_mandate, summary="Plain-language summary."),
    )
    assert response.status_code == 302
    approved_mandate.refresh_from_db()
    assert approved_mandate.status == LegalMandate.Status.APPROVED


def test_the_admin_shows_a_services_refusal_on_the_form_and_writes_nothing(personas) -> None:
    response = _admin(personas).post(
        "/admin/agreements/agreement/add/",
        {
            "reference": "MOU-ADM-1",
            "title": "Made in the admin",
            "kind": "mou",
            "owner": personas.manager.pk,  # not a liaison officer: the service refuses
            "version": 1,
            **NO_PARTY_ROWS,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "samuel is not a liaison officer." in errors["owner"]
    assert not Agreement.objects.exists()


def test_an_agreement_made_in_the_admin_goes_through_the_service(personas) -> None:
    training = activity("joint-training")
    response = _admin(personas).post(
        "/admin/agreements/agreement/add/",
        {
            "reference": "mou-adm-2",
            "title": "Made in the admin",
            "kind": "mou",
            "owner": personas.lo.pk,
            "activity_types": [training.pk],
            "effective_on": "2026-01-01",
            "expires_on": "2028-01-01",
            "notice_period_days": 30,
            "version": 1,
            **NO_PARTY_ROWS,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement = Agreement.objects.get()
    assert agreement.reference == "MOU-ADM-2"  # the service's normalisation
    assert agreement.status == Agreement.Status.DRAFT
    assert agreement.notice_deadline == date(2027, 12, 2)
    assert list(agreement.activity_types.all()) == [training]
    assert agreement.history.latest().history_user == personas.admin


def test_a_stale_admin_edit_is_refused(personas, colombia_mou) -> None:
    Agreement.objects.filter(pk=colombia_mou.pk).update(version=5)
    response = _admin(personas).post(
        f"/admin/agreements/agreement/{colombia_mou.pk}/change/",
        {
            "reference": colombia_mou.reference,
            "title": "Mine",
            "kind": "mou",
            "version": 1,
            **NO_PARTY_ROWS,
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert Agreement.objects.get(pk=colombia_mou.pk).title != "Mine"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/checklists/assessment/add/",
        "/admin/agreements/agreementimport/add/",
    ],
)
def test_records_with_rules_cannot_be_made_in_the_admin(personas, path) -> None:
    assert _admin(personas).get(path).status_code == 403


def test_legal_records_are_not_deleted_in_the_admin(personas, colombia_mou, approved_mandate):
    client = _admin(personas)
    assert client.get(f"/admin/agreements/agreement/{colombia_mou.pk}/delete/").status_code == 403
    mandate_delete = f"/admin/agreements/legalmandate/{approved_mandate.pk}/delete/"
    assert client.get(mandate_delete).status_code == 403


def test_constraints_and_engagements_are_removed_with_a_reason_not_deleted_in_the_admin(
    personas,
) -> None:
    from agreements.models import Engagement

    constraint = services.constraint_create(
        by=personas.lo,
        partner=personas.colombia,
        category="overflight",
        effect="advisory",
        description="Notify the civil aviation authority.",
    )
    engagement = Engagement.objects.create(
        partner=personas.colombia,
        activity_type=activity("joint-training"),
        title="Drill",
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 1, 2),
    )
    client = _admin(personas)
    url = f"/admin/agreements/sovereigntyconstraint/{constraint.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.get(f"/admin/agreements/engagement/{engagement.pk}/delete/").status_code == 403
    assert SovereigntyConstraint.objects.exists() and Engagement.objects.exists()
