from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements.models import Agreement, AgreementDocument
from tests.factories import AgreementFactory, PartnerFactory, activity

URL = "/api/v1/agreements/"
S = Agreement.Status


@pytest.fixture
def colombia_mou(personas):
    return AgreementFactory(
        reference="MOU-COL-2024-003",
        title="Maritime training MOU",
        owner=personas.lo,
        activity_types=[activity("joint-training")],
        parties=[personas.colombia],
    )


@pytest.fixture
def panama_sofa(personas):
    return AgreementFactory(
        reference="SOFA-PAN-2002-001", kind=Agreement.Kind.SOFA, parties=[personas.panama]
    )


def refs(response) -> set[str]:
    return {row["reference"] for row in response.json()["results"]}


def test_a_liaison_officer_sees_only_agreements_of_their_portfolio(
    personas, api, colombia_mou, panama_sofa
) -> None:
    assert refs(api(personas.lo).get(URL)) == {"MOU-COL-2024-003"}
    assert api(personas.lo).get(f"{URL}{panama_sofa.pk}/").status_code == 404
    assert refs(api(personas.manager).get(URL)) == {"MOU-COL-2024-003", "SOFA-PAN-2002-001"}


@pytest.mark.parametrize("who", ["legal_advisor", "manager", "other_lo"])
def test_others_cannot_change_a_portfolios_agreement(personas, api, colombia_mou, who) -> None:
    response = api(getattr(personas, who)).patch(
        f"{URL}{colombia_mou.pk}/", {"title": "x", "version": 1}
    )
    assert response.status_code in {403, 404}
    colombia_mou.refresh_from_db()
    assert colombia_mou.title == "Maritime training MOU"


def test_an_agreement_is_created_with_its_parties_and_activities(personas, api) -> None:
    response = api(personas.lo).post(
        URL,
        {
            "reference": "sr-col-1997-001",
            "title": "Agreement to suppress illicit traffic by sea",
            "kind": "ship_rider",
            "activity_types": ["maritime-interdiction", "ship-rider-embarkation"],
            "parties": [
                {"partner": personas.colombia.pk, "role": "party", "signed_on": "1997-02-20"}
            ],
            "signed_on": "1997-02-20",
            "effective_on": "1998-03-10",
            "expires_on": "2030-03-10",
            "notice_period_days": 180,
            "review_interval_months": 12,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "SR-COL-1997-001"
    assert body["notice_deadline"] == "2029-09-11"
    assert body["next_review_on"] == "1999-03-10"
    assert body["status"] == "draft"
    assert [p["partner_name"] for p in body["parties"]] == ["Colombia"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"effective_on": "2024-05-01", "expires_on": "2024-04-01"}, "expires_on"),
        (
            {"effective_on": "2024-01-01", "expires_on": "2024-02-01", "notice_period_days": 60},
            "notice_period_days",
        ),
        ({"kind": "pact"}, "kind"),
        ({"activity_types": ["time-travel"]}, "activity_types"),
        ({"signed_on": "21/11/2026"}, "signed_on"),
        ({"reference": "mou-col-2024-003"}, "reference"),
    ],
)
def test_bad_agreement_input_names_the_field(personas, api, colombia_mou, payload, field):
    body = {"reference": "MOU-NEW", "title": "New", "kind": "mou", **payload}
    before = Agreement.objects.count()
    response = api(personas.lo).post(URL, body)
    assert response.status_code == 400
    assert field in response.json()
    assert Agreement.objects.count() == before


def test_a_party_listed_twice_is_a_400_and_nothing_is_written(personas, api) -> None:
    party = {"partner": personas.colombia.pk}
    response = api(personas.lo).post(
        URL, {"reference": "MOU-X", "title": "x", "kind": "mou", "parties": [party, party]}
    )
    assert response.status_code == 400
    assert "listed twice" in response.json()["parties"][0]
    assert not Agreement.objects.filter(reference="MOU-X").exists()


