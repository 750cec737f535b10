from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agreements import services
from agreements.models import Agreement, LegalMandate, LegalReview, SovereigntyConstraint
from agreements.selectors import clearance_check, coverage_matrix
from config.errors import DomainError
from tests.factories import AgreementFactory, activity

TODAY = date(2026, 11, 21)


@pytest.fixture
def interdiction():
    return activity("maritime-interdiction")


@pytest.fixture
def ship_rider(personas, interdiction):
    """A ship-rider agreement with Colombia, in force since 1998, covering interdiction."""
    return AgreementFactory(
        reference="SR-COL-1997-001",
        kind=Agreement.Kind.SHIP_RIDER,
        status=Agreement.Status.IN_FORCE,
        signed_on=date(1997, 2, 20),
        effective_on=date(1998, 3, 10),
        activity_types=[interdiction],
        parties=[personas.colombia],
    )


@pytest.fixture
def article_17(personas, interdiction):
    """A mandate under the 1988 UN Drug Convention, art. 17 (illicit traffic by sea)."""
    return services.mandate_create(
        by=personas.legal_advisor,
        title="Boarding of flag-state-authorised vessels (1988 Convention, art. 17)",
        kind=LegalMandate.Kind.TREATY_PROVISION,
        citation="UN Convention against Illicit Traffic in Narcotic Drugs (1988), art. 17",
        article="art. 17",
        valid_from=date(1990, 11, 11),
        applies_to_all_partners=True,
        activity_types=[interdiction],
    )


def approve(mandate, personas, decision="approved", conditions=""):
    return services.legal_review_decide(
        mandate=mandate,
        version=mandate.version,
        reviewer=personas.legal_advisor,
        decision=decision,
        opinion="Article 17 lets the flag state authorise boarding.",
        conditions=conditions,
    )


def check(personas, interdiction, start=date(2027, 2, 1), end=date(2027, 2, 14)):
    return clearance_check(
        partner=personas.colombia,
        activity_type=interdiction,
        starts_on=start,
        ends_on=end,
        today=TODAY,
    )


# --- legal reviews ---------------------------------------------------------------------------


def test_only_a_legal_advisor_decides_a_legal_review(article_17, personas) -> None:
    for who in (personas.lo, personas.manager, personas.admin):
        with pytest.raises(PermissionDenied):
            services.legal_review_decide(
                mandate=article_17,
                version=article_17.version,
                reviewer=who,
                decision="approved",
                opinion="ok",
            )
    assert not LegalReview.objects.exists()
    article_17.refresh_from_db()
    assert article_17.status == LegalMandate.Status.PENDING_REVIEW


def test_a_decision_keeps_a_snapshot_and_cannot_be_changed_or_deleted(article_17, personas):
    review = approve(article_17, personas)
    assert review.snapshot["article"] == "art. 17"
    assert review.snapshot["activity_types"] == ["maritime-interdiction"]
    assert review.mandate_version == 1
    review.opinion = "rewritten"
    with pytest.raises(DomainError):
        review.save()
    with pytest.raises(DomainError):
        review.delete()
    assert LegalReview.objects.get().opinion.startswith("Article 17")


def test_approval_with_conditions_needs_the_conditions(article_17, personas) -> None:
    with pytest.raises(ValidationError) as refused:
        approve(article_17, personas, decision="approved_with_conditions")
    assert "conditions" in refused.value.message_dict


def test_a_material_change_sends_an_approved_mandate_back_to_review(article_17, personas) -> None:
    approve(article_17, personas)
    article_17.refresh_from_db()
    assert article_17.status == LegalMandate.Status.APPROVED
    services.mandate_update(
        mandate=article_17,
        by=personas.legal_advisor,
        version=article_17.version,
        summary="Wording only.",
    )
    article_17.refresh_from_db()
    assert article_17.status == LegalMandate.Status.APPROVED
    services.mandate_update(
        mandate=article_17,
        by=personas.legal_advisor,
        version=article_17.version,
        activity_types=[activity("maritime-interdiction"), activity("detention-and-transfer")],
    )
    article_17.refresh_from_db()
    assert article_17.status == LegalMandate.Status.PENDING_REVIEW


def test_a_liaison_officer_cannot_change_a_mandate(article_17, personas) -> None:
    with pytest.raises(PermissionDenied):
        services.mandate_update(mandate=article_17, by=personas.lo, version=1, summary="x")


# --- clearance on real cases -----------------------------------------------------------------


def test_an_interdiction_with_agreement_and_approved_mandate_is_cleared(
    ship_rider, article_17, personas, interdiction
) -> None:
    approve(article_17, personas)
    result = check(personas, interdiction)
    assert result.verdict == "cleared"
    assert {f.subject for f in result.findings} >= {"SR-COL-1997-001", article_17.title}


def test_without_an_approved_mandate_the_check_shows_a_gap(
    ship_rider, article_17, personas, interdiction
) -> None:
    result = check(personas, interdiction)  # the mandate is still pending review
    assert result.verdict == "gap"
    assert any(f.effect == "missing" and f.source == "mandate" for f in result.findings)


def test_a_boarding_consent_constraint_makes_it_conditional_with_the_request_date(
    ship_rider, article_17, personas, interdiction
) -> None:
    approve(article_17, personas)
    services.constraint_create(
        by=personas.lo,
        partner=personas.colombia,
        category="flag_state_consent_to_board",
        effect=SovereigntyConstraint.Effect.REQUIRES_CONSENT,
        consent_lead_days=10,
        description="Vessels flying its flag may be boarded only with express consent.",
        activity_types=[interdiction],
    )
    result = check(personas, interdiction)
    assert result.verdict == "conditional"
    assert [f.due_on for f in result.consent_requests] == [date(2027, 1, 22)]


def test_a_prohibition_blocks_whatever_else_covers_it(
    ship_rider, article_17, personas, interdiction
) -> None:
    approve(article_17, personas)
    services.constraint_create(
        by=personas.lo,
        partner=personas.colombia,
        category="use_of_force_limits",
        effect=SovereigntyConstraint.Effect.PROHIBITED,
        description="No armed boardings.",
    )
    assert check(personas, interdiction).verdict == "blocked"


def test_an_agreement_that_lapses_before_the_end_is_flagged(
    ship_rider, article_17, personas, interdiction
) -> None:
    approve(article_17, personas)
    Agreement.objects.filter(pk=ship_rider.pk).update(expires_on=date(2027, 2, 10))
    result = check(personas, interdiction)
    assert result.verdict == "conditional"
    assert any("Expires on 10 Feb 2027" in f.detail for f in result.findings)


def test_coverage_gives_the_same_verdict_for_every_partner_and_activity(
    ship_rider, article_17, personas, interdiction, django_assert_max_num_queries
) -> None:
    approve(article_17, personas)
    with django_assert_max_num_queries(12):
        coverage = coverage_matrix(user=personas.manager, on=date(2027, 2, 1))
    cells = {
        (p.name, a.code): coverage.cells[(p.pk, a.pk)].verdict
        for p in coverage.partners
        for a in coverage.activity_types
    }
    assert cells[("Colombia", "maritime-interdiction")] == "cleared"
    assert cells[("Panama", "maritime-interdiction")] == "gap"
    lo_view = coverage_matrix(user=personas.lo, on=date(2027, 2, 1))
    assert {p.name for p in lo_view.partners} == {"Colombia", "Colombian Navy"}
