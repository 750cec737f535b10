from agreements.models.agreements import (
    Agreement,
    AgreementDocument,
    AgreementParty,
    AgreementReview,
    AgreementTransition,
)
from agreements.models.constraints import Engagement, SovereigntyConstraint
from agreements.models.imports import AgreementImport
from agreements.models.mandates import LegalMandate, LegalReview
from agreements.models.partners import ActivityType, Partner

__all__ = [
    "ActivityType",
    "Agreement",
    "AgreementDocument",
    "AgreementImport",
    "AgreementParty",
    "AgreementReview",
    "AgreementTransition",
    "Engagement",
    "LegalMandate",
    "LegalReview",
    "Partner",
    "SovereigntyConstraint",
]