def test_the_transition_endpoint_applies_the_lifecycle_guards(personas, api, colombia_mou):
    client = api(personas.lo)
    url = f"{URL}{colombia_mou.pk}/transition/"
    assert client.post(url, {"to": "legal_review"}).status_code == 200
    refused = client.post(url, {"to": "signed"})
    assert refused.status_code == 403
    cleared = api(personas.legal_advisor).post(url, {"to": "signed", "note": "Cleared."})
    assert cleared.status_code == 400  # no signature date yet
    assert "signed_on" in cleared.json()["to"][0]
    Agreement.objects.filter(pk=colombia_mou.pk).update(signed_on=date(2024, 3, 1))
    assert api(personas.legal_advisor).post(url, {"to": "signed"}).json()["status"] == "signed"
    forbidden = client.post(url, {"to": "draft"})
    assert forbidden.status_code == 400
    assert "Not allowed from “signed”" in forbidden.json()["to"][0]
    log = client.get(f"{URL}{colombia_mou.pk}/transitions/").json()
    assert [row["to_status"] for row in log] == ["signed", "legal_review"]


def test_filters_by_partner_status_activity_and_dates(personas, api, colombia_mou, panama_sofa):
    Agreement.objects.filter(pk=panama_sofa.pk).update(
        status=S.IN_FORCE,
        signed_on=date(2002, 1, 1),
        effective_on=date(2002, 1, 1),
        expires_on=date(2027, 1, 1),
        notice_deadline=date(2026, 7, 1),
    )
    client = api(personas.manager)
    assert refs(client.get(URL, {"partner": personas.panama.pk})) == {"SOFA-PAN-2002-001"}
    assert refs(client.get(URL, {"status": "in_force"})) == {"SOFA-PAN-2002-001"}
    assert refs(client.get(URL, {"activity": "joint-training"})) == {"MOU-COL-2024-003"}
    assert refs(client.get(URL, {"in_force_on": "2026-11-21"})) == {"SOFA-PAN-2002-001"}
    assert refs(client.get(URL, {"in_force_on": "2027-06-01"})) == set()
    assert refs(client.get(URL, {"expires_before": "2027-02-01"})) == {"SOFA-PAN-2002-001"}
    assert refs(client.get(URL, {"notice_deadline_before": "2026-08-01"})) == {"SOFA-PAN-2002-001"}
    assert refs(client.get(URL, {"q": "training"})) == {"MOU-COL-2024-003"}
    assert client.get(URL, {"in_force_on": "tomorrow"}).status_code == 400


