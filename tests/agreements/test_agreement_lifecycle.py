from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from agreements import services
from agreements.exceptions import AgreementsError
from agreements.models import Agreement, AgreementParty, AgreementTransition
from agreements.selectors import agreements_in_force
from tests.factories import AgreementFactory, activity

S = Agreement.Status


@pytest.fixture
def jamaica_ship_rider(personas):
    """The 1997 US–Jamaica maritime counter-drug agreement, in force since 10 March 1998."""
    return services.agreement_create(
        by=personas.lo,
        reference="SR-JAM-1997-001",
        title="Agreement concerning cooperation in suppressing illicit maritime drug trafficking",
        kind=Agreement.Kind.SHIP_RIDER,
        signed_on=date(1997, 5, 6),
        effective_on=date(1998, 3, 10),
        review_interval_months=24,
        activity_types=[activity("ship-rider-embarkation"), activity("maritime-interdiction")],
        parties=[{"partner": personas.colombia, "role": AgreementParty.Role.PARTY}],
    )


def test_a_new_agreement_is_a_draft_owned_by_the_liaison_officer(jamaica_ship_rider, personas):
    assert jamaica_ship_rider.status == S.DRAFT
    assert jamaica_ship_rider.owner == personas.lo
    assert jamaica_ship_rider.next_review_on == date(2000, 3, 10)


