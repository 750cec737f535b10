"""A known small portfolio for the gap report tests."""

from __future__ import annotations

from datetime import date, timedelta

import yaml
from django.utils import timezone

from agreements.models import Agreement, Engagement, LegalMandate, SovereigntyConstraint
from checklists.models import Assessment, ItemResponse
from checklists.services import assessment_create, template_load
from tests.factories import AgreementFactory, activity

ITEMS = [
    {"code": "C-1", "area": "communications", "requirement": "Secure voice.",
     "criticality": "high", "weight": 3},
    {"code": "C-2", "area": "communications", "requirement": "Call signs.",
     "criticality": "low", "weight": 1},
    {"code": "L-1", "area": "legal_roe", "requirement": "Legal basis.",
     "criticality": "medium", "weight": 2},
]  # fmt: skip

TODAY = timezone.localdate()


def approved(partner, by, results: dict[str, str], *, owner=None, due: date | None = None):
    document = {"urn": "urn:accord:test:gaps", "version": 1, "title": "Gaps",
                "provider": "tests", "items": ITEMS}  # fmt: skip
    template = template_load(content=yaml.safe_dump(document)).template
    assessment = assessment_create(by=by, partner=partner, template=template)
    for code, result in results.items():
        ItemResponse.objects.filter(assessment=assessment, item__code=code).update(
            result=result, owner=owner, remediation_due_on=due
        )
    Assessment.objects.filter(pk=assessment.pk).update(
        status=Assessment.Status.APPROVED, approved_at=timezone.now() - timedelta(days=10)
    )
    return assessment


def build_portfolio(personas):
    """Colombia (María's): an assessment with two open items, an agreement expiring in 40
    days covering a planned interdiction that needs consent; Panama (James's): an agreement in
    legal review and a pending mandate."""
    p = personas
    approved(
        p.colombia,
        p.lo,
        {"C-1": "not_met", "C-2": "met", "L-1": "partially_met"},
        owner=p.lo,
        due=TODAY - timedelta(days=3),
    )
    interdiction = activity("maritime-interdiction")
    agreement = AgreementFactory(
        reference="MOU-COL-2024-001",
        status=Agreement.Status.IN_FORCE,
        signed_on=date(2024, 1, 10),
        effective_on=date(2024, 2, 1),
        expires_on=TODAY + timedelta(days=40),
        activity_types=[interdiction],
        parties=[p.colombia],
    )
    AgreementFactory(
        reference="MOU-PAN-2025-001",
        status=Agreement.Status.LEGAL_REVIEW,
        signed_on=None,
        parties=[p.panama],
    )
    Agreement.objects.filter(reference="MOU-PAN-2025-001").update(
        status_changed_at=timezone.now() - timedelta(days=45)
    )
    mandate = LegalMandate.objects.create(
        title="Panama boarding authority",
        kind=LegalMandate.Kind.HOST_NATION_CONSENT,
        citation="Exchange of notes",
        valid_from=date(2024, 1, 1),
        review_requested_at=timezone.now() - timedelta(days=10),
    )
    mandate.partners.add(p.panama)
    mandate.activity_types.add(interdiction)
    Engagement.objects.create(
        partner=p.colombia,
        activity_type=interdiction,
        title="Caribbean patrol",
        starts_on=TODAY + timedelta(days=20),
        ends_on=TODAY + timedelta(days=30),
    )
    constraint = SovereigntyConstraint.objects.create(
        partner=p.colombia,
        category="flag_state_consent_to_board",
        effect=SovereigntyConstraint.Effect.REQUIRES_CONSENT,
        consent_lead_days=10,
        description="Ask the flag state first.",
    )
    constraint.activity_types.add(interdiction)
    return agreement