def test_a_stale_agreement_update_answers_409(personas, api, colombia_mou) -> None:
    client = api(personas.lo)
    assert client.patch(f"{URL}{colombia_mou.pk}/", {"title": "A", "version": 1}).status_code == 200
    stale = client.patch(f"{URL}{colombia_mou.pk}/", {"title": "B", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "A"


def test_a_review_moves_the_next_review_date(personas, api, colombia_mou) -> None:
    Agreement.objects.filter(pk=colombia_mou.pk).update(review_interval_months=12)
    response = api(personas.legal_advisor).post(
        f"{URL}{colombia_mou.pk}/reviews/",
        {"reviewed_on": "2026-10-01", "outcome": "renew", "notes": "Renew in 2027."},
    )
    assert response.status_code == 201, response.json()
    detail = api(personas.lo).get(f"{URL}{colombia_mou.pk}/").json()
    assert detail["next_review_on"] == "2027-10-01"
    assert (
        api(personas.manager)
        .post(f"{URL}{colombia_mou.pk}/reviews/", {"reviewed_on": "2026-10-01", "outcome": "renew"})
        .status_code
        == 403
    )


def test_documents_are_checked_and_fingerprinted(personas, api, colombia_mou, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_DOCUMENT_MAX_BYTES = 1000
    client = api(personas.lo)
    url = f"{URL}{colombia_mou.pk}/documents/"
    pdf = SimpleUploadedFile("mou-signed.pdf", b"%PDF-1.7 signed text", "application/pdf")
    ok = client.post(
        url,
        {"file": pdf, "title": "Signed text", "language": "es", "equally_authentic": True},
        format="multipart",
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["sha256"] == hashlib.sha256(b"%PDF-1.7 signed text").hexdigest()
    assert ok.json()["size_bytes"] == 20
    download = client.get(ok.json()["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == (
        b"%PDF-1.7 signed text"
    )
    assert "attachment" in download["Content-Disposition"]
    assert api(personas.manager).get(ok.json()["download_url"]).status_code == 200
    assert api(personas.other_lo).get(ok.json()["download_url"]).status_code == 404
    assert client.get(f"{url}999999/").status_code == 404
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * 2000, "application/pdf")
    too_big = client.post(url, {"file": big, "title": "Big", "language": "en"}, format="multipart")
    assert too_big.status_code == 400 and "limit is 1,000 bytes" in too_big.json()["file"][0]
    exe = SimpleUploadedFile("tool.exe", b"MZ....", "application/octet-stream")
    assert (
        "not accepted"
        in client.post(
            url, {"file": exe, "title": "x", "language": "en"}, format="multipart"
        ).json()["file"][0]
    )
    fake = SimpleUploadedFile("fake.pdf", b"MZ not a pdf", "application/pdf")
    assert (
        "not a PDF"
        in client.post(
            url, {"file": fake, "title": "x", "language": "en"}, format="multipart"
        ).json()["file"][0]
    )
    bad_language = SimpleUploadedFile("t.pdf", b"%PDF-1.7", "application/pdf")
    assert (
        "language"
        in client.post(
            url, {"file": bad_language, "title": "x", "language": "xx"}, format="multipart"
        ).json()
    )
    assert AgreementDocument.objects.count() == 1


def test_the_agreement_list_query_count_does_not_grow_with_the_page(
    personas, api, django_assert_max_num_queries
) -> None:
    partners = [PartnerFactory(liaison_officers=[personas.lo]) for _ in range(3)]
    for n in range(40):
        AgreementFactory(parties=partners[: 1 + n % 3], activity_types=[activity("joint-training")])
    client = api(personas.lo)
    with django_assert_max_num_queries(7):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == 40


def test_an_engagement_ending_before_it_starts_is_refused(personas, api) -> None:
    response = api(personas.lo).post(
        "/api/v1/engagements/",
        {
            "partner": personas.colombia.pk,
            "activity_type": "joint-training",
            "title": "Course",
            "starts_on": "2027-03-10",
            "ends_on": "2027-03-01",
        },
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()
    ad_hoc = api(personas.lo).post(
        "/api/v1/clearance-checks/",
        {
            "partner": personas.colombia.pk,
            "activity_type": "joint-training",
            "starts_on": "2027-03-10",
            "ends_on": "2027-03-01",
        },
    )
    assert ad_hoc.status_code == 400 and "ends_on" in ad_hoc.json()


def test_a_consent_constraint_needs_its_lead_time(personas, api) -> None:
    response = api(personas.lo).post(
        "/api/v1/constraints/",
        {
            "partner": personas.colombia.pk,
            "category": "flag_state_consent_to_board",
            "effect": "requires_consent",
            "description": "Express consent.",
        },
    )
    assert response.status_code == 400
    assert "consent_lead_days" in response.json()
    assert (
        api(personas.lo)
        .post(
            "/api/v1/constraints/",
            {
                "partner": personas.panama.pk,
                "category": "overflight",
                "effect": "advisory",
                "description": "x",
            },
        )
        .status_code
        == 400
    )  # not a partner this liaison officer can see


def test_the_coverage_endpoint_answers_for_the_portfolio(personas, api) -> None:
    activity("joint-training")
    AgreementFactory(
        status=S.IN_FORCE,
        signed_on=date(2024, 1, 1),
        effective_on=date(2024, 1, 1),
        parties=[personas.colombia],
        activity_types=[activity("joint-training")],
    )
    body = api(personas.lo).get("/api/v1/coverage/", {"on": "2026-11-21"}).json()
    partners = {cell["partner_name"] for cell in body["cells"]}
    assert partners == {"Colombia", "Colombian Navy"}
    colombia = next(c for c in body["cells"] if c["partner_name"] == "Colombia")
    assert colombia["verdict"] == "gap" and colombia["agreements"] == 1
    assert api(personas.lo).get("/api/v1/coverage/", {"on": "soon"}).status_code == 400