def test_derived_dates_are_recomputed_on_every_change(personas) -> None:
    agreement = services.agreement_create(
        by=personas.lo,
        reference="MOU-COL-2024-003",
        title="Training MOU",
        kind=Agreement.Kind.MOU,
        effective_on=date(2024, 1, 1),
        expires_on=date(2027, 1, 1),
        notice_period_days=90,
    )
    assert agreement.notice_deadline == date(2026, 10, 3)
    services.agreement_update(
        agreement=agreement, by=personas.lo, version=1, expires_on=date(2028, 1, 1)
    )
    agreement.refresh_from_db()
    assert agreement.notice_deadline == date(2027, 10, 3)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"effective_on": date(2024, 5, 1), "expires_on": date(2024, 4, 1)},
            "expires_on",
            "must come after the effective date",
        ),
        (
            {
                "effective_on": date(2024, 1, 1),
                "expires_on": date(2024, 3, 1),
                "notice_period_days": 90,
            },
            "notice_period_days",
            "longer than the agreement's whole",
        ),
        (
            {"auto_renews": True, "expires_on": date(2030, 1, 1)},
            "renewal_term_months",
            "needs a renewal term",
        ),
    ],
)
def test_bad_dates_name_the_field_and_write_nothing(personas, fields, field, message) -> None:
    with pytest.raises(ValidationError) as refused:
        services.agreement_create(
            by=personas.lo, reference="MOU-X", title="x", kind=Agreement.Kind.MOU, **fields
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not Agreement.objects.exists()


def test_a_party_listed_twice_is_refused(personas) -> None:
    with pytest.raises(ValidationError) as refused:
        services.agreement_create(
            by=personas.lo,
            reference="MOU-X",
            title="x",
            kind=Agreement.Kind.MOU,
            parties=[{"partner": personas.colombia}, {"partner": personas.colombia}],
        )
    assert "listed twice" in refused.value.message_dict["parties"][0]
    assert not Agreement.objects.exists()


def test_in_force_needs_signature_effective_date_and_a_party(personas) -> None:
    agreement = AgreementFactory(status=S.SIGNED, owner=personas.lo)
    with pytest.raises(AgreementsError) as refused:
        services.agreement_transition(agreement=agreement, to=S.IN_FORCE, by=personas.admin)
    problems = " ".join(refused.value.field_errors["to"])
    assert "signed_on" in problems and "effective_on" in problems and "parties" in problems
    agreement.refresh_from_db()
    assert agreement.status == S.SIGNED


def test_the_lifecycle_forbids_skipping_steps(jamaica_ship_rider, personas) -> None:
    with pytest.raises(AgreementsError, match="cannot go from draft to in force"):
        services.agreement_transition(agreement=jamaica_ship_rider, to=S.IN_FORCE, by=personas.lo)


def test_only_a_legal_advisor_clears_legal_review(jamaica_ship_rider, personas) -> None:
    services.agreement_transition(agreement=jamaica_ship_rider, to=S.LEGAL_REVIEW, by=personas.lo)
    with pytest.raises(PermissionDenied):
        services.agreement_transition(agreement=jamaica_ship_rider, to=S.SIGNED, by=personas.lo)
    services.agreement_transition(
        agreement=jamaica_ship_rider, to=S.SIGNED, by=personas.legal_advisor, note="Cleared."
    )
    assert jamaica_ship_rider.status == S.SIGNED
    log = list(AgreementTransition.objects.filter(agreement=jamaica_ship_rider))
    assert [(t.from_status, t.to_status) for t in log] == [
        (S.LEGAL_REVIEW, S.SIGNED),
        (S.DRAFT, S.LEGAL_REVIEW),
    ]


def test_the_daily_job_brings_signed_agreements_into_force_once(
    jamaica_ship_rider, personas
) -> None:
    Agreement.objects.filter(pk=jamaica_ship_rider.pk).update(status=S.SIGNED)
    first = services.agreement_lifecycle_run(as_of=date(1998, 3, 10))
    assert first.entered_into_force == ["SR-JAM-1997-001"]
    second = services.agreement_lifecycle_run(as_of=date(1998, 3, 10))
    assert second.entered_into_force == [] and second.expired == [] and second.renewed == []
    assert AgreementTransition.objects.filter(to_status=S.IN_FORCE).count() == 1
    assert agreements_in_force(on=date(1998, 3, 10)).get() == jamaica_ship_rider


def test_the_daily_job_renews_an_auto_renewing_agreement_by_whole_terms(personas) -> None:
    agreement = AgreementFactory(
        status=S.IN_FORCE,
        signed_on=date(2020, 1, 1),
        effective_on=date(2020, 1, 1),
        expires_on=date(2025, 1, 1),
        auto_renews=True,
        renewal_term_months=12,
        parties=[personas.colombia],
    )
    run = services.agreement_lifecycle_run(as_of=date(2026, 3, 1))
    assert run.renewed == [agreement.reference]
    agreement.refresh_from_db()
    assert agreement.expires_on == date(2027, 1, 1)
    assert agreement.status == S.IN_FORCE
    assert "Renewed automatically" in agreement.history.first().history_change_reason
    again = services.agreement_lifecycle_run(as_of=date(2026, 3, 1))
    assert again.renewed == []


def test_the_daily_job_expires_an_agreement_past_its_expiry(personas) -> None:
    agreement = AgreementFactory(
        status=S.IN_FORCE,
        signed_on=date(2020, 1, 1),
        effective_on=date(2020, 1, 1),
        expires_on=date(2025, 1, 1),
        parties=[personas.colombia],
    )
    services.agreement_lifecycle_run(as_of=date(2025, 1, 1))
    agreement.refresh_from_db()
    assert agreement.status == S.IN_FORCE  # the expiry day itself is still covered
    services.agreement_lifecycle_run(as_of=date(2025, 1, 2))
    agreement.refresh_from_db()
    assert agreement.status == S.EXPIRED


@time_machine.travel(date(2026, 11, 21))
def test_a_review_moves_the_next_review_date(jamaica_ship_rider, personas) -> None:
    services.agreement_review_record(
        agreement=jamaica_ship_rider,
        by=personas.legal_advisor,
        reviewed_on=date(2026, 6, 1),
        outcome="continue",
        notes="Still needed.",
    )
    jamaica_ship_rider.refresh_from_db()
    assert jamaica_ship_rider.last_reviewed_on == date(2026, 6, 1)
    assert jamaica_ship_rider.next_review_on == date(2028, 6, 1)
    with pytest.raises(ValidationError):
        services.agreement_review_record(
            agreement=jamaica_ship_rider,
            by=personas.lo,
            reviewed_on=date(2027, 1, 1),
            outcome="continue",
        )


def test_a_multilateral_agreement_is_in_force_only_for_parties_bound_by_it(personas) -> None:
    from agreements.selectors.agreements import parties_in_force

    agreement = AgreementFactory(
        status=S.IN_FORCE,
        signed_on=date(2003, 4, 10),
        effective_on=date(2008, 9, 18),
    )
    AgreementParty.objects.create(
        agreement=agreement, partner=personas.colombia, role="party", in_force_on=date(2008, 9, 18)
    )
    AgreementParty.objects.create(
        agreement=agreement, partner=personas.panama, role="signatory", signed_on=date(2003, 4, 10)
    )
    bound = set(parties_in_force(on=date(2015, 1, 1)).values_list("partner__name", flat=True))
    assert bound == {"Colombia"}


def test_the_periodic_sweep_fans_out_one_step_per_due_agreement(
    personas, django_capture_on_commit_callbacks
) -> None:
    from agreements.tasks import lifecycle_sweep

    due = AgreementFactory(
        status=S.SIGNED,
        signed_on=date(2026, 1, 1),
        effective_on=date(2026, 2, 1),
        parties=[personas.colombia],
    )
    AgreementFactory(
        status=S.SIGNED,
        signed_on=date(2026, 1, 1),
        effective_on=date(2027, 1, 1),
        parties=[personas.colombia],
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert lifecycle_sweep("2026-02-01") == 1
    assert len(callbacks) == 1
    due.refresh_from_db()
    assert due.status == S.IN_FORCE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert lifecycle_sweep("2026-02-01") == 0
    assert callbacks == []


def test_the_lifecycle_command_replays_a_day_and_refuses_a_bad_date(personas) -> None:
    import io

    from django.core.management import CommandError, call_command

    AgreementFactory(
        reference="MOU-OLD",
        status=S.IN_FORCE,
        signed_on=date(2020, 1, 1),
        effective_on=date(2020, 1, 1),
        expires_on=date(2024, 1, 1),
        parties=[personas.colombia],
    )
    out = io.StringIO()
    call_command("run_lifecycle", "--as-of", "2024-06-01", stdout=out)
    assert "1 expired: MOU-OLD" in out.getvalue()
    out = io.StringIO()
    call_command("run_lifecycle", "--as-of", "2024-06-01", stdout=out)
    assert "0 expired" in out.getvalue()
    with pytest.raises(CommandError, match="not a date"):
        call_command("run_lifecycle", "--as-of", "June")
