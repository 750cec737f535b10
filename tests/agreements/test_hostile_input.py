"""Hostile input, walked through every door: no 500, a message naming the field, nothing written.

Dates must lie between 1900 and 2200 and every interval below its maximum, so no derived date
(notice deadline, next review, renewal, consent request date) can leave the calendar; a stored
value from before the bounds still renders, flagged.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from agreements.models import (
    Agreement,
    AgreementParty,
    AgreementReview,
    Engagement,
    LegalMandate,
    SovereigntyConstraint,
)
from tests.factories import AgreementFactory, activity

MEGABYTE = "x" * 1_000_000

# (field, value) pairs every agreement door must refuse, naming the field.
BAD_AGREEMENT_VALUES = [
    ("review_interval_months", 120000),
    ("review_interval_months", 601),
    ("review_interval_months", 0),
    ("review_interval_months", -1),
    ("review_interval_months", "²"),
    ("review_interval_months", "٣"),
    ("review_interval_months", 10**30),
    ("renewal_term_months", 99999),
    ("notice_period_days", 800000),
    ("notice_period_days", 3651),
    ("notice_period_days", -5),
    ("notice_period_days", "1e9"),
    ("effective_on", "9999-12-31"),
    ("effective_on", "0001-01-01"),
    ("signed_on", "1899-12-31"),
    ("expires_on", "2201-01-01"),
    ("expires_on", "10000-01-01"),
    ("last_reviewed_on", "9999-12-31"),
    ("title", "Maritime\x00MOU"),
    ("title", MEGABYTE),
    ("reference", "MOU\x00X"),
    ("summary", "text with a NUL \x00 byte"),
]


@pytest.fixture
def colombia_mou(personas) -> Agreement:
    return AgreementFactory(
        reference="MOU-COL-2024-003",
        owner=personas.lo,
        signed_on=date(2024, 1, 10),
        effective_on=date(2024, 2, 1),
        expires_on=date(2029, 2, 1),
        review_interval_months=12,
        parties=[personas.colombia],
    )


def _no_500(response) -> None:
    assert response.status_code < 500, response.content[:500]


@pytest.mark.parametrize(("field", "value"), BAD_AGREEMENT_VALUES)
def test_the_api_refuses_a_bad_agreement_value_naming_the_field(personas, api, field, value):
    body = {
        "reference": "MOU-NEW-2026-001",
        "title": "New arrangement",
        "kind": "mou",
        "signed_on": "2026-01-01",
        "effective_on": "2026-01-02",
        "expires_on": "2031-01-02",
        "review_interval_months": 12,
        "notice_period_days": 90,
        field: value,
    }
    response = api(personas.lo).post("/api/v1/agreements/", body)
    _no_500(response)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(("field", "value"), BAD_AGREEMENT_VALUES)
def test_an_update_with_a_bad_value_changes_nothing(personas, api, colombia_mou, field, value):
    response = api(personas.lo).patch(
        f"/api/v1/agreements/{colombia_mou.pk}/", {field: value, "version": colombia_mou.version}
    )
    _no_500(response)
    assert response.status_code == 400
    assert field in response.json()
    stored = Agreement.objects.get(pk=colombia_mou.pk)
    assert (stored.version, stored.title) == (colombia_mou.version, colombia_mou.title)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("review_interval_months", "120000"),
        ("notice_period_days", "800000"),
        ("effective_on", "9999-12-31"),
        ("expires_on", "0001-01-01"),
        ("notice_period_days", "²"),
        ("title", "Maritime\x00MOU"),
        ("title", MEGABYTE),
    ],
)
def test_the_agreement_form_refuses_a_bad_value_beside_the_field(personas, field, value) -> None:
    client = Client()
    client.force_login(personas.lo)
    data = {
        "reference": "MOU-COL-2026-001",
        "title": "Draft",
        "kind": "mou",
        "effective_on": "2026-01-02",
        "expires_on": "2030-01-02",
        "review_interval_months": "12",
        field: value,
    }
    response = client.post("/agreements/new/", data)
    _no_500(response)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Agreement.objects.exists()


def test_the_bounds_are_stated_in_the_message(personas, api) -> None:
    response = api(personas.lo).post(
        "/api/v1/agreements/",
        {"reference": "X-1", "title": "x", "kind": "mou", "effective_on": "9999-12-31"},
    )
    assert response.json()["effective_on"] == [
        "Enter a date between 1 January 1900 and 31 December 2200."
    ]
    months = api(personas.lo).post(
        "/api/v1/agreements/",
        {"reference": "X-1", "title": "x", "kind": "mou", "review_interval_months": 601},
    )
    assert months.json()["review_interval_months"] == [
        "Ensure this value is less than or equal to 600."
    ]


def test_derived_dates_stay_within_the_bounds_too(personas, api) -> None:
    response = api(personas.lo).post(
        "/api/v1/agreements/",
        {
            "reference": "MOU-EDGE-1",
            "title": "Edge",
            "kind": "mou",
            "signed_on": "2200-12-30",
            "effective_on": "2200-12-30",
            "expires_on": "2200-12-31",
            "review_interval_months": 600,
            "auto_renews": True,
            "renewal_term_months": 600,
        },
    )
    assert response.status_code == 400
    assert response.json()["review_interval_months"] == [
        "The next review would fall on 30 December 2250, outside the dates Accord keeps "
        "(1 January 1900 to 31 December 2200)."
    ]
    assert not Agreement.objects.exists()
    early = api(personas.lo).post(
        "/api/v1/agreements/",
        {
            "reference": "MOU-EDGE-2",
            "title": "Edge",
            "kind": "mou",
            "effective_on": "1900-01-01",
            "expires_on": "1910-01-01",
            "notice_period_days": 3650,
        },
    )
    assert early.status_code == 201, early.json()
    assert early.json()["notice_deadline"] == "1900-01-03"


@pytest.mark.parametrize(
    ("url", "body", "field", "model"),
    [
        (
            "/api/v1/constraints/",
            {
                "category": "flag_state_consent_to_board",
                "effect": "requires_consent",
                "description": "Express consent.",
                "consent_lead_days": 99999999,
            },
            "consent_lead_days",
            SovereigntyConstraint,
        ),
        (
            "/api/v1/constraints/",
            {
                "category": "flag_state_consent_to_board",
                "effect": "requires_consent",
                "description": "Express consent.",
                "consent_lead_days": -1,
            },
            "consent_lead_days",
            SovereigntyConstraint,
        ),
        (
            "/api/v1/constraints/",
            {
                "category": "overflight",
                "effect": "advisory",
                "description": "x",
                "valid_from": "0001-01-01",
            },
            "valid_from",
            SovereigntyConstraint,
        ),
        (
            "/api/v1/engagements/",
            {
                "activity_type": "joint-training",
                "title": "Exercise",
                "starts_on": "9999-12-30",
                "ends_on": "9999-12-31",
            },
            "starts_on",
            Engagement,
        ),
        (
            "/api/v1/engagements/",
            {
                "activity_type": "joint-training",
                "title": "Exercise\x00",
                "starts_on": "2027-01-01",
                "ends_on": "2027-01-02",
            },
            "title",
            Engagement,
        ),
    ],
)
def test_constraint_and_engagement_doors_refuse_bad_values(
    personas, api, url, body, field, model
) -> None:
    activity("joint-training")
    response = api(personas.lo).post(url, {"partner": personas.colombia.pk, **body})
    _no_500(response)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not model.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"valid_from": "9999-12-31", "review_interval_months": 12}, "valid_from"),
        ({"valid_from": "2026-01-01", "review_interval_months": 120000}, "review_interval_months"),
        ({"valid_from": "2026-01-01", "valid_until": "2201-01-01"}, "valid_until"),
        ({"valid_from": "2026-01-01", "citation": "Art. 1\x00"}, "citation"),
    ],
)
def test_the_mandate_api_refuses_bad_dates_and_intervals(personas, api, body, field) -> None:
    activity("maritime-interdiction")
    payload = {
        "title": "Counter-drug operations at sea",
        "kind": "domestic_statute",
        "citation": "14 U.S.C. § 522",
        "activity_types": ["maritime-interdiction"],
        "applies_to_all_partners": True,
        **body,
    }
    response = api(personas.legal_advisor).post("/api/v1/mandates/", payload)
    _no_500(response)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not LegalMandate.objects.exists()


def test_parties_and_reviews_refuse_far_dates(personas, api, colombia_mou) -> None:
    url = f"/api/v1/agreements/{colombia_mou.pk}/"
    client = api(personas.lo)
    party = client.post(
        f"{url}parties/", {"partner": personas.colombian_navy.pk, "signed_on": "0001-01-01"}
    )
    assert party.status_code == 400 and "signed_on" in party.json()
    assert AgreementParty.objects.filter(agreement=colombia_mou).count() == 1
    review = api(personas.legal_advisor).post(
        f"{url}reviews/", {"reviewed_on": "9999-12-31", "outcome": "continue"}
    )
    assert review.status_code == 400 and "reviewed_on" in review.json()
    assert not AgreementReview.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/clearance-checks/",
            {"activity_type": "joint-training", "starts_on": "9999-12-31", "ends_on": "9999-12-31"},
            "starts_on",
        ),
        (
            "/api/v1/clearance-checks/",
            {"activity_type": "joint-training", "starts_on": "2027-01-01", "ends_on": "2300-01-01"},
            "ends_on",
        ),
    ],
)
def test_an_ad_hoc_clearance_check_refuses_far_dates(personas, api, url, body, field) -> None:
    activity("joint-training")
    response = api(personas.lo).post(url, {"partner": personas.colombia.pk, **body})
    _no_500(response)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/coverage/?on=9999-12-31", "on"),
        ("/api/v1/coverage/?on=0001-01-01", "on"),
        ("/api/v1/coverage/?on=2026-13-01", "on"),
        ("/api/v1/agreements/?in_force_on=9999-12-31", "in_force_on"),
        ("/api/v1/agreements/?expires_before=0001-01-01", "expires_before"),
        ("/api/v1/agreements/?review_due_before=%00", "review_due_before"),
        ("/api/v1/mandates/?valid_on=9999-12-31", "valid_on"),
        ("/api/v1/engagements/?starts_after=1000-01-01", "starts_after"),
        ("/api/v1/assessments/?due_before=9999-12-31", "due_before"),
    ],
)
def test_date_parameters_out_of_range_are_a_400_naming_them(personas, api, url, parameter):
    response = api(personas.manager).get(url)
    assert response.status_code == 400, response.content[:300]
    assert parameter in response.json()


def test_the_coverage_page_explains_a_date_out_of_range(personas) -> None:
    client = Client()
    client.force_login(personas.manager)
    response = client.get("/coverage/?on=9999-12-31")
    assert response.status_code == 200
    assert "Enter a date between 1 January 1900 and 31 December 2200." in response.content.decode()


@pytest.fixture
def legacy_constraint(personas) -> SovereigntyConstraint:
    """A consent lead time stored before the bounds existed (written around the services)."""
    activity("joint-training")
    constraint = SovereigntyConstraint.objects.create(
        partner=personas.colombia,
        category="flag_state_consent_to_board",
        effect=SovereigntyConstraint.Effect.REQUIRES_CONSENT,
        consent_lead_days=10,
        description="Express consent for each boarding.",
    )
    SovereigntyConstraint.objects.filter(pk=constraint.pk).update(consent_lead_days=99_999_999)
    Engagement.objects.create(
        partner=personas.colombia,
        activity_type=activity("joint-training"),
        title="Boarding drill",
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 5),
    )
    return constraint


def test_a_stored_impossible_lead_time_is_flagged_not_a_500(
    personas, api, legacy_constraint
) -> None:
    client = Client()
    for who in (personas.lo, personas.manager, personas.legal_advisor):
        client.force_login(who)
        coverage = client.get("/coverage/")
        assert coverage.status_code == 200
        assert api(who).get("/api/v1/coverage/").status_code == 200
    check = api(personas.lo).post(
        "/api/v1/clearance-checks/",
        {
            "partner": personas.colombia.pk,
            "activity_type": "joint-training",
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-05",
        },
    )
    assert check.status_code == 200
    details = " ".join(f["detail"] for f in check.json()["findings"])
    assert "99,999,999 days cannot be right" in details
    engagement = Engagement.objects.get()
    client.force_login(personas.lo)
    assert client.get(f"/engagements/{engagement.pk}/").status_code == 200
    assert (
        api(personas.lo).get(f"/api/v1/engagements/{engagement.pk}/clearance/").status_code == 200
    )


def test_a_stored_impossible_date_renders_the_agreement_flagged(personas, api, colombia_mou):
    Agreement.objects.filter(pk=colombia_mou.pk).update(
        effective_on=date(9999, 12, 31), notice_period_days=800_000, review_interval_months=12
    )
    stored = Agreement.objects.get(pk=colombia_mou.pk)
    stored.compute_derived_dates()  # what any later save would do: no exception
    assert stored.next_review_on is None
    Agreement.objects.filter(pk=colombia_mou.pk).update(next_review_on=None, notice_deadline=None)
    client = Client()
    client.force_login(personas.lo)
    page = client.get(f"/agreements/{colombia_mou.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Effective on (9999-12-31): Enter a date between" in text
    assert "The last day to give notice cannot be worked out" in text
    assert api(personas.lo).get(f"/api/v1/agreements/{colombia_mou.pk}/").status_code == 200
    assert client.get("/agreements/").status_code == 200
    fixed = api(personas.lo).patch(
        f"/api/v1/agreements/{colombia_mou.pk}/",
        {"effective_on": "2024-02-01", "notice_period_days": 90, "version": stored.version},
    )
    assert fixed.status_code == 200, fixed.json()
    assert fixed.json()["notice_deadline"] == "2028-11-03"


def test_the_daily_job_leaves_an_unrenewable_agreement_alone(personas, colombia_mou) -> None:
    from agreements.services import agreement_lifecycle_run

    Agreement.objects.filter(pk=colombia_mou.pk).update(
        status=Agreement.Status.IN_FORCE,
        expires_on=date(2025, 1, 1),
        auto_renews=True,
        renewal_term_months=0,
    )
    run = agreement_lifecycle_run(as_of=date(2026, 12, 1))  # returns; no endless loop
    assert run.renewed == []
