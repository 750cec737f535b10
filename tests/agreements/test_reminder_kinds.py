"""The agreements app's mandate and engagement deadline kinds: which records carry each date,
what the reminder says, who is reminded, and that a moved date cancels the old schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from agreements import services
from agreements.models import Engagement, LegalMandate, SovereigntyConstraint
from config.dates import add_months
from config.reminders.scan import scan
from tests.factories import activity
from tests.reminder_kinds import only_rule, reminded, sentences

MANDATE_REVIEW = "agreements.mandate_review_due"
MANDATE_EXPIRY = "agreements.mandate_expiry"
REVIEW_OVERDUE = "agreements.legal_review_overdue"
CONSENT = "agreements.consent_request"


def _mandate(personas, **fields: object) -> LegalMandate:
    fields.setdefault("partners", [personas.colombia])
    return services.mandate_create(
        by=personas.legal_advisor,
        title=str(fields.pop("title", "Boarding under the 1988 Convention, art. 17")),
        kind=LegalMandate.Kind.TREATY_PROVISION,
        citation="UN Convention against Illicit Traffic (1988), art. 17",
        valid_from=date(1990, 11, 11),
        activity_types=[activity("maritime-interdiction")],
        **fields,
    )


def _approve(mandate: LegalMandate, personas) -> LegalMandate:
    services.legal_review_decide(
        mandate=mandate,
        reviewer=personas.legal_advisor,
        decision="approved",
        opinion="Article 17 lets the flag state authorise boarding.",
        version=mandate.version,
    )
    mandate.refresh_from_db()
    return mandate


# --- mandate review due -----------------------------------------------------------------------


def test_an_approved_mandate_reminds_legal_advisors_of_its_periodic_review(personas) -> None:
    only_rule(MANDATE_REVIEW)
    mandate = _approve(_mandate(personas, review_interval_months=24), personas)
    pending = _mandate(personas, title="Pending one", review_interval_months=24)
    due = mandate.next_review_on
    assert due == add_months(timezone.localdate(), 24)
    scan(as_of=due - timedelta(days=30))
    assert reminded(MANDATE_REVIEW) == [(mandate.pk, due, 30, "hannah", "pending")]
    assert pending.pk not in {row[0] for row in reminded(MANDATE_REVIEW)}
    assert sentences(MANDATE_REVIEW) == [
        f"Mandate “{mandate.title}” is due for its periodic legal review on {due:%-d %B %Y}."
    ]


# --- mandate expiry ---------------------------------------------------------------------------


def test_a_mandate_ending_reminds_legal_advisors_and_its_partners_officers(personas) -> None:
    only_rule(MANDATE_EXPIRY)
    ends = date(2027, 5, 31)
    mandate = _approve(_mandate(personas, valid_until=ends), personas)
    scan(as_of=ends - timedelta(days=60))
    who = [(row[2], row[3]) for row in reminded(MANDATE_EXPIRY)]
    assert who == [(60, "hannah"), (60, "maria")], who  # not james: Panama is not named
    wording = sentences(MANDATE_EXPIRY, personas.lo)
    assert wording == [f"Mandate “{mandate.title}” ends on 31 May 2027."]
    assert sentences(MANDATE_EXPIRY, personas.other_lo) == []


def test_a_moved_mandate_end_cancels_the_old_reminders_and_arms_the_new_date(personas) -> None:
    only_rule(MANDATE_EXPIRY)
    mandate = _approve(_mandate(personas, valid_until=date(2027, 5, 31)), personas)
    scan(as_of=date(2027, 5, 1))
    services.mandate_update(
        mandate=mandate,
        by=personas.legal_advisor,
        version=mandate.version,
        valid_until=date(2028, 5, 31),
    )
    # The change is material: back to review, so no approved mandate ends on either date…
    scan(as_of=date(2027, 5, 2))
    assert {row[4] for row in reminded(MANDATE_EXPIRY)} == {"cancelled"}
    _approve(mandate, personas)
    scan(as_of=date(2028, 5, 24))
    live = [row[1:4] for row in reminded(MANDATE_EXPIRY) if row[4] == "pending"]
    assert live == [(date(2028, 5, 31), 7, "hannah"), (date(2028, 5, 31), 7, "maria")], live


# --- legal review pending too long ------------------------------------------------------------


def test_a_mandate_pending_review_is_overdue_after_the_configured_days(personas, settings) -> None:
    settings.ACCORD_LEGAL_REVIEW_DAYS = 10
    only_rule(REVIEW_OVERDUE)
    mandate = _mandate(personas)
    requested = timezone.localdate(mandate.review_requested_at)
    assert mandate.review_overdue_on == requested + timedelta(days=10)
    scan(as_of=mandate.review_overdue_on)
    assert reminded(REVIEW_OVERDUE) == [
        (mandate.pk, mandate.review_overdue_on, 0, "hannah", "pending")
    ]
    (sentence,) = sentences(REVIEW_OVERDUE)
    assert sentence == (
        f"Legal review of mandate “{mandate.title}” has been pending since "
        f"{requested:%-d %B %Y}: a decision is due by {mandate.review_overdue_on:%-d %B %Y}."
    )


def test_a_decision_clears_the_overdue_date_and_cancels_its_reminders(personas) -> None:
    only_rule(REVIEW_OVERDUE)
    mandate = _mandate(personas)
    scan(as_of=mandate.review_overdue_on)
    mandate = _approve(mandate, personas)
    assert mandate.review_overdue_on is None
    assert scan(as_of=timezone.localdate()).cancelled == 1
    assert [row[4] for row in reminded(REVIEW_OVERDUE)] == ["cancelled"]


def test_a_material_change_starts_a_new_review_period(personas) -> None:
    mandate = _approve(_mandate(personas), personas)
    mandate = services.mandate_update(
        mandate=mandate,
        by=personas.legal_advisor,
        version=mandate.version,
        citation="UN Convention against Illicit Traffic (1988), art. 17(3)",
    )
    assert mandate.status == LegalMandate.Status.PENDING_REVIEW
    assert mandate.review_overdue_on == timezone.localdate() + timedelta(days=14)


# --- consent request deadline -----------------------------------------------------------------


def _consent(personas, lead: int, *, activities=("maritime-interdiction",), **fields: object):
    return services.constraint_create(
        by=personas.lo,
        partner=fields.pop("partner", personas.colombia),
        category="flag_state_consent_to_board",
        effect=SovereigntyConstraint.Effect.REQUIRES_CONSENT,
        consent_lead_days=lead,
        description="Colombian-flag vessels are boarded only with Colombia's consent.",
        activity_types=[activity(code) for code in activities],
        **fields,
    )


def _engagement(personas, starts_on: date, *, code: str = "maritime-interdiction") -> Engagement:
    return services.engagement_create(
        by=personas.lo,
        partner=personas.colombia,
        activity_type=activity(code),
        title="Boarding exercise off Cartagena",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=5),
    )


def test_an_engagement_needing_consent_stores_its_request_deadline(personas) -> None:
    starts = date(2027, 3, 1)
    engagement = _engagement(personas, starts)
    assert engagement.consent_request_by is None
    _consent(personas, 10)
    engagement.refresh_from_db()
    assert engagement.consent_request_by == date(2027, 2, 19)
    # The longest lead time of the constraints that apply wins, one for every activity too…
    longest = _consent(personas, 21, activities=())
    engagement.refresh_from_db()
    assert engagement.consent_request_by == date(2027, 2, 8)
    # …while one for another activity, or one no longer valid then, does not apply.
    _consent(personas, 60, activities=("joint-training",))
    _consent(personas, 90, valid_until=date(2027, 1, 31))
    engagement.refresh_from_db()
    assert engagement.consent_request_by == date(2027, 2, 8)
    services.constraint_remove(constraint=longest, by=personas.lo, reason="Withdrawn by note.")
    engagement.refresh_from_db()
    assert engagement.consent_request_by == date(2027, 2, 19)


def test_an_engagement_with_no_consent_constraint_has_no_deadline(personas) -> None:
    engagement = _engagement(personas, date(2027, 3, 1), code="joint-training")
    _consent(personas, 10)
    engagement.refresh_from_db()
    assert engagement.consent_request_by is None


def test_the_consent_deadline_reminds_the_partners_officers_and_moves_with_the_engagement(
    personas,
) -> None:
    only_rule(CONSENT)
    _consent(personas, 10)
    engagement = _engagement(personas, date(2027, 3, 1))
    scan(as_of=date(2027, 2, 12))
    assert reminded(CONSENT) == [(engagement.pk, date(2027, 2, 19), 7, "maria", "pending")]
    assert sentences(CONSENT, personas.lo) == [
        "Last day to request Colombia's consent for “Boarding exercise off Cartagena” "
        "(maritime interdiction from 1 March 2027): 19 February 2027."
    ]
    assert sentences(CONSENT, personas.other_lo) == []
    services.engagement_update(
        engagement=engagement,
        by=personas.lo,
        version=engagement.version,
        starts_on=date(2027, 4, 1),
        ends_on=date(2027, 4, 6),
    )
    assert engagement.consent_request_by == date(2027, 3, 22)
    scan(as_of=date(2027, 2, 20))
    rows = [(row[1], row[4]) for row in reminded(CONSENT)]
    assert rows == [(date(2027, 2, 19), "cancelled"), (date(2027, 3, 22), "pending")], rows


def test_the_migration_fills_in_both_dates_for_existing_records(personas) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("agreements.migrations.0010_reminder_dates")
    mandate = _mandate(personas)
    _consent(personas, 10)
    engagement = _engagement(personas, date(2027, 3, 1))
    LegalMandate.objects.update(review_overdue_on=None)
    Engagement.objects.update(consent_request_by=None)
    migration.backfill(apps, None)
    mandate.refresh_from_db()
    engagement.refresh_from_db()
    assert mandate.review_overdue_on == timezone.localdate() + timedelta(days=14)
    assert engagement.consent_request_by == date(2027, 2, 19)


def test_a_rule_may_remind_legal_advisors_only_for_kinds_that_name_them(personas) -> None:
    from django.core.exceptions import ValidationError

    from config.reminders.rules import clean_recipients

    assert clean_recipients(["legal_advisors"], kind_code=MANDATE_EXPIRY) == ["legal_advisors"]
    with pytest.raises(ValidationError) as refused:
        clean_recipients(["legal_advisors"], kind_code="agreements.expiry")
    assert "recipients" in refused.value.message_dict
